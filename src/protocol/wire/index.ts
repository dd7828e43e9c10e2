export * from './errors.js';
export * from './messages.js';
export * from './codec.js';
export * from './handshake.js';
export * from './frame-decoder.js';
export * from './peer-id.js';
export * from './bitfield.js';
export * from './block-size.js';
