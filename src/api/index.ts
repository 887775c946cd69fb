export * from './app.js';
export * from './metrics.js';
