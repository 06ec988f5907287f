/**
 * Debian's Chromium driven by playwright-core, for browser tests and benchmarks. Never a
 * downloaded browser: the executable is /usr/bin/chromium (`apt-get install chromium`).
 */
import { chromium, type Browser } from 'playwright-core';

/** Where Debian installs Chromium. */
export const chromiumPath = process.env.HERD_CHROMIUM ?? '/usr/bin/chromium';

/** Command-line flags for a quiet, headless Chromium in a container. */
export const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

/** Launches headless Chromium; close it with `browser.close()`. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
}
