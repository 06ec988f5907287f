/** @herd/daemon: `herd serve`. The CLI starts the daemon through this entry only. */
import './memory-footprint.js';
export { serve, startDaemon, type Daemon, type ServeOptions } from './daemon.js';
