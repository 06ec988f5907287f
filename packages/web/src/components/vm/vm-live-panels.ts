/** The VM page's live panels, one chunk: its metrics charts and its graphical console. */
export { VmMetrics } from './vm-metrics.js';
export { VncConsole } from './vnc-console.js';
