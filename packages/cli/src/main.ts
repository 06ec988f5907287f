#!/usr/bin/env node
/** The `herd` executable: runs the command line and leaves the exit code for when work is done. */
import { run } from './program.js';

process.exitCode = await run(process.argv.slice(2));
