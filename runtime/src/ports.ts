// The one port table is the contract's (contract/src/ports.ts): each service's default port on
// 127.0.0.1, the variable and flag of `npm start` that move it, and what listens there. The
// programs' own defaults (an exporter's --port, the simulator's, the scope proxy's, the embedded
// database's, the alert sink's) are read from it through here.
export { PORTS, type PortName as ServiceName, type PortSpec } from '@paywatch/contract';
import type { PortName } from '@paywatch/contract';

export type Ports = Record<PortName, number>;
