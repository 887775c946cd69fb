export * from './bench.js';
export * from './session-pool.js';
export * from './slot-view.js';
export * from './slot-session.js';
export * from './decide.js';
export * from './jig-station.js';
