/**
 * The control page end to end in a real browser (Chromium) against the
 * simulator: sign in with a one-time link from `wagate dashboard`, link an
 * account by the QR the page draws, watch it connect, approve a pairing
 * request; a wrong token and a foreign Origin are refused. Takes the README's
 * screenshots (docs/screenshots/).
 */
import http from 'node:http';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { e2e, textOf, until, type E2E } from '../e2e/harness.js';
import { ROOT } from '../helpers/cli.js';
import { dashboardLink, launchBrowser, screenshotDir, view } from './browser.js';

const SHOTS = screenshotDir(ROOT);
const BOT = '+15550001001';

let h: E2E | null = null;
let browser: BrowserContext | null = null;
let other: http.Server | null = null;
afterEach(async () => {
  await browser?.close();
  browser = null;
  await new Promise<void>((r) => (other ? other.close(() => r()) : r()));
  other = null;
  await h?.close();
  h = null;
});


describe('the control page in a real browser (Chromium ↔ gateway ↔ simulator)', () => {
  it('signs in with a one-time link, links by the QR it draws, shows connected, approves a pairing request', async () => {
    h = await e2e({ channels: { whatsapp: { dmPolicy: 'pairing' } } });
    const gw = await h.startGateway();
    browser = await launchBrowser();
    const page = await browser.newPage();
    const url = await dashboardLink(h.env);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#code=/);

    await page.goto(url);
    await page.locator('[data-testid="account-state"]').first().waitFor();
    expect(await page.locator('[data-testid="account-state"]').first().textContent()).toBe('unlinked');
    expect(page.url()).not.toContain('code='); // the used code leaves the address bar
    // Link: the simulated phone scans the QR text the page shows.
    await view(page, 'link');
    await page.locator('[data-testid="link-qr"]').click();
    const qr = page.locator('[data-testid="qr"]');
    await qr.waitFor();
    const text = await qr.getAttribute('data-qr');
    expect(text).toContain(',');
    await page.screenshot({ path: path.join(SHOTS, 'link-qr-desktop.png') });
    await h.sim.phone(BOT).scanQr(text!);
    await page.locator('[data-testid="link-done"]').waitFor();
    expect(await page.locator('[data-testid="link-done"]').textContent()).toContain(BOT);

    await view(page, 'accounts');
    await page.locator('[data-testid="account-state"]:text-is("connected")').waitFor();
    expect(await page.locator('[data-testid="identity"]').textContent()).toBe(BOT);
    expect(await page.locator('g.node[data-current="true"]').getAttribute('data-state')).toBe('connected');
    await page.locator('details summary').first().click();
    await page.screenshot({ path: path.join(SHOTS, 'accounts-desktop.png'), fullPage: true });

    // Pairing: an unknown contact asks; the page approves.
    const eve = h.sim.contact('+15557770001', { name: 'Eve' });
    await eve.send('hello?');
    await until(() => eve.inbox.map(textOf).some((t) => t.includes('pairing')), 'the pairing code reply');
    await view(page, 'pairing');
    const row = page.locator('li.row[data-code]');
    await row.waitFor();
    expect(await row.textContent()).toContain('+15557770001');
    await page.screenshot({ path: path.join(SHOTS, 'pairing-desktop.png') });
    await row.locator('button:text-is("Approve")').click();
    await page.locator('[data-testid="pairing-note"]').waitFor();
    expect(await gw.store.pairing.approved()).toEqual(['+15557770001']);
    await page.locator('[data-testid="pairing-empty"]').waitFor();

    // Phone-sized screenshots of the same session.
    const phone = await browser.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(url.replace(/#.*$/, '#accounts'));
    await phone.locator('[data-testid="account-state"]:text-is("connected")').waitFor();
    await phone.screenshot({ path: path.join(SHOTS, 'accounts-phone.png'), fullPage: true });
    await view(phone, 'link');
    await phone.locator('[data-testid="link-qr"]').waitFor();
    await phone.screenshot({ path: path.join(SHOTS, 'link-phone.png') });

    // The link worked once: signed out, a second use is refused.
    await browser.clearCookies();
    await phone.goto('about:blank'); // else only the hash changes and the page does not load again
    await phone.goto(url);
    await phone.locator('.signin .error').waitFor();
    expect(await phone.locator('.signin .error').textContent()).toContain('used up or expired');
  });

  it('refuses a wrong token at sign-in, and a foreign Origin for the WebSocket and the code exchange', async () => {
    h = await e2e();
    const gw = await h.startGateway();
    browser = await launchBrowser({ width: 390, height: 844 });
    const page = await browser.newPage();
    const base = `http://127.0.0.1:${gw.control.port}/`;
    await page.goto(base);
    await page.locator('#token').fill('not-the-token');
    await page.locator('form[data-testid="signin"] button').click();
    await page.locator('.signin .error').waitFor();
    expect(await page.locator('.signin .error').textContent()).toContain('Wrong token');
    await page.screenshot({ path: path.join(SHOTS, 'signin-phone.png') });
    expect((await page.context().cookies()).length).toBe(0);

    // A page from another origin (another local port) tries the gateway.
    other = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>other</title>'));
    await new Promise<void>((r) => other!.listen(0, '127.0.0.1', () => r()));
    const foreign = `http://127.0.0.1:${(other.address() as { port: number }).port}/`;
    await page.goto(foreign);
    const link = await dashboardLink(h.env);
    const code = new URL(link).hash.replace('#code=', '');
    const outcome = await page.evaluate(
      async ({ gwPort, code }) => {
        const ws = await new Promise<string>((resolve) => {
          const s = new WebSocket(`ws://127.0.0.1:${gwPort}/`);
          s.onopen = () => resolve('open');
          s.onerror = () => resolve('refused');
        });
        // A simple (no preflight) cross-site POST: the browser sends it with its Origin.
        await fetch(`http://127.0.0.1:${gwPort}/ui/session`, { method: 'POST', mode: 'no-cors', body: JSON.stringify({ code }), headers: { 'content-type': 'text/plain' } }).catch(() => null);
        return ws;
      },
      { gwPort: gw.control.port, code },
    );
    expect(outcome).toBe('refused');
    // The foreign POST did not spend the code: it still signs in from the gateway's own origin.
    await page.goto(link);
    await page.locator('[data-testid="account-state"]').first().waitFor();
  });
});
