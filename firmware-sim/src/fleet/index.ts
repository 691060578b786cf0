export * from './plan.js';
export * from './readings.js';
export * from './gateway-client.js';
export * from './runner.js';
