export * from './logger.js';
export * from './sequence.js';
export * from './queue.js';
export * from './devices.js';
export * from './dispatch.js';
export * from './publisher.js';
export * from './gateway.js';
export * from './config.js';
