/**
 * The web UI in a real browser (Debian's Chromium through playwright-core) against a real
 * daemon with real tiny guests: create a VM through the form and watch it boot, use its serial
 * console, stop and delete it; see a VM made through the CLI behind the UI's back appear and
 * change state without a reload; see the API's message beside the field of a bad create;
 * make a volume, grow it (a shrink is refused with the API's words), hot-plug it into a running
 * guest and snapshot that guest, and see a volume made through the API appear on its own;
 * follow a VM's metrics in charts, read its own events (filtered by the daemon), and see the
 * screen of a VM with a VNC display through noVNC. Every page needs a session: the test signs
 * in with the cluster admin's token first; a wrong token is refused on the login page, a viewer
 * sees VMs without their buttons, a revoked token sends the page back to the login, and the
 * project switcher shows another project's (empty) VM list. The same run takes the screenshots
 * in docs/screenshots/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { HerdError } from '@herd/api';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { DaemonProcess } from '../helpers/daemon-process.js';
import { waitFor } from '../helpers/wait.js';

const shots = join(import.meta.dirname, '..', '..', 'docs', 'screenshots');
const daemon = new DaemonProcess();
let browser: Browser;
let page: Page;

/** Waits until the text of `selector` contains `text`; returns that text. */
async function waitForText(selector: string, text: string, timeout = 30_000): Promise<string> {
  await page.waitForFunction(
    ([sel, want]) => (document.querySelector(sel!)?.textContent ?? '').replaceAll('\u00a0', ' ').includes(want!),
    [selector, text] as const,
    { timeout, polling: 100 },
  );
  return (await page.textContent(selector)) ?? '';
}

/** Waits until VM `name` shows `state` (its `vm-${name}-state` badge). */
async function waitForState(name: string, state: string, timeout = 60_000): Promise<void> {
  await page.waitForSelector(`#vm-${name}-state[data-state="${state}"]`, { timeout });
}

/** Goes to `path` in the app as a user would: through the in-app link with that href. */
async function go(path: string): Promise<void> {
  await page.click(`header nav a[href="${path}"]`);
  await page.waitForURL((u) => u.pathname === path);
}

async function shot(name: string, on: Page = page): Promise<void> {
  await on.screenshot({ path: join(shots, `${name}.png`) });
}

/** A fresh browser context (its own localStorage, so no session) on `path` of the daemon. */
async function freshPage(path = '/'): Promise<Page> {
  const p = await browser.newPage({ viewport: { width: 1280, height: 860 }, colorScheme: 'light' });
  p.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  await p.goto(`${daemon.url}${path}`);
  return p;
}

/** Signs in on `on`, which shows the login page, by pasting `token`. */
async function signIn(on: Page, token: string): Promise<void> {
  await on.waitForSelector('#login-token');
  await on.fill('#login-token', token);
  await on.click('#login-submit');
  await on.waitForSelector('#logout');
}

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  // Samples every second, so charts have points within the test's time.
  await daemon.start(['--metrics-interval', '1']);
  await daemon.client.call('buildImage', { body: { recipe: 'tiny' }, query: { wait: true } });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 860 }, colorScheme: 'light' });
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  await page.goto(daemon.url);
  // Signed out, every path shows the login page, which returns there after signing in.
  await page.waitForURL((u) => u.pathname === '/login' && u.searchParams.get('next') === '/');
  await signIn(page, daemon.token);
  await page.waitForURL((u) => u.pathname === '/');
  // Set once; if the page ever reloads, the marker is gone.
  await page.evaluate(() => ((window as unknown as { herdMarker: number }).herdMarker = 42));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await daemon.destroy();
}, 120_000);

async function notReloaded(): Promise<void> {
  expect(await page.evaluate(() => (window as unknown as { herdMarker?: number }).herdMarker)).toBe(42);
}

