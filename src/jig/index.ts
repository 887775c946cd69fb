export * from './control-protocol.js';
export * from './jig-controller.js';
export * from './usb-hotplug.js';
