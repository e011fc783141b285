// The simulator's public surface: start one in-process (tests, benchmarks) with its defaults. Its
// model of the business (pure functions, no database) is a separate entry point,
// '@paywatch/simulator/model', which the history backfill replays without starting anything.
export { DEFAULTS, startSimulator, WORKING_HOURS_START, type Simulator, type SimulatorOptions } from './simulator.ts';
export { SCENARIOS } from './scenarios.ts';
export { checkSimulatorStart, FLEET_OPTIONS, OPTION_TABLE } from './config.ts';
