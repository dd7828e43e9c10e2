export * from './types.js';
export * from './errors.js';
export * from './compact.js';
export * from './decode.js';
export * from './encode.js';
