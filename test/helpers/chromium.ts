/**
 * Debian's Chromium driven by playwright-core for the browser tests: found at `/usr/bin/chromium` (or
 * `RTMSKIT_CHROMIUM`), launched headless in a throwaway profile with everything that would reach the
 * network turned off. Without it the tests skip, naming what is missing, except in CI where they fail.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.RTMSKIT_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_FOUND = existsSync(CHROMIUM_PATH);
export const CHROMIUM_MISSING = `Chromium not found at ${CHROMIUM_PATH}: apt-get install chromium (or set RTMSKIT_CHROMIUM)`;

/**
 * True when the browser suites should skip: Chromium is missing and this is not CI (where a missing
 * browser must fail the run, so the suites run and fail to launch it). Warns when it skips.
 */
export function skipWithoutChromium(): boolean {
  if (CHROMIUM_FOUND || process.env.CI) return false;
  console.warn(`SKIPPED browser tests: ${CHROMIUM_MISSING}`);
  return true;
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // The tests play a recording without a click.
  '--autoplay-policy=no-user-gesture-required',
];

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions of the page, as they came. */
  errors: string[];
  close(): Promise<void>;
}

export async function openBrowser(options: { width?: number; height?: number } = {}): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'rtmskit-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: { width: options.width ?? 1400, height: options.height ?? 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  if (process.env.RTMSKIT_BROWSER_CONSOLE)
    page.on('console', (m) => console.log('browser:', m.type(), m.text()));
  return {
    context,
    page,
    errors,
    async close() {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}
