/** @herd/daemon: `herd serve`. The CLI starts the daemon through this entry only. */
export { serve, startDaemon, type Daemon, type ServeOptions } from './daemon.js';
