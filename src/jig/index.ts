export * from './control-protocol.js';
export * from './jig-controller.js';
export * from './usb-hotplug.js';
export * from './adapters.js';
export * from './adapter-watch.js';
export * from './udev-rules.js';
