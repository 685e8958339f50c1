/** lib/cli: argv, exit codes, detach, output contract, id validation. */
export * from './args.js';
export * from './exit-codes.js';
export * from './detach.js';
export * from './output.js';
export * from './ids.js';
export * from './trust.js';
export * from './values.js';
