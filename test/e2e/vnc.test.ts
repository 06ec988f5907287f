/**
 * The graphical console against real QEMU: a tiny guest created with display vnc gets a VGA
 * card and a VNC server on a unix socket in its runtime directory (never a TCP port); a ticket
 * opens the WebSocket once, and through the daemon's relay the client reads QEMU's RFB greeting
 * and completes the handshake. Missing, reused, expired and wrong-VM tickets are refused with
 * JSON errors before any upgrade. The serial console WebSocket takes a ticket the same way (a
 * browser cannot send the token on it either), and a ticket opens only the console it was asked for. Also: `GET /events?target=` lists and streams one VM's events.
 */
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { HerdError, type HerdEvent, type Vm } from '@herd/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DaemonProcess } from '../helpers/daemon-process.js';
import { contractViolations } from '../helpers/openapi-check.js';
import { waitFor } from '../helpers/wait.js';

const daemon = new DaemonProcess();
let screen: Vm;
let other: Vm;

beforeAll(async () => {
  // Tickets last 5 s rather than 30, so that the expiry test need not wait long; every other
  // ticket is used as soon as it is issued.
  await daemon.start(['--console-ticket-ms', '5000']);
  await daemon.client.call('buildImage', { body: { recipe: 'tiny' }, query: { wait: true } });
  const made = await Promise.all(
    ['screen', 'other'].map((name) => daemon.client.call('createVm', { body: { name, image: 'tiny', memoryMiB: 128, display: 'vnc', start: true }, query: { wait: true } })),
  );
  expect(made.map((op) => op.status)).toEqual(['succeeded', 'succeeded']);
  screen = await daemon.client.call('getVm', { params: { id: 'screen' } });
  other = await daemon.client.call('getVm', { params: { id: 'other' } });
}, 300_000);

afterAll(async () => {
  await daemon.destroy();
});

/** What opening the VNC WebSocket of `vm` with `query` gave: the socket, or the refusal. */
type Opened = { ws: WebSocket } | { status: number; body: { error: { code: string; message: string } } };

