/**
 * The one place the web UI talks to the daemon: a typed client from @herd/api on the origin
 * that served the page. Every page and component calls the API through this instance.
 */
import { HerdClient } from '@herd/api';

/** The client for the daemon that served this page. */
export const client = new HerdClient({ url: window.location.origin });
