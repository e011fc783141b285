// The runtime's public surface: the rest of Paywatch imports from '@paywatch/runtime' only.
export {
  EXPORTER_NODE_OPTIONS,
  startService,
  waitFor,
  withNodeOptions,
  type Service,
  type ServiceOptions,
  type WaitOptions,
} from './process.ts';
export {
  postgresExporterDsn,
  promQuery,
  startAlertmanager,
  startPostgresExporter,
  startPrometheus,
  type AlertmanagerOptions,
  type PostgresExporterOptions,
  type PrometheusOptions,
  type RunningServer,
} from './servers.ts';
export { freePort, portIsFree, PORT_RESERVATIONS } from './free-port.ts';
export { eachAtOnce } from './at-once.ts';
export { blockTable, importOpenMetrics, promtool } from './promtool.ts';
export { arg, hasFlag } from './bench-args.ts';
export { repoRoot } from './paths.ts';
export { prebuiltEntry } from './bundle.ts';
export {
  envOf,
  MAX_SECONDS,
  optionsUsage,
  OptionsError,
  parseOptions,
  parseOrExit,
  parseValue,
  type OptionSpec,
  type OptionTable,
  type OptionValues,
  type ParsedOptions,
} from './options.ts';
export { PORTS, type PortSpec, type Ports, type ServiceName } from './ports.ts';
export { ensureTools, findTool, requireTool, TOOLS, type ToolName, type ToolSpec } from './tools.ts';
export { GO_TOOLS, pinnedVersion, releaseOf, type GoToolName } from './go-tools.ts';
