/**
 * Messages written while the gateway is down get answered (SPEC §5, offline catch-up),
 * end to end: the real Baileys client, the simulator delivering WhatsApp's offline
 * queue (`offline="1"` stanzas, upserted by Baileys as `append`), the real gateway —
 * in-process, and as a child process stopped with SIGTERM or killed with SIGKILL.
 */
import Database from 'better-sqlite3';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SimContact } from '../../src/sim/index.js';
import { reapChildren, runCli, spawnCli, type SpawnedCli } from '../helpers/cli.js';
import { e2e, echoReplies, OPEN_DMS, until, type E2E } from './harness.js';

const BOT = '+15550009000';
const BOT_USER = BOT.slice(1);
/** Tests that start `wagate gateway` as a child process (tsx compiles it): generous on a loaded 2-core machine. */
const CHILD_PROCESS_TIMEOUT_MS = 90_000;

let h: E2E | null = null;
const children: SpawnedCli[] = [];
afterEach(async () => {
  await reapChildren(children);
  await h?.close();
  h = null;
});


async function gatewayConnected(e: E2E) {
  const gw = e.gateway!;
  await until(() => gw.accounts.get('default')!.state === 'connected', 'gateway connected');
  return gw;
}

/** The contact's message is in WhatsApp's queue for the (offline) companion, not on a dying socket. */
async function companionOffline(e: E2E): Promise<void> {
  await until(() => e.sim.hub.companions.get(BOT_USER)?.online === false, 'the simulator sees the companion offline');
}

/** `wagate gateway` as a child process, connected. */
async function childGateway(e: E2E): Promise<SpawnedCli> {
  const child = spawnCli(['gateway'], e.env);
  children.push(child);
  await child.waitFor('wagate gateway listening', 45_000);
  await until(async () => {
    const r = await runCli(['channels', 'status', '--json'], e.env);
    return r.code === 0 && JSON.parse(r.stdout).accounts[0]?.state === 'connected';
  }, 'the child gateway connected', 45_000);
  return child;
}

