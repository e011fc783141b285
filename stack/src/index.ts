// The stack's public surface: start the whole of Paywatch in-process from a parsed configuration.
// Nothing in the repository imports it (stack/ is the top layer); it is here for scripts of one's own.
export { parseStackConfig, type StackConfig } from './config.ts';
export { consoleProgress, startStack, type Progress, type RunningStack } from './stack.ts';
