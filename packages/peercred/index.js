// Loads the compiled addon (built by `npm ci` through build.mjs) and says how to build it when missing.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let addon;
try {
  addon = require('./build/Release/peercred.node');
} catch (e) {
  throw new Error(`@herd/peercred: the native addon is not built (${e.message}); run \`npm rebuild @herd/peercred\` (needs python3, make, g++)`);
}

/** See index.d.ts. */
export const peerCredentials = addon.peerCredentials;
