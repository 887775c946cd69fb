export * from './control-protocol.js';
export * from './jig-controller.js';
