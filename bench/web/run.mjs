#!/usr/bin/env node
// Web UI figures with 500 VMs listed (records created through the API with start:false, never
// booted), measured in Debian's Chromium through playwright-core:
//   weight   bytes transferred (gzip, as the daemon serves them) for the VM list page, and for a
//            VM page that also loads the console (xterm.js), by kind: JS, CSS, HTML.
//   ready    cold load of /vms until all VMs are listed and the first row is on screen (median of
//            --runs fresh browser contexts), with first contentful paint and total blocking time.
//   scroll   frame times while the list scrolls top to bottom at 60 px a frame, and how many rows
//            the DOM holds meanwhile (virtualized: a screenful, not 500).
// Usage: node bench/web/run.mjs [--vms 500] [--runs 5]   (after `npm run build`)
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { HerdClient } from '../../packages/api/dist/index.js';

const repo = join(import.meta.dirname, '..', '..');
const { values: opts } = parseArgs({ options: { vms: { type: 'string', default: '500' }, runs: { type: 'string', default: '5' } } });
const vmCount = Number(opts.vms);
const runs = Number(opts.runs);
const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.floor((s.length - 1) / 2)] + s[Math.ceil((s.length - 1) / 2)]) / 2 : NaN;
};
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
const ms = (n) => `${n.toFixed(1)} ms`;

function startDaemon(dataDir) {
  // No default network: the VMs never boot, and 500 of them would exhaust its addresses (and a
  // bench run as root would otherwise make a real bridge and NAT rules on this host).
  const child = spawn(process.execPath, [join(repo, 'packages/daemon/dist/main.js'), '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--log-level', 'info', '--no-default-network'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let buf = '';
    child.on('exit', (code) => reject(new Error(`daemon exited with ${code}`)));
    child.stdout.on('data', (b) => {
      buf += b;
      for (const line of buf.split('\n')) {
        try {
          const j = JSON.parse(line);
          if (j.msg === 'herd is serving') resolve({ child, url: j.url });
        } catch {
          // partial line
        }
      }
    });
  });
}

/** Bytes on the wire per resource type for one page load (CDP encodedDataLength). */
async function pageWeight(browser, url, ready) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  const kinds = new Map();
  const totals = { js: 0, css: 0, html: 0, api: 0, other: 0 };
  cdp.on('Network.responseReceived', (e) => {
    const u = new URL(e.response.url);
    const kind = u.pathname.startsWith('/api/') ? 'api' : u.pathname.endsWith('.js') ? 'js' : u.pathname.endsWith('.css') ? 'css' : e.type === 'Document' ? 'html' : 'other';
    kinds.set(e.requestId, kind);
  });
  cdp.on('Network.loadingFinished', (e) => {
    const k = kinds.get(e.requestId);
    if (k) totals[k] += e.encodedDataLength;
  });
  await page.goto(url);
  await ready(page);
  await page.waitForTimeout(300);
  await context.close();
  return totals;
}

/** One cold load of the list: ms from navigation start until every VM is listed and rows show. */
async function coldLoad(browser, url) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((l) => window.__longTasks.push(...l.getEntries().map((e) => e.duration))).observe({ type: 'longtask', buffered: true });
  });
  await page.goto(`${url}/vms`);
  const readyAt = await page.waitForFunction(
    (n) => {
      const count = document.querySelector('#vm-count')?.textContent ?? '';
      return count.startsWith(`${n} of ${n}`) && document.querySelector('#vm-list .vrow') ? performance.now() : false;
    },
    vmCount,
    { polling: 'raf', timeout: 60_000 },
  );
  const ready = await readyAt.jsonValue();
  await page.waitForTimeout(500);
  const { fcp, tbt } = await page.evaluate(() => ({
    fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN,
    tbt: window.__longTasks.reduce((s, d) => s + Math.max(0, d - 50), 0),
  }));
  await context.close();
  return { ready, fcp, tbt };
}

/** Scrolls the list top to bottom, 60 px a frame, and records frame intervals and DOM rows. */
async function scrollFrames(browser, url) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  await page.goto(`${url}/vms`);
  await page.waitForFunction((n) => (document.querySelector('#vm-count')?.textContent ?? '').startsWith(`${n} of ${n}`), vmCount, { timeout: 60_000 });
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  const work = async () => {
    const m = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((x) => [x.name, x.value]));
    return (m.ScriptDuration + m.LayoutDuration + m.RecalcStyleDuration) * 1000;
  };
  let apiReads = 0;
  page.on('request', (q) => {
    if (new URL(q.url()).pathname.startsWith('/api/')) apiReads++;
  });
  const before = await work();
  const r = await page.evaluate(
    () =>
      new Promise((resolve) => {
        const list = document.querySelector('#vm-list');
        const frames = [];
        let maxRows = 0;
        let last = performance.now();
        const step = (t) => {
          frames.push(t - last);
          last = t;
          maxRows = Math.max(maxRows, list.querySelectorAll('.vrow').length);
          if (list.scrollTop + list.clientHeight >= list.scrollHeight - 1) {
            resolve({ frames: frames.slice(1), maxRows, scrollHeight: list.scrollHeight });
            return;
          }
          list.scrollTop += 60;
          requestAnimationFrame(step);
        };
        requestAnimationFrame(step);
      }),
  );
  r.mainThreadMsPerFrame = (await work() - before) / r.frames.length;
  r.apiReads = apiReads;
  await context.close();
  return r;
}

