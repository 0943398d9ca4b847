/**
 * The control page's other views in a real browser (Chromium ↔ gateway ↔ simulator):
 * link by a pairing code the page shows (the simulated phone types it), the Messages
 * view (a contact's message `replied` with its reply ids, a dropped one with its reason,
 * live as the ledger moves; filters), Send (the simulated contact receives it), Logs (a
 * new line appears), Config (a secret shows redacted), and rejecting a pairing request.
 * Takes the README's Messages screenshots (docs/screenshots/).
 */
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogTap } from '../../src/log-tap.js';
import { e2e, textOf, until, type E2E } from '../e2e/harness.js';
import { ROOT } from '../helpers/cli.js';
import { dashboardLink, launchBrowser, screenshotDir, view } from './browser.js';

const SHOTS = screenshotDir(ROOT);
const BOT = '+15550001201';
const ALICE = '+15557771201';
const MALLORY = '+15557771202';
const BOB = '+15557771203';
const SECRET = 'views-test-control-token-0123456789';

let h: E2E | null = null;
let browser: BrowserContext | null = null;
afterEach(async () => {
  await browser?.close();
  browser = null;
  await h?.close();
  h = null;
});

const row = (page: Page, state: string) => page.locator(`li[data-testid="message-row"][data-state="${state}"]`);

