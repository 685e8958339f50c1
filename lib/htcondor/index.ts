/** HTCondor wrappers: the public surface of lib/htcondor. */
export * from './classad.js';
export * from './submit-description.js';
export * from './parse.js';
export * from './context.js';
export { runTool, toolFailure, type ToolOptions } from './tool.js';
export * from './jobs.js';
export * from './collector.js';
export * from './analyze.js';