const dataDir = mkdtempSync('/tmp/herdweb-bench-');
const { child, url } = await startDaemon(dataDir);
let browser;
try {
  const client = new HerdClient({ url, token: readFileSync(join(dataDir, 'admin.token'), 'utf8').trim() });
  process.stderr.write(`bench/web: building the tiny image and creating ${vmCount} VMs (not started)…\n`);
  await client.call('buildImage', { body: { recipe: 'tiny' }, query: { wait: true } });
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < vmCount) {
        const i = next++;
        await client.call('createVm', { body: { name: `bench-${String(i).padStart(3, '0')}`, image: 'tiny', memoryMiB: 128, start: false } });
      }
    }),
  );
  process.stderr.write(`bench/web: ${vmCount} VMs created in ${((performance.now() - t0) / 1000).toFixed(1)} s; measuring…\n`);

  browser = await chromium.launch({ executablePath: process.env.HERD_CHROMIUM ?? '/usr/bin/chromium', args: chromiumArgs });
  const listWeight = await pageWeight(browser, `${url}/vms`, (p) => p.waitForSelector('#vm-list .vrow'));
  const detailWeight = await pageWeight(browser, `${url}/vms/bench-000`, (p) => p.waitForSelector('#vm-bench-000-console .xterm-rows'));
  const loads = [];
  for (let i = 0; i < runs; i++) loads.push(await coldLoad(browser, url));
  const scroll = await scrollFrames(browser, url);

  const f = scroll.frames;
  const result = {
    vms: vmCount,
    weight: { listPage: listWeight, vmPageWithConsole: detailWeight },
    load: { runs: loads, medianReadyMs: median(loads.map((l) => l.ready)), medianFcpMs: median(loads.map((l) => l.fcp)), medianTbtMs: median(loads.map((l) => l.tbt)) },
    loadAverage: loadavg(),
    scroll: { mainThreadMsPerFrame: scroll.mainThreadMsPerFrame, apiReadsDuringScroll: scroll.apiReads, frames: f.length, medianMs: median(f), p95Ms: pct(f, 95), maxMs: Math.max(...f), over20Ms: f.filter((x) => x > 20).length, maxDomRows: scroll.maxRows },
  };
  mkdirSync(join(repo, 'bench', 'results'), { recursive: true });
  const out = join(repo, 'bench', 'results', `web-${Date.now()}.json`);
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);

  const w = (t) => `JS ${kib(t.js)}, CSS ${kib(t.css)}, HTML ${kib(t.html)} (JS+CSS+HTML ${kib(t.js + t.css + t.html)}; API data ${kib(t.api)})`;
  console.log(`herd web UI, ${vmCount} VMs listed (Chromium ${browser.version()}, headless)`);
  console.log(`  page weight, VM list (gzip on the wire):      ${w(listWeight)}`);
  console.log(`  page weight, VM page with console:            ${w(detailWeight)}`);
  console.log(`  cold load of /vms until all ${vmCount} listed:      median ${ms(result.load.medianReadyMs)} over ${runs} runs (FCP ${ms(result.load.medianFcpMs)}, total blocking time ${ms(result.load.medianTbtMs)})`);
  console.log(`  scroll top to bottom, ${f.length} frames:          median frame ${ms(result.scroll.medianMs)}, p95 ${ms(result.scroll.p95Ms)}, max ${ms(result.scroll.maxMs)}, ${result.scroll.over20Ms} frames over 20 ms`);
  console.log(`  script+style+layout per scroll frame:         ${ms(scroll.mainThreadMsPerFrame)} (the UI's own share of each frame)`);
  console.log(`  rows in the DOM while scrolling:              at most ${scroll.maxRows} of ${vmCount} (API reads meanwhile: ${scroll.apiReads})`);
  console.log(`  host load average during the run: ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${availableParallelism()} CPUs (frame times suffer on a busy host)`);
  console.log(`  results: ${out}`);
} finally {
  await browser?.close();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dataDir, { recursive: true, force: true });
}
