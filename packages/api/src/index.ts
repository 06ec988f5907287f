/** @herd/api: herd's contract, shared by the daemon, the CLI and the web UI. */
export * from './errors.js';
export * from './names.js';
export * from './sizes.js';
export * from './vm-states.js';
export * from './routes.js';
export * from './openapi.js';
export * from './client.js';
export * from './schemas/common.js';
export * from './schemas/vm.js';
export * from './schemas/self-healing.js';
export * from './schemas/image.js';
export * from './schemas/storage.js';
export * from './schemas/host.js';
export * from './schemas/operation.js';
export * from './schemas/event.js';
export * from './schemas/alerts.js';
export * from './schemas/metrics.js';
