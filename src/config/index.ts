export * from './schema.js';
export * from './load-config.js';
export * from './package-root.js';
export * from './upstream-schema.js';
export * from './api-access-schema.js';
