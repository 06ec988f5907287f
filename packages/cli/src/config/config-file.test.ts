import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { configPath, readConfig, writeConfig } from './config-file.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'herd-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('configPath', () => {
  it('takes HERD_CONFIG, then XDG_CONFIG_HOME, then ~/.config', () => {
    expect(configPath({ HERD_CONFIG: '/x/c.json', XDG_CONFIG_HOME: '/xdg' }, '/home/a')).toBe('/x/c.json');
    expect(configPath({ XDG_CONFIG_HOME: '/xdg' }, '/home/a')).toBe('/xdg/herd/config.json');
    expect(configPath({ XDG_CONFIG_HOME: '' }, '/home/a')).toBe('/home/a/.config/herd/config.json');
  });
});

describe('readConfig and writeConfig', () => {
  it('reads a missing file as no remotes', () => {
    expect(readConfig(join(dir, 'none.json'))).toEqual({ remotes: {} });
  });

  it('writes 0600 in a new 0700 directory and reads back what it wrote', () => {
    const path = join(dir, 'herd', 'config.json');
    const config = { current: 'prod', remotes: { prod: { url: 'https://h:8443', token: 's3cret', project: 'web', ca: 'PEM' }, local: { url: 'unix:/var/lib/herd/herd.sock' } } };
    writeConfig(path, config);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'herd')).mode & 0o777).toBe(0o700);
    expect(readConfig(path)).toEqual(config);
    writeConfig(path, { remotes: {} });
    expect(readConfig(path)).toEqual({ remotes: {} });
  });

  it('names the file and the fault when it is malformed', () => {
    const path = join(dir, 'c.json');
    const cases: [string, RegExp][] = [
      ['{', /the herd config .*c\.json is not JSON/],
      ['[]', /is malformed: it is not an object; fix it or remove it/],
      ['{"current": 3}', /"current" is not a string/],
      ['{"remotes": {"a": {}}}', /remote 'a' has no "url"/],
      ['{"remotes": {"a": {"url": "http://x", "token": 1}}}', /remote 'a': "token" is not a string/],
    ];
    for (const [text, message] of cases) {
      writeFileSync(path, text);
      expect(() => readConfig(path)).toThrow(UsageError);
      expect(() => readConfig(path)).toThrow(message);
    }
  });

  it('drops keys it does not know', () => {
    const path = join(dir, 'c.json');
    writeFileSync(path, '{"remotes": {"a": {"url": "http://x", "color": "red"}}, "extra": 1}');
    expect(readConfig(path)).toEqual({ remotes: { a: { url: 'http://x' } } });
    expect(readFileSync(path, 'utf8')).toContain('color');
  });
});
