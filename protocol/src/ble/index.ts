/**
 * Bluetooth LE device support shared by the gateway and the simulators: IEEE 11073 number types,
 * UUID helpers, the coded DecodeError, one folder per device profile (pure decode / encode /
 * conversion to contract observations) and the characteristic dispatch table. Browser-safe: no
 * Node APIs.
 */
export * from './errors.js';
export * from './bytes.js';
export * from './ieee11073.js';
export * from './uuids.js';
export * from './date-time.js';
export * from './profile.js';
export * from './link.js';
export * from './profiles/index.js';
