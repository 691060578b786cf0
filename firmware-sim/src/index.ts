/**
 * Simulated BLE health devices that produce real characteristic bytes over time, and a simulated
 * home that merges them into one BleLink for the gateway (standing in for the radio).
 */
export * from './prng.js';
export * from './scenarios.js';
export * from './device.js';
export * from './bp-cuff.js';
export * from './falls-sensor.js';
export * from './pulse-oximeter.js';
export * from './thermometer.js';
export * from './noble-binding.js';
export * from './simulated-home.js';
export * from './demo-fleet.js';
export * from './cohort.js';
export * from './fleet/index.js';
export * from './demo-rhythm.js';
export * from './spot-vitals.js';
export * from './demo-script.js';
