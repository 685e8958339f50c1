/** Event-file monitor: protocol and word tables (pure), state machine (pure), follower and runner (I/O). */
export * from './types.js';
export * from './protocol.js';
export * from './words.js';
export * from './state.js';
export { EventFileFollower, type FollowerOptions } from './follower.js';
export { runMonitor, type RunMonitorOptions, type MonitorResult } from './run.js';
export { processGone, fileGone } from './job-ended.js';
