export * from './units.js';
export * from './ids.js';
export * from './topics.js';
export * from './codes.js';
export * from './observation.js';
export * from './status.js';
export * from './validate.js';
export * from './api.js';
