/** Status catalogue and collector ad shapes (pure). */
export * from './catalogue.js';
export * from './ads.js';
