import { launchChromium } from '../helpers/browser.js';
import { DaemonProcess } from '../helpers/daemon-process.js';
import { it } from 'vitest';

it('diag', async () => {
  const daemon = new DaemonProcess();
  await daemon.start();
  await daemon.client.call('buildImage', { body: { recipe: 'tiny' }, query: { wait: true } });
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  page.on('console', (m) => console.log(`console: ${m.text()}`));
  await page.goto(daemon.url + '/create');
  await page.waitForSelector('#create-image option[value="tiny"]', { state: 'attached' });
  await page.fill('#create-name', 'web1');
  await page.fill('#create-memory', '128');
  await page.click('#create-submit');
  await page.waitForURL((u) => u.pathname === '/vms/web1');
  await new Promise((r) => setTimeout(r, 25000));
  await page.screenshot({ path: '/tmp/diag/a.png', fullPage: true });
  console.log('TEXT', await page.textContent('#vm-web1-console'));
  console.log('LOG', (await daemon.cli(['vm', 'console', 'web1', '--log'])).stdout.slice(-600));
  console.log('VM', JSON.stringify(await daemon.client.call('getVm', { params: { id: 'web1' } })));
  await browser.close();
  await daemon.destroy();
}, 120_000);
