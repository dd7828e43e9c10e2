export * from './errors.js';
export * from './handshake.js';
export * from './ut-metadata.js';
export * from './ut-pex.js';
