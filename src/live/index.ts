export * from './alarms.js';
export * from './bench-event-bus.js';
export * from './event-log.js';
export * from './progress-coalescer.js';
export * from './slot-tile.js';
export * from './sse-client.js';
export * from './sse-route.js';
