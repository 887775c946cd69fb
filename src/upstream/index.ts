export * from './ssmi-file.js';
