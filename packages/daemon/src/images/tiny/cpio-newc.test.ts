import { describe, expect, it } from 'vitest';
import { run } from '../../host/exec.js';
import { encodeCpioNewc } from './cpio-newc.js';

describe('encodeCpioNewc', () => {
  const archive = encodeCpioNewc([
    { kind: 'directory', path: 'bin', mode: 0o755 },
    { kind: 'file', path: 'bin/hello', mode: 0o755, data: Buffer.from('#!/bin/sh\necho hi\n') },
    { kind: 'symlink', path: 'bin/sh', target: 'busybox' },
    { kind: 'char-device', path: 'console', mode: 0o600, major: 5, minor: 1 },
  ]);

  it('keeps every header on a 4-byte boundary and ends with the trailer', () => {
    const offsets = [...archive.toString('latin1').matchAll(/070701/g)].map((m) => m.index);
    expect(offsets).toHaveLength(5);
    for (const o of offsets) expect(o % 4).toBe(0);
    expect(archive.toString('latin1')).toContain('TRAILER!!!\0');
    expect(archive.length % 4).toBe(0);
  });

  it('is read back by an independent cpio implementation (busybox cpio)', async () => {
    const listing = (await run('busybox', ['cpio', '-tv'], { input: archive })).stdout;
    const lines = listing.trim().split('\n');
    expect(lines[0]).toMatch(/^drwxr-xr-x .* bin$/);
    expect(lines[1]).toMatch(/^-rwxr-xr-x .* 18 .* bin\/hello$/);
    expect(lines[2]).toMatch(/^lrwxrwxrwx .* bin\/sh -> busybox$/);
    expect(lines[3]).toMatch(/^crw------- .* console$/);
  });

  it('is byte-for-byte reproducible, whatever the leading slashes', () => {
    const make = (path: string): Buffer => encodeCpioNewc([{ kind: 'file', path, mode: 0o644, data: Buffer.from('x') }]);
    expect(make('/etc/x').equals(make('etc/x'))).toBe(true);
  });
});
