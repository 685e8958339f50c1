/**
 * What every launcher of a job shares (assessment, metric, viewer): settings from swamp.conf, the
 * per-run lock, the run-dir queue of job dirs, the platform and image choice, the submit files'
 * common sections and values, and the HTCondor operations of a launch. Job kinds sit above it
 * (lib/assessment, lib/viewer); it imports nothing of theirs.
 */
export * from './settings.js';
export * from './lock.js';
export * from './queue.js';
export * from './platform.js';
export * from './images.js';
export * from './sections.js';
export * from './submit-template.js';
export * from './template-file.js';
export * from './submit-values.js';
export * from './local-platform.js';
export * from './condor.js';
export * from './batch.js';
