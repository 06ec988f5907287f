import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataPaths } from '../paths.js';
import { prepareDataDir } from './prepare-data-dir.js';
import { confining } from './vm-owner.js';

let work: string | undefined;
afterEach(() => {
  if (work) rmSync(work, { recursive: true, force: true });
  work = undefined;
});

describe.skipIf(!confining())('prepareDataDir (as root)', () => {
  it('makes the data directory passable but not listable', async () => {
    work = mkdtempSync('/tmp/herd-prep-');
    chmodSync(work, 0o711);
    const paths = new DataPaths(join(work, 'd'));
    mkdirSync(paths.root, { mode: 0o750 });
    await prepareDataDir(paths);
    expect(statSync(paths.root).mode & 0o777).toBe(0o751);
    expect(statSync(paths.runRoot).mode & 0o777).toBe(0o711);
    expect(statSync(paths.defaultPool).mode & 0o777).toBe(0o711);
  });

  it('refuses a data directory below one that VM users cannot pass, naming it and the fix', async () => {
    work = mkdtempSync('/tmp/herd-prep-');
    const paths = new DataPaths(join(work, 'd'));
    mkdirSync(paths.root);
    await expect(prepareDataDir(paths)).rejects.toThrow(`must pass through ${work} to reach the data directory ${paths.root}, but its mode is 0700; run \`chmod o+x ${work}\``);
  });
});
