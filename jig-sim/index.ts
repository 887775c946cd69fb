export * from './hub-profile.js';
export * from './virtual-hub.js';
export * from './hub-responder.js';
export * from './sim-line.js';
export * from './virtual-jig.js';
export * from './simulator.js';
export * from './stock.js';
export * from './demo-keys.js';
