import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  isQemuCmdlineOf,
  isQemuOf,
  parseCmdline,
  parsePidfile,
  parseProcStat,
  processCmdline,
  processState,
  readPidfile,
  stateOf,
} from './proc.js';

const tail = '0 -1 4194560 1 0 0 0 5 3 0 0 20 0 1 0 123456 1000 100 18446744073709551615';

describe('parseProcStat', () => {
  it('reads the fields after the last parenthesis, whatever comm contains', () => {
    const stat = parseProcStat(`4242 (a) b (c) Z x) S 1 4242 4242 ${tail}\n`);
    expect(stat).toEqual({ pid: 4242, comm: 'a) b (c) Z x', state: 'S', ppid: 1, startTime: 123456 });
  });

  it('decodes a zombie and a dead process', () => {
    const z = parseProcStat(`7 (qemu-system-x86) Z 1 7 7 ${tail}`);
    expect(z && stateOf(z)).toBe('zombie');
    const x = parseProcStat(`7 (qemu-system-x86) X 1 7 7 ${tail}`);
    expect(x && stateOf(x)).toBe('gone');
    const d = parseProcStat(`7 (qemu) D 1 7 7 ${tail}`);
    expect(d && stateOf(d)).toBe('alive');
  });

  it('returns undefined for malformed text', () => {
    expect(parseProcStat('')).toBeUndefined();
    expect(parseProcStat('12 qemu S 1')).toBeUndefined();
    expect(parseProcStat(`12 (qemu) Q 1 7 7 ${tail}`)).toBeUndefined();
    expect(parseProcStat('12 (qemu) S 1')).toBeUndefined();
  });
});

describe('parseCmdline and isQemuCmdlineOf', () => {
  const uuid = '6F1C2A4E-9B1D-4C55-8A3E-2F0D5B7C9E10';

  it('splits NUL-separated argv and drops the trailing NUL', () => {
    expect(parseCmdline('qemu-system-x86_64\0-uuid\0abc\0')).toEqual(['qemu-system-x86_64', '-uuid', 'abc']);
    expect(parseCmdline('')).toEqual([]);
    expect(parseCmdline('a b\0\0c\0')).toEqual(['a b', '', 'c']);
  });

  it('matches -uuid followed by the uuid, case-insensitively, only for qemu-system-*', () => {
    expect(isQemuCmdlineOf(['/usr/bin/qemu-system-x86_64', '-name', 'x', '-uuid', uuid.toLowerCase()], uuid)).toBe(true);
    expect(isQemuCmdlineOf(['qemu-system-x86_64', '-uuid', 'other', uuid], uuid)).toBe(false);
    expect(isQemuCmdlineOf(['qemu-system-x86_64', uuid, '-uuid'], uuid)).toBe(false);
    expect(isQemuCmdlineOf(['sleep', '-uuid', uuid], uuid)).toBe(false);
    expect(isQemuCmdlineOf([], uuid)).toBe(false);
  });
});

describe('parsePidfile', () => {
  it('accepts a positive integer with trailing whitespace only', () => {
    expect(parsePidfile('1234\n')).toBe(1234);
    expect(parsePidfile('')).toBeUndefined();
    expect(parsePidfile('0\n')).toBeUndefined();
    expect(parsePidfile('12a')).toBeUndefined();
    expect(parsePidfile('-5')).toBeUndefined();
    expect(parsePidfile('99999999999')).toBeUndefined();
  });
});

describe('live /proc', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herd-proc-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sees this process as alive with its argv, and an unused pid as gone', () => {
    expect(processState(process.pid)).toBe('alive');
    expect(processCmdline(process.pid)?.[0]).toMatch(/node/);
    expect(processState(0x7ffffffe)).toBe('gone');
    expect(processCmdline(0x7ffffffe)).toBeUndefined();
    expect(isQemuOf(process.pid, 'x')).toBe(false);
  });

  it('reads a pidfile, and a missing one as undefined', () => {
    const f = join(dir, 'qemu.pid');
    writeFileSync(f, `${process.pid}\n`);
    expect(readPidfile(f)).toBe(process.pid);
    expect(readPidfile(join(dir, 'missing.pid'))).toBeUndefined();
  });
});
