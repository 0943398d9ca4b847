/**
 * Chromium for the browser tests: Debian's /usr/bin/chromium (or $WAGATE_CHROMIUM),
 * headless, no network services of its own, a fresh user-data dir per launch.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

export const CHROMIUM = process.env.WAGATE_CHROMIUM ?? '/usr/bin/chromium';

export async function launchBrowser(viewport = { width: 1280, height: 900 }): Promise<BrowserContext> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (or set WAGATE_CHROMIUM)`);
  return chromium.launchPersistentContext(tmpDir('chromium'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/**
 * Where the browser tests write their screenshots: docs/screenshots (the README's) with
 * WAGATE_SCREENSHOTS=1, else a temp dir, so a test run does not rewrite committed files.
 */
export function screenshotDir(root: string): string {
  if (process.env.WAGATE_SCREENSHOTS === '1') return path.join(root, 'docs', 'screenshots');
  return tmpDir('shots', { scope: 'file' });
}

/** `wagate dashboard --json`: the one-time sign-in link. */
export async function dashboardLink(env: Record<string, string>): Promise<string> {
  const res = await runCli(['dashboard', '--json'], env);
  expect(res.code).toBe(0);
  return (JSON.parse(res.stdout) as { url: string }).url;
}

/** Opens one of the page's views by its nav button. */
export const view = (page: Page, name: string) => page.locator(`nav button[data-view="${name}"]`).click();