function openVnc(vm: string, query: string, route: 'vnc' | 'console' = 'vnc'): Promise<Opened> {
  const url = `${daemon.url.replace(/^http/, 'ws')}/api/v1/vms/${vm}/${route}${query}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (b: Buffer) => (text += b.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Extract<Opened, { status: number }>['body'] }));
    });
    ws.once('error', reject);
  });
}

async function ticketFor(vm: string): Promise<string> {
  return (await daemon.client.call('createConsoleTicket', { params: { id: vm }, body: {} })).ticket;
}

/** Reads exactly `n` bytes from the socket's binary messages (buffering what it has not used yet). */
function reader(ws: WebSocket): (n: number) => Promise<Buffer> {
  let buf = Buffer.alloc(0);
  let wake: (() => void) | undefined;
  ws.on('message', (data: Buffer) => {
    buf = Buffer.concat([buf, data]);
    wake?.();
  });
  return async (n) => {
    while (buf.length < n) await new Promise<void>((r, reject) => ((wake = r), setTimeout(() => reject(new Error(`only ${buf.length} of ${n} bytes within 10 s`)), 10_000)));
    const out = buf.subarray(0, n);
    buf = buf.subarray(n);
    return out;
  };
}

/** The local TCP ports process `pid` listens on (its sockets matched in /proc/net/tcp and tcp6). */
function listeningTcpPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
    if (m) inodes.add(m[1]!);
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is HEX_IP:HEX_PORT, st 0A is LISTEN, and the inode is the tenth field.
      if (f.length > 9 && f[3] === '0A' && inodes.has(f[9]!)) ports.push(parseInt(f[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

describe('the graphical console (display vnc)', () => {
  // Issued first and used last, once it has expired: the rest of the tests run meanwhile.
  let late: { ticket: string; expiresAt: string };
  beforeAll(async () => {
    late = await daemon.client.call('createConsoleTicket', { params: { id: 'screen' }, body: {} });
  });

  it('shows in the spec, and QEMU serves VNC on a unix socket in the run dir, never on TCP', () => {
    expect(screen.spec.display).toBe('vnc');
    const argv = readFileSync(`/proc/${screen.pid}/cmdline`, 'utf8').split('\0');
    const sock = join(daemon.dataDir, 'run', screen.id, 'vnc.sock');
    expect(argv[argv.indexOf('-vnc') + 1]).toBe(`unix:${sock}`);
    expect(argv.filter((a) => a === '-vnc')).toHaveLength(1);
    expect(argv).toContain('-vga');
    expect(lstatSync(sock).isSocket()).toBe(true);
    expect(listeningTcpPorts(screen.pid!)).toEqual([]);
  });

  it("relays QEMU's RFB protocol through a ticket: greeting, security and the screen's size", async () => {
    const ticket = await daemon.client.call('createConsoleTicket', { params: { id: 'screen' }, body: {} });
    expect(ticket.ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const left = Date.parse(ticket.expiresAt) - Date.now();
    expect(left).toBeGreaterThan(4000);
    expect(left).toBeLessThanOrEqual(5000);
    const opened = await openVnc('screen', `?ticket=${ticket.ticket}`);
    if (!('ws' in opened)) throw new Error(`refused: ${JSON.stringify(opened)}`);
    const read = reader(opened.ws);
    try {
      const greeting = (await read(12)).toString('latin1');
      expect(greeting).toMatch(/^RFB 003\.00\d\n$/);
      opened.ws.send(Buffer.from('RFB 003.008\n', 'latin1'));
      const count = (await read(1))[0]!;
      const types = [...(await read(count))];
      expect(types).toContain(1); // None: the unix socket is only reachable through herd
      opened.ws.send(Buffer.from([1]));
      expect((await read(4)).readUInt32BE(0)).toBe(0); // SecurityResult: OK
      opened.ws.send(Buffer.from([1])); // ClientInit: shared
      const init = await read(24);
      expect(init.readUInt16BE(0)).toBeGreaterThan(0);
      expect(init.readUInt16BE(2)).toBeGreaterThan(0);
      const name = (await read(init.readUInt32BE(20))).toString('utf8');
      expect(name).toContain('screen');
    } finally {
      opened.ws.close();
    }
  });

  it('refuses a reused ticket, a missing one, and one issued for another VM, with JSON errors', async () => {
    const ticket = await ticketFor('screen');
    const first = await openVnc('screen', `?ticket=${ticket}`);
    expect('ws' in first).toBe(true);
    if ('ws' in first) first.ws.close();

    const again = await openVnc('screen', `?ticket=${ticket}`);
    expect(again).toMatchObject({ status: 401, body: { error: { code: 'ticket_invalid' } } });
    expect(!('ws' in again) && again.body.error.message).toMatch(/unknown, has expired or was already used.*single use/);

    expect(await openVnc('screen', '')).toMatchObject({ status: 401, body: { error: { code: 'ticket_invalid' } } });
    expect(await openVnc('screen', '?ticket=not-a-ticket')).toMatchObject({ status: 401, body: { error: { code: 'ticket_invalid' } } });

    const forOther = await ticketFor('other');
    expect(await openVnc('screen', `?ticket=${forOther}`)).toMatchObject({ status: 403, body: { error: { code: 'ticket_wrong_vm' } } });
    // Spent by that wrong use: it does not open its own VM either.
    expect(await openVnc('other', `?ticket=${forOther}`)).toMatchObject({ status: 401 });
  });

  it('answers a plain GET of the WebSocket route with 426, and a VM without a display with 409', async () => {
    const plain = await fetch(`${daemon.url}/api/v1/vms/screen/vnc`, { headers: daemon.auth });
    expect(plain.status).toBe(426);
    expect(((await plain.json()) as { error: { code: string } }).error.code).toBe('websocket_required');

    await daemon.client.call('createVm', { body: { name: 'plain', image: 'tiny', memoryMiB: 128 }, query: { wait: true } });
    const refused = await daemon.client.call('createConsoleTicket', { params: { id: 'plain' }, body: {} }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(HerdError);
    expect((refused as HerdError).code).toBe('display_unavailable');
    expect((refused as HerdError).message).toMatch(/display is none; set it to vnc/);
    const updated = await daemon.client.call('updateVm', { params: { id: 'plain' }, body: { display: 'vnc' } });
    expect(updated.spec.display).toBe('vnc');
    const stopped = await daemon.client.call('createConsoleTicket', { params: { id: 'plain' }, body: {} }).catch((e: unknown) => e);
    expect((stopped as HerdError).message).toMatch(/it is stopped; start it first/);
  });

  it('opens the serial console with a serial ticket, and a ticket only opens the console it was asked for', async () => {
    const serial = await daemon.client.call('createConsoleTicket', { params: { id: 'screen' }, body: { console: 'serial' } });
    const opened = await openVnc('screen', `?ticket=${serial.ticket}`, 'console');
    if (!('ws' in opened)) throw new Error(`refused: ${JSON.stringify(opened)}`);
    try {
      // Recent output comes first: the guest has booted, so there is some.
      const first = await new Promise<Buffer>((resolve, reject) => {
        opened.ws.once('message', (b: Buffer) => resolve(b));
        setTimeout(() => reject(new Error('no console output within 10 s')), 10_000);
      });
      expect(first.length).toBeGreaterThan(0);
    } finally {
      opened.ws.close();
    }
    // Without a ticket, or with a graphical console's ticket, the serial console does not open (nor the other way round).
    expect(await openVnc('screen', '', 'console')).toMatchObject({ status: 401 });
    expect(await openVnc('screen', `?ticket=${await ticketFor('screen')}`, 'console')).toMatchObject({ status: 401, body: { error: { code: 'ticket_invalid', message: expect.stringContaining('not the serial one') } } });
    const forSerial = await daemon.client.call('createConsoleTicket', { params: { id: 'screen' }, body: { console: 'serial' } });
    expect(await openVnc('screen', `?ticket=${forSerial.ticket}`)).toMatchObject({ status: 401, body: { error: { code: 'ticket_invalid', message: expect.stringContaining('not the graphical one') } } });
  });

  it('refuses a ticket once it has expired', async () => {
    await waitFor('the first ticket to expire', () => (Date.now() > Date.parse(late.expiresAt) + 200 ? true : undefined), 10_000, 250);
    expect(await openVnc('screen', `?ticket=${late.ticket}`)).toMatchObject({ status: 401, body: { error: { code: 'ticket_invalid' } } });
  });

  it('closes with the VM: its socket goes, and no ticket is handed out', async () => {
    await daemon.client.call('stopVm', { params: { id: 'other' }, body: { force: true }, query: { wait: true } });
    expect(existsSync(join(daemon.dataDir, 'run', other.id, 'vnc.sock'))).toBe(false);
    const refused = await daemon.client.call('createConsoleTicket', { params: { id: 'other' }, body: {} }).catch((e: unknown) => e);
    expect((refused as HerdError).code).toBe('display_unavailable');
  });
});

describe("one VM's events (GET /events?target=)", () => {
  it("lists the VM's own events and its operations', by name or id, and nothing of other VMs", async () => {
    const byName = await daemon.client.call('listEvents', { query: { target: 'screen', limit: 1000 } });
    const byId = await daemon.client.call('listEvents', { query: { target: screen.id, limit: 1000 } });
    expect(byId).toEqual(byName);
    expect(byName.map((e) => e.type)).toEqual(expect.arrayContaining(['vm.created', 'vm.state', 'operation.created']));
    for (const e of byName) {
      const op = e.data.operation as { target: { id: string } } | undefined;
      expect(e.target.id === screen.id || op?.target.id === screen.id, JSON.stringify(e)).toBe(true);
    }
    const all = await daemon.client.call('listEvents', { query: { limit: 1000 } });
    expect(all.length).toBeGreaterThan(byName.length);
    const missing = await daemon.client.call('listEvents', { query: { target: 'nope' } }).catch((e: unknown) => e);
    expect((missing as HerdError).code).toBe('not_found');
  });

  it('streams only that VM\'s events', async () => {
    const seen: HerdEvent[] = [];
    const stop = new AbortController();
    const streaming = daemon.client.streamEvents((e) => seen.push(e), { target: 'screen', signal: stop.signal });
    // The stream is subscribed once the daemon has answered; an event about each VM then follows.
    await new Promise((r) => setTimeout(r, 500));
    await daemon.client.call('updateVm', { params: { id: 'other' }, body: { restartPolicy: 'no' } });
    await daemon.client.call('updateVm', { params: { id: 'screen' }, body: { restartPolicy: 'no' } });
    await waitFor('the update of screen on the stream', () => (seen.some((e) => e.type === 'vm.updated') ? true : undefined), 10_000);
    stop.abort();
    await streaming;
    expect(seen.map((e) => e.target.name)).toEqual(['screen']);
  });

  it('every answer matched the OpenAPI document', () => {
    expect(contractViolations).toEqual([]);
  });
});
