export * from './packets.js';
export * from './load-generator.js';
