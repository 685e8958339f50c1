/** Assessment and metric launches (launchassessment / execute_execution_record). */
export * from './gate.js';
export * from './ids.js';
export * from './platform.js';
export * from './bog.js';
export * from './submit.js';
export * from './list.js';
export * from './queue.js';
export * from './lock.js';
export * from './settings.js';
export * from './condor.js';
export * from './launch.js';
export * from './maintenance.js';