describe('the web UI', () => {
  it('serves the app at / and any app path, and keeps the API 404 JSON', async () => {
    const root = await fetch(`${daemon.url}/vms/whatever`);
    expect(root.status).toBe(200);
    expect(root.headers.get('content-type')).toContain('text/html');
    const api = await fetch(`${daemon.url}/api/v1/nope`);
    expect(api.status).toBe(404);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('route_not_found');
    await waitForText('#host-accel', 'TCG');
    expect(await page.textContent('#host-accel-reason')).toMatch(/kvm/i);
    // Who is signed in, and as what, in the project shown.
    const who = await daemon.client.call('getWhoami');
    expect(await page.textContent('#session-user')).toContain(who.user);
    expect(await page.textContent('#session-role')).toBe('cluster admin');
    expect(await page.inputValue('#project-select')).toBe('default');
  });

  it('refuses a wrong token on the login page, and keeps no session', async () => {
    const other = await freshPage('/vms');
    try {
      await other.waitForURL((u) => u.pathname === '/login' && u.searchParams.get('next') === '/vms');
      await other.fill('#login-token', 'not-a-real-token');
      await other.click('#login-submit');
      await other.waitForSelector('#login-error');
      expect(await other.textContent('#login-error')).toMatch(/not accepted/);
      expect(await other.getAttribute('#login-token', 'aria-invalid')).toBe('true');
      expect(new URL(other.url()).pathname).toBe('/login');
      expect(await other.evaluate(() => localStorage.getItem('herd.token'))).toBeNull();
      await shot('login', other);
    } finally {
      await other.close();
    }
  });

  it('creates a VM through the form and shows it reach running', async () => {
    await go('/create');
    await page.waitForSelector('#create-image option[value="tiny"]', { state: 'attached' });
    await page.fill('#create-name', 'web1');
    await page.fill('#create-memory', '128');
    await page.click('#create-submit');
    await page.waitForURL((u) => u.pathname === '/vms/web1');
    await waitForState('web1', 'running');
    expect(await page.textContent('#vm-web1-accel')).toBe('tcg');
    expect(Number(await page.textContent('#vm-web1-pid'))).toBeGreaterThan(0);
    expect(await page.isDisabled('#vm-web1-start')).toBe(true);
    expect(await page.isEnabled('#vm-web1-stop')).toBe(true);
  });

  it('shows the serial console in the browser, and typing works', async () => {
    await waitForText('#vm-web1-console', 'HERD-GUEST-READY', 60_000);
    await page.click('#vm-web1-console');
    await page.keyboard.type('echo hi-$((6*7))\n');
    await waitForText('#vm-web1-console', 'hi-42', 20_000);
    await waitForText('#vm-web1-events', 'vm.state');
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot('vm-detail-console');
    await notReloaded();
  });

  it('shows the API message beside the name field when the name is taken', async () => {
    await go('/create');
    await page.waitForSelector('#create-image option[value="tiny"]', { state: 'attached' });
    await page.fill('#create-name', 'web1');
    await page.fill('#create-memory', '128');
    await page.click('#create-submit');
    const message = await waitForText('#create-name-error', 'already exists');
    const api = await daemon.client.call('createVm', { body: { name: 'web1', image: 'tiny', memoryMiB: 128 } }).catch((e: unknown) => e);
    expect(api).toBeInstanceOf(HerdError);
    expect(message).toBe((api as HerdError).message);
    expect(await page.getAttribute('#create-name', 'aria-invalid')).toBe('true');
    expect(new URL(page.url()).pathname).toBe('/create');
    await shot('create-form');
  });

  it('follows a VM made through the CLI behind its back, without a reload', async () => {
    await go('/vms');
    await page.waitForSelector('#vm-web1-row');
    const made = await daemon.cli(['vm', 'create', 'cli1', '--image', 'tiny', '--memory', '128M', '--start']);
    expect(made.code, made.stderr).toBe(0);
    await waitForState('cli1', 'running');
    await shot('vm-list');
    await daemon.client.call('stopVm', { params: { id: 'cli1' }, body: { force: true }, query: { wait: true } });
    await waitForState('cli1', 'stopped');
    expect(await page.isEnabled('#vm-cli1-start')).toBe(true);
    expect(await page.isDisabled('#vm-cli1-stop')).toBe(true);
    // Bulk start from the list.
    await page.check('#vm-cli1-select');
    await page.click('#vm-bulk-start');
    await waitForText('#vm-list-message', 'start requested for 1 VM');
    await waitForState('cli1', 'running');
    // Search narrows the list.
    await page.fill('#vm-search', 'cli');
    await page.waitForSelector('#vm-web1-row', { state: 'detached' });
    expect(await page.isVisible('#vm-cli1-row')).toBe(true);
    await page.fill('#vm-search', '');
    await notReloaded();
  });

  it('stops and deletes a VM from its page', async () => {
    await page.click('#vm-web1-link');
    await page.waitForURL((u) => u.pathname === '/vms/web1');
    await waitForState('web1', 'running');
    await page.click('#vm-web1-stop');
    await waitForState('web1', 'stopped', 60_000);
    await page.click('#vm-web1-delete');
    await page.click('#vm-web1-delete-confirm');
    await page.waitForURL((u) => u.pathname === '/vms');
    // The list has loaded (cli1 shows) and web1 leaves it once the delete operation is done.
    await page.waitForSelector('#vm-cli1-row');
    await page.waitForSelector('#vm-web1-row', { state: 'detached', timeout: 30_000 });
    await waitFor('web1 gone from the API', () => daemon.client.call('getVm', { params: { id: 'web1' } }).then(() => undefined, (e: unknown) => (e instanceof HerdError && e.code === 'not_found' ? true : undefined)), 10_000);
    await notReloaded();
  });

  it('lists images (in-use ones cannot be deleted) and operations', async () => {
    await go('/images');
    await page.waitForSelector('#image-tiny-row');
    expect(await page.isDisabled('#image-tiny-delete')).toBe(true);
    await go('/operations');
    await waitForText('#operation-table', 'vm.create');
    await waitForText('#operation-table', 'image.build');
  });

  it('is usable from the keyboard: a skip link comes first, links and buttons take Enter', async () => {
    const first = await page.evaluate(() => document.querySelector<HTMLElement>('a[href], button, input, select, [tabindex]:not([tabindex="-1"])')?.textContent);
    expect(first).toBe('Skip to content');
    await page.focus('header nav a[href="/vms"]');
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.pathname === '/vms');
    await page.waitForSelector('#vm-cli1-row');
    await page.focus('#vm-search');
    await page.keyboard.type('nothing-like-this');
    await page.waitForSelector('#vm-list-empty');
    await page.fill('#vm-search', '');
    await notReloaded();
  });

  it('shows the dashboard with counts, operations and events (light and dark)', async () => {
    await go('/');
    await waitForText('#count-running', '1');
    await waitForText('#recent-events', 'vm.');
    await shot('dashboard');
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot('dashboard-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('makes a volume, grows it (never shrinks), and hot-plugs it into a running VM', async () => {
    await go('/storage');
    await page.waitForSelector('#pool-default-row');
    expect(Number(await page.textContent('#pool-default-volumes'))).toBeGreaterThan(0);
    await page.click('#volume-create-open');
    await page.fill('#volume-create-name', 'data1');
    await page.fill('#volume-create-size', '64');
    await page.selectOption('#volume-create-size-unit', 'MiB');
    await page.click('#volume-create-submit');
    await page.waitForSelector('#volume-data1-row');
    expect(await page.isVisible('#volume-create-form')).toBe(false);

    await page.click('#volume-data1-resize');
    expect(await page.inputValue('#volume-data1-resize-size')).toBe('64');
    await page.fill('#volume-data1-resize-size', '32');
    await page.click('#volume-data1-resize-submit');
    const refused = await waitForText('#volume-data1-resize-size-error', 'volumes only grow');
    const api = await daemon.client.call('resizeVolume', { params: { id: 'data1' }, body: { sizeBytes: 32 * 2 ** 20 } }).catch((e: unknown) => e);
    expect(api).toBeInstanceOf(HerdError);
    expect(refused).toBe((api as HerdError).message);
    await page.fill('#volume-data1-resize-size', '128');
    await page.click('#volume-data1-resize-submit');
    await waitForText('#volume-data1-size', '128 MiB');

    await page.click('#volume-data1-attach');
    await page.selectOption('#volume-data1-attach-vm', 'cli1');
    await page.click('#volume-data1-attach-submit');
    await waitForText('#volume-data1-vm', 'cli1', 60_000);
    // The row names the VM as soon as the volume is attached; detach is offered once the attach operation has finished.
    await page.waitForSelector('#volume-data1-detach:not([disabled])', { timeout: 30_000 });
    expect(await page.isDisabled('#volume-cli1-root-detach')).toBe(true);
  });

  it('shows a volume made through the API behind its back, without a reload', async () => {
    await daemon.client.call('createVolume', { body: { name: 'api1', sizeBytes: 32 * 2 ** 20, format: 'raw' } });
    await waitForText('#volume-api1-row', 'raw');
    await notReloaded();
    await shot('storage');
  });

  it("shows the VM's disks and takes snapshots that form a tree", async () => {
    await page.click('#volume-data1-vm a');
    await page.waitForURL((u) => u.pathname === '/vms/cli1');
    await page.waitForSelector('#disk-data1-row');
    expect(await page.getAttribute('#disk-cli1-root-row', 'data-role')).toBe('root');
    expect(await page.isEnabled('#vm-cli1-snapshot-memory')).toBe(true);
    for (const name of ['base', 'tuned']) {
      await page.fill('#vm-cli1-snapshot-name', name);
      await page.click('#vm-cli1-snapshot-create');
      await page.waitForSelector(`#snapshot-${name}[data-current="true"]`, { timeout: 60_000 });
    }
    // The second was taken on top of the first: it sits inside it, and is the current one.
    await page.waitForSelector('#snapshot-base[data-current="false"] #snapshot-tuned[data-current="true"]');
    expect(await page.isVisible('#snapshot-tuned-current')).toBe(true);
    await page.click('#snapshot-base-revert');
    expect(await page.textContent('#snapshot-base .confirm')).toContain('A running VM is stopped first, and resumes only if the snapshot saved its memory');
    await page.click('#snapshot-base-revert-cancel');
    await page.evaluate(() => {
      const top = document.getElementById('disks-title')!.getBoundingClientRect().top;
      window.scrollTo(0, top + window.scrollY - 70);
    });
    await shot('vm-detail-storage');
    await notReloaded();
  });

  it("charts the VM's CPU, memory and disk I/O as samples arrive, over a range picked above them", async () => {
    // A burst of work in the guest, so the charts have something to show.
    await daemon.cli(['vm', 'console', 'cli1', '--quiet-ms', '500'], 'i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done; echo burst-done\n');
    await page.waitForSelector('#vm-cli1-chart-cpu path.chart-line[d^="M"]', { timeout: 30_000 });
    for (const chart of ['memory', 'disk']) await page.waitForSelector(`#vm-cli1-chart-${chart} path.chart-line`);
    // New samples extend the line without a reload (one timer for all the charts).
    const before = await page.getAttribute('#vm-cli1-chart-cpu path.chart-line', 'd');
    await page.waitForFunction((d) => document.querySelector('#vm-cli1-chart-cpu path.chart-line')?.getAttribute('d') !== d, before, { timeout: 15_000 });
    expect(await page.textContent('#vm-cli1-chart-memory-legend')).toMatch(/RSS \d+(\.\d)? MiB/);
    await page.click('#vm-cli1-range-6h');
    await page.waitForSelector('#vm-cli1-range-6h[aria-checked="true"]');
    // Over 6 hours the points are minute averages: so far maybe one, which draws as a dot.
    await page.waitForSelector('#vm-cli1-chart-cpu path.chart-line[d^="M"]', { state: 'attached' });
    await page.click('#vm-cli1-range-1h');
    // Half a minute of samples for the picture, with the pointer's readout on the CPU chart.
    await page.waitForFunction(() => (document.querySelector('#vm-cli1-chart-cpu path.chart-line')?.getAttribute('d')?.split('L').length ?? 0) > 30, undefined, { timeout: 60_000 });
    await page.evaluate(() => {
      const top = document.getElementById('vm-cli1-metrics')!.getBoundingClientRect().top;
      window.scrollTo(0, top + window.scrollY - 70);
    });
    const box = (await page.locator('#vm-cli1-chart-cpu').boundingBox())!;
    await page.hover('#vm-cli1-chart-cpu', { position: { x: box.width * 0.93, y: box.height * 0.4 } });
    await waitForText('#vm-cli1-chart-cpu-legend', ':');
    await shot('vm-metrics');
    await notReloaded();
  });

  it("reads the VM's own events from the daemon, filtered there", async () => {
    const asked: string[] = [];
    const listen = (r: { url(): string }) => void asked.push(r.url());
    page.on('request', listen);
    await go('/vms');
    await page.click('#vm-cli1-link');
    await page.waitForURL((u) => u.pathname === '/vms/cli1');
    await waitForText('#vm-cli1-events', 'snapshot');
    page.off('request', listen);
    const cli1 = await daemon.client.call('getVm', { params: { id: 'cli1' } });
    expect(asked.some((u) => new URL(u).pathname === '/api/v1/events' && new URL(u).searchParams.get('target') === cli1.id)).toBe(true);
    // The list holds cli1's events only: none of the image build or of the deleted web1.
    expect(await page.textContent('#vm-cli1-events')).not.toMatch(/image\.|web1/);
  });

  it('offers a VNC display to a VM without one, from its graphical console tab', async () => {
    await page.click('#vm-cli1-tab-graphical');
    await page.waitForSelector('#vm-cli1-vnc-enable');
    expect(await page.textContent('#vm-cli1-vnc-none')).toContain('next start');
    await page.click('#vm-cli1-tab-serial');
    await page.waitForSelector('#vm-cli1-console');
  });

  it('shows the screen of a VM with a VNC display through noVNC', async () => {
    await daemon.client.call('createVm', { body: { name: 'gfx', image: 'tiny', memoryMiB: 128, display: 'vnc', start: true }, query: { wait: true } });
    await go('/vms');
    await page.click('#vm-gfx-link');
    await page.waitForURL((u) => u.pathname === '/vms/gfx');
    expect(await page.textContent('#vm-gfx-display')).toContain('VNC');
    // A VM with a display opens on its screen.
    expect(await page.getAttribute('#vm-gfx-tab-graphical', 'aria-selected')).toBe('true');
    await page.waitForSelector('#vm-gfx-vnc canvas', { timeout: 30_000 });
    await waitForText('#vm-gfx-vnc-status', 'Graphical console connected');
    expect(await page.isEnabled('#vm-gfx-vnc-ctrl-alt-del')).toBe(true);
    // The tiny guest's console is its serial port: the screen shows the firmware's boot, then stays.
    await waitFor('the guest to boot', async () => ((await daemon.client.call('getVmConsole', { params: { id: 'gfx' } })).includes('HERD-GUEST-READY') ? true : undefined), 60_000, 500);
    await page.evaluate(() => document.getElementById('console-title')!.scrollIntoView({ block: 'start' }));
    await page.evaluate(() => window.scrollBy(0, -70));
    await shot('vm-graphical-console');
    // Stopped behind the UI's back, the console says so and stops trying.
    await daemon.client.call('stopVm', { params: { id: 'gfx' }, body: { force: true }, query: { wait: true } });
    await waitForText('#vm-gfx-vnc-status', 'not available');
    await notReloaded();
  });

  it('shows a viewer the VMs without their buttons, and signs them out when their token is revoked', async () => {
    await daemon.client.call('createUser', { body: { name: 'vera' } });
    await daemon.client.call('setProjectMember', { params: { id: 'default', user: 'vera' }, body: { role: 'viewer' } });
    const token = await daemon.client.call('createToken', { params: { id: 'vera' }, body: { name: 'browser' } });
    const viewer = await freshPage('/vms');
    try {
      await signIn(viewer, token.secret);
      // Back where the login was asked for.
      await viewer.waitForURL((u) => u.pathname === '/vms');
      await viewer.waitForSelector('#vm-cli1-row');
      expect(await viewer.textContent('#session-user')).toContain('vera');
      expect(await viewer.textContent('#session-role')).toBe('viewer');
      for (const hidden of ['#vm-cli1-start', '#vm-cli1-stop', '#vm-bulk-start', '#vm-list-create', '#nav-create']) expect(await viewer.$(hidden), hidden).toBeNull();
      await viewer.click('#vm-cli1-link');
      await viewer.waitForURL((u) => u.pathname === '/vms/cli1');
      await viewer.waitForSelector('#vm-cli1-status');
      for (const action of ['start', 'stop', 'restart', 'pause', 'resume', 'delete', 'force-stop', 'clone', 'backup']) expect(await viewer.$(`#vm-cli1-${action}`), action).toBeNull();
      // Consoles need operator: the page says so instead of opening one.
      await viewer.waitForSelector('#vm-cli1-console-denied');
      await viewer.waitForSelector('#vm-cli1-snapshots');
      expect(await viewer.$('#vm-cli1-snapshot-form')).toBeNull();

      // Revoked behind the page's back: the next request is refused, and the page asks for a token.
      await daemon.client.call('revokeToken', { params: { id: 'vera', token: token.id } });
      await viewer.click('header nav a[href="/images"]');
      await viewer.waitForURL((u) => u.pathname === '/login' && u.searchParams.get('next') === '/images');
      expect(await viewer.textContent('#login-error')).toMatch(/no longer accepted/);
      expect(await viewer.evaluate(() => localStorage.getItem('herd.token'))).toBeNull();
    } finally {
      await viewer.close();
    }
  });

  it("switches to another project and shows its (empty) VM list, then back", async () => {
    await daemon.client.call('createProject', { body: { name: 'lab', description: 'a second project', limits: { vms: 4, memoryMiB: 2048 } } });
    await go('/vms');
    await page.waitForSelector('#vm-cli1-row');
    // The switcher reads the projects again on every move: lab is offered.
    await page.waitForFunction(() => [...document.querySelector<HTMLSelectElement>('#project-select')!.options].some((o) => o.value === 'lab'));
    await page.selectOption('#project-select', 'lab');
    await page.waitForSelector('#vm-list-empty');
    expect(await page.$('#vm-cli1-row')).toBeNull();
    expect(await page.evaluate(() => localStorage.getItem('herd.project'))).toBe('lab');
    await go('/projects');
    await page.waitForSelector('#project-lab-current');
    expect(await page.textContent('#project-default-vms')).toMatch(/^[1-9]\d* of no limit/);
    await shot('projects');
    await page.click('#project-default-use');
    await page.waitForSelector('#project-default-current');
    expect(await page.inputValue('#project-select')).toBe('default');
    await go('/vms');
    await page.waitForSelector('#vm-cli1-row');
    await notReloaded();
  });

  it('signs out: the login page shows and the token is forgotten', async () => {
    await page.click('#logout');
    await page.waitForSelector('#login-token');
    await page.waitForURL((u) => u.pathname === '/login');
    expect(await page.evaluate(() => localStorage.getItem('herd.token'))).toBeNull();
    await notReloaded();
  });
});
