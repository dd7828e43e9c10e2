export * from './allow-list.js';
export * from './client-address.js';
export * from './connection-ids.js';
export * from './http-routes.js';
export * from './swarm-registry.js';
export * from './tracker-config.js';
export * from './tracker-core.js';
export * from './udp-routes.js';
