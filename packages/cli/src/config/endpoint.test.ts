import { describe, expect, it } from 'vitest';
import type { CliConfig } from './config-file.js';
import { defaultUrl, localSockets, resolveEndpoint } from './endpoint.js';

const config: CliConfig = {
  current: 'prod',
  remotes: { prod: { url: 'https://h:8443', token: 'remote-token', project: 'web', ca: 'PEM' }, lab: { url: 'http://127.0.0.1:9000' } },
};
const none = () => false;
const noConfig = (): CliConfig => ({ remotes: {} });

describe('resolveEndpoint', () => {
  it('takes --url (or HERD_URL) over the current remote, without its token or certificate', () => {
    expect(resolveEndpoint({ url: 'http://10.0.0.1:8080' }, () => config, none)).toEqual({ url: 'http://10.0.0.1:8080' });
    expect(resolveEndpoint({ url: 'http://10.0.0.1:8080', token: 't', project: 'p' }, () => config, none)).toEqual({ url: 'http://10.0.0.1:8080', token: 't', project: 'p' });
  });

  it('does not read the config when --url is given', () => {
    expect(resolveEndpoint({ url: 'unix:/run/h.sock' }, () => { throw new Error('read'); }, none).url).toBe('unix:/run/h.sock');
  });

  it('uses the current remote, with --token and --project over its own', () => {
    expect(resolveEndpoint({}, () => config, none)).toEqual({ url: 'https://h:8443', token: 'remote-token', project: 'web', ca: 'PEM', remote: 'prod' });
    expect(resolveEndpoint({ token: 'flag', project: 'db' }, () => config, none)).toMatchObject({ url: 'https://h:8443', token: 'flag', project: 'db', remote: 'prod' });
  });

  it('says what to do when the current remote is gone', () => {
    expect(() => resolveEndpoint({}, () => ({ current: 'gone', remotes: {} }), none)).toThrow(/the current remote 'gone' is not in the config; choose another with `herd remote switch NAME`/);
  });

  it('falls back to the local socket (the system one first), then to the default URL', () => {
    const [system, npmStart] = localSockets() as [string, string];
    expect(npmStart).toBe(`${process.cwd()}/var/herd.sock`);
    expect(resolveEndpoint({}, noConfig, (p) => p === npmStart || p === system)).toEqual({ url: `unix:${system}` });
    expect(resolveEndpoint({ token: 't' }, noConfig, (p) => p === npmStart)).toEqual({ url: `unix:${npmStart}`, token: 't' });
    expect(resolveEndpoint({}, noConfig, none)).toEqual({ url: defaultUrl });
    expect(resolveEndpoint({}, () => ({ remotes: config.remotes }), none)).toEqual({ url: defaultUrl });
  });
});
