/**
 * The system's Chromium, driven by playwright-core (Playwright's own browser download is not
 * used: CI installs Debian's `chromium` package). `CHROMIUM_PATH` points elsewhere.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

/** The environment variable that names the Chromium executable. */
export const CHROMIUM_PATH_ENV_VAR = 'CHROMIUM_PATH';

/** Flags for a headless run that talks to nothing but the page under test. */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches Chromium with a fresh profile (Playwright gives each launch its own user-data-dir). */
export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env[CHROMIUM_PATH_ENV_VAR]?.trim() || '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(
      `no Chromium at ${executablePath}: install it (apt-get install chromium) or set ${CHROMIUM_PATH_ENV_VAR}`,
    );
  }
  return chromium.launch({ executablePath, args: FLAGS, timeout: 60_000 });
}

/** Every console error and uncaught exception of a page, as text. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  page.on('requestfailed', (request) => {
    // An event stream torn down by a navigation or by the end of the test is not an error.
    if (!request.url().endsWith('/api/stream')) errors.push(`request failed: ${request.url()}`);
  });
  return errors;
}
