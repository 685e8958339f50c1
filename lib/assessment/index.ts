/** Assessment and metric launches (launchassessment / execute_execution_record). */
export * from './gate.js';
export * from './ids.js';
export * from './bog.js';
export * from './submit.js';
export * from './list.js';
export * from './db-ops.js';
export * from './launch.js';
export * from './maintenance.js';
export * from './batch-launch.js';
export * from './submitter.js';