describe('the control page views in a real browser (Chromium ↔ gateway ↔ simulator)', () => {
  it('links by the pairing code it shows; Messages shows replied (reply ids) and dropped (reason) live; Send, Logs, Config', async () => {
    h = await e2e({ gateway: { auth: { token: SECRET } }, channels: { whatsapp: { dmPolicy: 'allowlist', allowFrom: [ALICE] } } });
    const tap = createLogTap();
    const gw = await h.startGateway({ logTap: tap });
    browser = await launchBrowser();
    const page = await browser.newPage();
    const url = await dashboardLink(h.env);
    await page.goto(url);
    await page.locator('[data-testid="account-state"]:text-is("unlinked")').waitFor();

    // Link: a pairing code for the bot's number; the simulated phone types what the page shows.
    await view(page, 'link');
    await page.locator('input[type="tel"]').fill(BOT);
    await page.locator('button:text-is("Get code")').click();
    const code = page.locator('[data-testid="pair-code"]');
    await code.waitFor();
    const shown = (await code.textContent())!;
    expect(shown).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    await h.sim.phone(BOT).enterPairingCode(shown.replace('-', ''));
    await page.locator('[data-testid="link-done"]').waitFor();
    expect(await page.locator('[data-testid="link-done"]').textContent()).toContain(BOT);
    const rt = gw.accounts.get('default')!;
    await until(() => rt.state === 'connected', 'connected after the pairing code');

    // Messages: empty, then live as contacts write (no reload: the `messages` event).
    await view(page, 'messages');
    await page.locator('[data-testid="messages-empty"]').waitFor();
    const alice = h.sim.contact(ALICE, { name: 'Alice' });
    const mallory = h.sim.contact(MALLORY, { name: 'Mallory' });
    const hello = await alice.send('hello from alice');
    await until(() => alice.inbox.some((m) => textOf(m) === 'echo: hello from alice'), 'the echo reply');
    const replyId = alice.inbox.find((m) => textOf(m) === 'echo: hello from alice')!.id;
    expect((await h.handled(await mallory.send('let me in'))).type).toBe('message.dropped');

    const replied = row(page, 'replied');
    await replied.waitFor();
    expect(await replied.getAttribute('data-message')).toBe(hello);
    await replied.locator('summary').click();
    const path1 = await replied.locator('[data-testid="message-path"]').textContent();
    expect(path1).toContain('accepted');
    expect(path1).toMatch(/request in-[0-9a-f]{24}/);
    expect(path1).toContain(`sent: ${replyId}`);
    expect(await replied.textContent()).toContain(ALICE);
    const dropped = row(page, 'dropped');
    await dropped.waitFor();
    expect(await dropped.locator('[data-testid="message-state"]').textContent()).toBe('dropped · not-allowlisted');
    await dropped.locator('summary').click();
    expect(await dropped.locator('[data-testid="message-path"]').textContent()).toContain('dropped: not-allowlisted (the sender is not in allowFrom)');
    await page.locator('[data-testid="unexplained-count"]:text-is("unexplained 0")').waitFor();
    expect(await page.locator('[data-testid="audit"] [data-count="replied"]').textContent()).toBe('replied 1');
    expect(await page.locator('[data-testid="audit"] [data-count="dropped"]').textContent()).toBe('dropped 1');
    await page.screenshot({ path: path.join(SHOTS, 'messages-desktop.png'), fullPage: true });

    // Filters: by outcome, then by chat.
    await page.locator('[data-testid="filter-state"]').selectOption('dropped');
    await until(async () => (await page.locator('li[data-testid="message-row"]').count()) === 1, 'only the dropped message');
    expect(await row(page, 'dropped').count()).toBe(1);
    await page.locator('[data-testid="filter-state"]').selectOption('');
    await page.locator('[data-testid="filter-chat"]').fill(ALICE);
    await page.locator('[data-testid="filter-chat"]').press('Enter');
    await until(async () => (await page.locator('li[data-testid="message-row"]').count()) === 1 && (await row(page, 'replied').count()) === 1, 'only alice');

    // The same view on a phone-sized screen.
    const phone = await browser.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(url.replace(/#.*$/, '#messages'));
    await row(phone, 'replied').waitFor();
    await row(phone, 'replied').locator('summary').click();
    await row(phone, 'dropped').locator('summary').click();
    await phone.screenshot({ path: path.join(SHOTS, 'messages-phone.png'), fullPage: true });
    await phone.close();

    // Send: a text to a number; the simulated contact gets it.
    const bob = h.sim.contact(BOB, { name: 'Bob' });
    await view(page, 'send');
    await page.locator('input[placeholder="+15551234567"]').fill(BOB);
    await page.locator('textarea').fill('a test from the page');
    await page.locator('form.stack button[type="submit"]').click();
    await page.locator('[data-testid="send-result"]').waitFor();
    expect(await page.locator('[data-testid="send-result"]').textContent()).toContain(`Sent to ${BOB.slice(1)}@s.whatsapp.net through default`);
    await until(() => bob.inbox.some((m) => textOf(m) === 'a test from the page'), 'bob receives the page test message');

    // Logs: a line logged while the view is open appears.
    await view(page, 'logs');
    await page.locator('[data-testid="logs"] .log').first().waitFor();
    const delivered = () => page.locator('[data-testid="logs"] .log', { hasText: 'reply delivered' }).count();
    const before = await delivered();
    await alice.send('one more');
    await until(async () => (await delivered()) === before + 1, 'a new "reply delivered" line in the Logs view');

    // Config: the token is redacted, never shown.
    await view(page, 'config');
    const cfg = page.locator('[data-testid="config"]');
    await cfg.waitFor();
    const text = (await cfg.textContent())!;
    expect(text).toContain('"token": "[redacted]"');
    expect(text).not.toContain(SECRET);
    expect(await page.content()).not.toContain(SECRET);
  });

  it('rejects a pairing request: the contact is not approved and the list empties', async () => {
    h = await e2e({ channels: { whatsapp: { dmPolicy: 'pairing' } } });
    const gw = await h.startGateway();
    expect((await h.link('default', BOT)).code).toBe(0);
    await until(() => gw.accounts.get('default')!.state === 'connected', 'connected');
    const eve = h.sim.contact('+15557771209', { name: 'Eve' });
    await eve.send('hello?');
    await until(() => eve.inbox.map(textOf).some((t) => t.includes('pairing')), 'the pairing code reply');

    browser = await launchBrowser({ width: 390, height: 844 });
    const page = await browser.newPage();
    await page.goto(await dashboardLink(h.env));
    await page.locator('[data-testid="account-state"]').first().waitFor();
    await view(page, 'pairing');
    const req = page.locator('li.row[data-code]');
    await req.waitFor();
    await req.locator('button:text-is("Reject")').click();
    await page.locator('[data-testid="pairing-note"]').waitFor();
    expect(await page.locator('[data-testid="pairing-note"]').textContent()).toBe('Rejected the request of +15557771209.');
    await page.locator('[data-testid="pairing-empty"]').waitFor();
    expect(await gw.store.pairing.approved()).toEqual([]);

    // The ledger shows Eve's message ended in `pairing`.
    await view(page, 'messages');
    const p = row(page, 'pairing');
    await p.waitFor();
    await p.locator('summary').click();
    expect(await p.locator('[data-testid="message-path"]').textContent()).toContain('unknown sender: a pairing code was sent');
  });
});