/** The ledger state of a message, read from the store file (the child may be running). */
function ledgerState(e: E2E, messageId: string): string | undefined {
  const db = new Database(path.join(e.home, 'wagate.db'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT state FROM inbound_ledger WHERE message_id = ?').get(messageId) as { state: string } | undefined)?.state;
  } catch {
    return undefined; // not migrated yet
  } finally {
    db.close();
  }
}

/** After the first reply arrived and the gateway has nothing left in flight: no second reply came. */
async function exactlyOneReply(e: E2E, c: SimContact, text: string, timeoutMs = 10_000): Promise<void> {
  const seen: string[] = [];
  const gw = e.gateway!;
  const offs = [
    gw.bus.on('message.received', (ev) => void seen.push(`received ${ev.message.upsertType} "${ev.message.text}"`)),
    gw.bus.on('message.dropped', (ev) => void seen.push(`dropped "${ev.message.text}" (${ev.reason})`)),
    gw.bus.on('reply.failed', (ev) => void seen.push(`reply failed: ${JSON.stringify(ev)}`)),
  ];
  try {
    await until(() => echoReplies(c).includes(`echo: ${text}`), `the reply to "${text}"`, timeoutMs);
  } catch (err) {
    throw new Error(`${(err as Error).message}; the gateway saw: ${seen.join("; ") || "nothing"}; the contact got receipts: ${c.receipts.map((r) => r.type).join(",")}`);
  } finally {
    offs.forEach((off) => off());
  }
  await e.gateway!.bus.idle();
  expect(echoReplies(c).filter((r) => r === `echo: ${text}`)).toEqual([`echo: ${text}`]);
}

describe('offline catch-up end to end (real Baileys ↔ simulator)', () => {
  it('linked in-process, a contact writes before any gateway runs: the gateway answers once, within 3 s of connecting', async () => {
    // The companion never got its initial history sync (the login closed at once):
    // Baileys would hold every event for 20 s on each connection.
    h = await e2e(OPEN_DMS, { initialSync: 'never' });
    expect((await h.link('default', BOT)).code).toBe(0); // no gateway: the CLI links in-process
    const ann = h.sim.contact('+15557771001', { name: 'Ann' });
    await ann.send('hi, are you there?');
    await h.startGateway();
    await gatewayConnected(h);
    // Baileys must release the offline queue at once (no 20 s "awaiting initial sync" hold).
    await exactlyOneReply(h, ann, 'hi, are you there?', 3000);
  });

  it.each([
    ['stopped with SIGTERM', 'SIGTERM', 0],
    ['killed with SIGKILL', 'SIGKILL', null],
  ] as const)(
    'gateway %s, a contact writes, 30 s later the gateway starts: exactly one reply',
    async (_how, signal, exitCode) => {
      h = await e2e(OPEN_DMS);
      expect((await h.link('default', BOT)).code).toBe(0);
      const bea = h.sim.contact('+15557771002', { name: 'Bea' });
      const child = await childGateway(h);
      await bea.send('before the stop');
      await until(() => echoReplies(bea).includes('echo: before the stop'), 'the live reply');
      child.child.kill(signal);
      expect(await child.exited).toBe(exitCode);
      await companionOffline(h);
      await bea.send('while you were down');
      h.gatewaySkew.ms = 30_000; // the gateway comes back 30 s later (its own clock says so)
      await h.startGateway();
      await gatewayConnected(h);
      await exactlyOneReply(h, bea, 'while you were down');
      expect(echoReplies(bea)).toEqual(['echo: before the stop', 'echo: while you were down']);
    },
    CHILD_PROCESS_TIMEOUT_MS,
  );

  it('a fresh link whose first gateway connection drops 2 s in, with a message from its offline queue: answered, once', async () => {
    h = await e2e(OPEN_DMS, { initialSync: 'never' });
    expect((await h.link('default', BOT)).code).toBe(0);
    const dee = h.sim.contact('+15557771004', { name: 'Dee' });
    const id = await dee.send('quick question');
    const gw = await h.startGateway();
    let failed = false;
    gw.bus.on('reply.failed', () => void (failed = true));
    await gatewayConnected(h);
    const rt = gw.accounts.get('default')!;
    await until(() => dee.receipts.some((r) => r.type === 'delivery' && r.ids.includes(id)), 'WhatsApp has the delivery receipt');
    // The connection drops 2 s into its life, or as soon as WhatsApp has the reply, whichever comes
    // first. (Not as soon as Baileys wrote it: a frame the server never read is lost with the
    // socket, and Baileys does not wait for the server's ack — a race of the test, not the gateway.)
    await until(() => failed || echoReplies(dee).length > 0, 'the reply', 2000).catch(() => undefined);
    h.sim.drop(BOT_USER);
    await until(() => rt.state === 'backing-off', 'backing-off after the drop');
    h.clock.increment(30_000);
    await gatewayConnected(h);
    await exactlyOneReply(h, dee, 'quick question');
  });

  it('`channels login` on an already linked account while no gateway runs does not connect: the queued message is answered by the gateway', async () => {
    h = await e2e(OPEN_DMS);
    expect((await h.link('default', BOT)).code).toBe(0);
    const fay = h.sim.contact('+15557771006', { name: 'Fay' });
    await fay.send('queued for the gateway');
    const human = await runCli(['channels', 'login'], h.env);
    expect(human.code).toBe(0);
    expect(human.stdout.trim()).toBe(
      'Account default is already linked as +15550009000; start it with `wagate gateway`. (If WhatsApp logged this device out, run `wagate channels logout --account default` first, then link again.)',
    );
    const json = await runCli(['channels', 'login', '--json'], h.env);
    expect(JSON.parse(json.stdout.trim())).toEqual({ event: 'linked', accountId: 'default', e164: BOT, jid: expect.stringMatching(/^15550009000:\d+@s\.whatsapp\.net$/), alreadyLinked: true });
    await h.startGateway();
    await gatewayConnected(h);
    await exactlyOneReply(h, fay, 'queued for the gateway');
  });

  it('Signal state lost while stopped (a kill mid-write): the gateway asks for a retry, the phone sends again, the message is answered', async () => {
    h = await e2e(OPEN_DMS);
    expect((await h.link('default', BOT)).code).toBe(0);
    const gus = h.sim.contact('+15557771007', { name: 'Gus' });
    await h.startGateway();
    await gatewayConnected(h);
    await gus.send('first');
    await until(() => echoReplies(gus).includes('echo: first'), 'the first reply');
    await h.stopGateway();
    await companionOffline(h); // else "second" may go to the closing socket
    // The Signal sessions with Gus are gone from the store (the gateway is stopped: the file is ours).
    const db = new Database(path.join(h.home, 'wagate.db'));
    try {
      const removed = db
        .prepare("DELETE FROM wa_keys WHERE account_id = 'default' AND type = 'session' AND (id LIKE ? ESCAPE '!' OR id LIKE ? ESCAPE '!')")
        .run(`${gus.lidUser}!_%`, `${gus.pnUser}!_%`);
      expect(removed.changes).toBeGreaterThan(0);
    } finally {
      db.close();
    }
    await gus.send('second');
    await h.startGateway();
    await gatewayConnected(h);
    await exactlyOneReply(h, gus, 'second');
    expect(gus.receipts.some((r) => r.type === 'retry')).toBe(true);
  });

  it('a message older than catchUpMinutes, written while the gateway was stopped, is not answered; a newer one is', async () => {
    h = await e2e(OPEN_DMS);
    expect((await h.link('default', BOT)).code).toBe(0);
    const eli = h.sim.contact('+15557771005', { name: 'Eli' });
    await h.startGateway();
    await gatewayConnected(h);
    await h.stopGateway();
    await companionOffline(h);
    await eli.send('written 40 minutes ago');
    h.gatewaySkew.ms = 40 * 60_000; // the gateway comes back 40 minutes later
    h.skew.ms = 39 * 60_000;
    await eli.send('written a minute ago');
    h.skew.ms = 0;
    const gw = await h.startGateway();
    const dropped: string[] = [];
    gw.bus.on('message.dropped', (e) => void dropped.push(`${e.message.text} (${e.reason})`));
    await gatewayConnected(h);
    await exactlyOneReply(h, eli, 'written a minute ago');
    expect(echoReplies(eli)).toEqual(['echo: written a minute ago']);
    expect(dropped).toEqual(['written 40 minutes ago (catch-up:too-old)']);
  });

  it('a message WhatsApp kept queued past a whole gateway run (delivered two runs later, after that run\'s clean stop) is answered, once', async () => {
    // The chaos test, seed 1005: messages sent during one run that no run received
    // before a kill came two runs later, older than the last connection of the run
    // before, and were dropped as `catch-up:before-window`. The ledger is the dedupe
    // now: a message without an entry was never handled, and the window starts at the link.
    h = await e2e(OPEN_DMS);
    expect((await h.link('default', BOT)).code).toBe(0);
    const fay = h.sim.contact('+15557771006', { name: 'Fay' });
    await h.startGateway();
    await gatewayConnected(h);
    await h.stopGateway();
    await companionOffline(h);
    await fay.send('queued, delivered two runs later');
    // The next run gets none of the queue; it runs a minute (its clock is a minute ahead) and stops cleanly.
    const hold = h.sim.holdOffline(BOT_USER, 0);
    h.gatewaySkew.ms = 60_000;
    await h.startGateway();
    await gatewayConnected(h);
    await hold.started;
    await h.stopGateway();
    await companionOffline(h);
    hold.release(); // the session ended: the backlog is queued again, for the next login
    const gw = await h.startGateway();
    const dropped: string[] = [];
    gw.bus.on('message.dropped', (e) => void dropped.push(`${e.message.text} (${e.reason})`));
    await gatewayConnected(h);
    await exactlyOneReply(h, fay, 'queued, delivered two runs later');
    expect(dropped).toEqual([]);
  });

  it('a live message held for the offline backlog (acknowledged to WhatsApp) is recorded at once: a SIGKILL during the hold loses nothing', async () => {
    // The chaos test, seed 1009: a message acknowledged while the transport held it
    // for its chat's order (an offline stanza that failed to decrypt kept the backlog
    // open) was only in memory when the gateway was killed, and never answered.
    h = await e2e(OPEN_DMS);
    expect((await h.link('default', BOT)).code).toBe(0);
    const hal = h.sim.contact('+15557771008', { name: 'Hal' });
    await h.startGateway();
    await gatewayConnected(h);
    await h.stopGateway();
    await companionOffline(h);
    // The next login's backlog (empty) and its end marker wait: every live message is held.
    const hold = h.sim.holdOffline(BOT_USER, 0);
    const child = await childGateway(h);
    await hold.started;
    const id = await hal.send('live, held behind the backlog');
    await until(() => hal.receipts.some((r) => r.type === 'delivery' && r.ids.includes(id)), 'WhatsApp has the delivery receipt');
    // Recorded while held (before, only the hold's end recorded it, 10 s later).
    await until(() => ledgerState(h!, id) === 'received', 'the held message recorded as received', 5_000);
    expect(echoReplies(hal)).toEqual([]);
    child.child.kill('SIGKILL');
    expect(await child.exited).toBe(null);
    await companionOffline(h);
    hold.release(); // nothing of the backlog is left; WhatsApp will not send the acknowledged message again
    await h.startGateway();
    await gatewayConnected(h);
    await exactlyOneReply(h, hal, 'live, held behind the backlog');
  }, CHILD_PROCESS_TIMEOUT_MS);
});
