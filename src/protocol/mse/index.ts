export * from './constants.js';
export * from './dh.js';
export * from './errors.js';
export * from './handshake.js';
export * from './keys.js';
export * from './rc4.js';
export * from './skey.js';
