export * from './api-client.js';
export * from './cli.js';
