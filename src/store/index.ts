export * from './open-database.js';
export * from './flash-store.js';
export * from './records.js';
export * from './migrations.js';
