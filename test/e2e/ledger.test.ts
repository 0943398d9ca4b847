/**
 * The inbound ledger end to end (issue 13): the real gateway as a child process killed
 * with SIGKILL while its agent is thinking, the real Baileys client, the simulator. The
 * message was acknowledged to WhatsApp before the kill, so WhatsApp never delivers it
 * again: only the ledger can get it answered. The agent is a command that is slow while
 * `<home>/slow` exists and logs every run it starts to `<home>/runs.log`.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SimContact } from '../../src/sim/index.js';
import { storeFile } from '../../src/state-layout.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { connectControl } from '../../src/gateway/control-client.js';
import type { Gateway } from '../../src/gateway/supervisor.js';
import { readTokenFile } from '../../src/gateway/token.js';
import { reapChildren, runCli, spawnCli, type SpawnedCli } from '../helpers/cli.js';
import { e2e, until, type E2E, textOf } from './harness.js';

const BOT = '+15550009100';
const CHILD_PROCESS_TIMEOUT_MS = 120_000;

const AGENT = `
const fs = require('node:fs'); const path = require('node:path');
const home = process.argv[1]; let input = '';
process.stdin.on('data', (c) => (input += c)).on('end', () => {
  const text = JSON.parse(input).envelope.RawBody;
  fs.appendFileSync(path.join(home, 'runs.log'), text + '\\n');
  const delay = fs.existsSync(path.join(home, 'slow')) ? 120000 : 0;
  setTimeout(() => process.stdout.write('answer to: ' + text), delay);
});`;

let h: E2E | null = null;
const children: SpawnedCli[] = [];
afterEach(async () => {
  await reapChildren(children);
  await h?.close();
  h = null;
});

async function setup(): Promise<E2E> {
  // The home dir is made by the harness: the agent learns it from its argv, set once the config is known.
  const e = await e2e({ channels: { whatsapp: { dmPolicy: 'open', allowFrom: ['*'] } }, web: { catchUpMinutes: 30 } });
  const raw = JSON.parse(fs.readFileSync(e.configPath, 'utf8'));
  raw.agents = { defaults: { model: { provider: 'command', command: [process.execPath, '-e', AGENT, e.home], timeoutMs: 300_000 } } };
  fs.writeFileSync(e.configPath, JSON.stringify(raw));
  expect((await e.link('default', BOT)).code).toBe(0);
  return e;
}

const answers = (c: SimContact) => c.inbox.map(textOf).filter((t) => t.startsWith('answer to: ') || t.startsWith('kept: '));
const runs = (e: E2E) => {
  const file = path.join(e.home, 'runs.log');
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
};

/** The ledger entry of the contact's message, read from the store file (the child may be running). */
function entryState(e: E2E, messageId: string): { state: string; reason: string | null; reply_ids: string | null } | undefined {
  const file = storeFile(e.home);
  if (!fs.existsSync(file)) return undefined;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT state, reason, reply_ids FROM inbound_ledger WHERE message_id = ?').get(messageId) as never;
  } catch {
    return undefined; // not migrated yet
  } finally {
    db.close();
  }
}

/** The gateway's control methods, over its real control port (as `wagate messages` and the web page call them). */
async function control(e: E2E, gw: Gateway) {
  const client = await connectControl({ url: `ws://127.0.0.1:${gw.control.port}`, token: readTokenFile(e.home), timeoutMs: 5000 });
  return client;
}

/** `wagate gateway` as a child, killed with SIGKILL once the contact's message is in the agent's hands. */
async function killedWhileThinking(e: E2E, c: SimContact, text: string): Promise<string> {
  fs.writeFileSync(path.join(e.home, 'slow'), '');
  const child = spawnCli(['gateway'], e.env);
  children.push(child);
  await child.waitFor('wagate gateway listening', 60_000);
  await until(() => e.sim.hub.companions.get(BOT.slice(1))?.online === true, 'the child gateway connected', 60_000);
  const id = await c.send(text);
  await until(() => entryState(e, id)?.state === 'running' && runs(e).includes(text), 'the agent is thinking', 30_000);
  child.child.kill('SIGKILL');
  expect(await child.exited).toBe(null);
  await until(() => e.sim.hub.companions.get(BOT.slice(1))?.online === false, 'the simulator sees the companion offline');
  fs.rmSync(path.join(e.home, 'slow'));
  return id;
}

describe('inbound ledger end to end (real Baileys ↔ simulator, a SIGKILLed child gateway)', () => {
  it(
    'killed while the agent is running: the next start answers the message exactly once',
    async () => {
      h = await setup();
      const ann = h.sim.contact('+15557772001', { name: 'Ann' });
      const id = await killedWhileThinking(h, ann, 'what is the answer?');
      expect(answers(ann)).toEqual([]);
      const gw = await h.startGateway({ reloadConfig: true });
      await until(() => answers(ann).length > 0, 'the answer after the restart', 30_000).catch((err: Error) => {
        throw new Error(`${err.message}; ledger: ${JSON.stringify(entryState(h!, id))}; runs: ${runs(h!).join('|')}; events: ${h!.events.map((x) => x.type).join(',')}`);
      });
      await until(() => entryState(h!, id)?.state === 'replied', 'the entry replied');
      await gw.bus.idle();
      expect(answers(ann)).toEqual(['answer to: what is the answer?']);
      expect(runs(h)).toEqual(['what is the answer?', 'what is the answer?']); // the killed run, then the resumed one
      // the user turn is in the session once, not once per run
      const store = await openSqliteStore({ file: storeFile(h.home) + '' });
      try {
        const turns = await store.sessions.turns('agent:main:main');
        expect(turns.filter((t) => t.role === 'user').map((t) => t.text)).toEqual(['what is the answer?']);
      } finally {
        await store.close();
      }
      const client = await control(h, gw);
      const [audit, dump] = await Promise.all([client.request('messages.audit', {}), client.request('debug.dump', {})]).finally(() => client.close());
      expect(audit).toMatchObject({ counts: { replied: 1, running: 0, received: 0, accepted: 0 }, unexplained: [] });
      expect(dump.store.ledger).toMatchObject({ replied: 1, running: 0 });
      // the CLI asks the running gateway
      const cli = await runCli(['messages', '--json'], h.env);
      expect(JSON.parse(cli.stdout)).toMatchObject({ gatewayRunning: true, entries: [{ messageId: id, state: 'replied', text: 'what is the answer?' }] });
    },
    CHILD_PROCESS_TIMEOUT_MS,
  );

  it(
    'back after the catch-up window: the entry becomes dropped(expired), visible in the ledger, and is not answered',
    async () => {
      h = await setup();
      const bea = h.sim.contact('+15557772002', { name: 'Bea' });
      const id = await killedWhileThinking(h, bea, 'too late?');
      h.gatewaySkew.ms = 31 * 60_000; // the gateway comes back 31 minutes later (its own clock says so)
      const gw = await h.startGateway({ reloadConfig: true });
      await until(() => entryState(h!, id)?.state === 'dropped', 'the entry expired');
      expect(entryState(h, id)?.reason).toBe('expired');
      const client = await control(h, gw);
      const listed = await client.request('messages.list', { state: 'dropped' }).finally(() => client.close());
      expect(listed.entries.map((e) => [e.messageId, e.reason])).toEqual([[id, 'expired']]);
      await gw.bus.idle();
      expect(answers(bea)).toEqual([]);
      expect(runs(h)).toEqual(['too late?']);
    },
    CHILD_PROCESS_TIMEOUT_MS,
  );

  it(
    'an entry whose agent reply was kept before the crash is not sent to the agent again: the phone gets that reply once',
    async () => {
      h = await setup();
      const cy = h.sim.contact('+15557772003', { name: 'Cy' });
      const id = await killedWhileThinking(h, cy, 'remember this');
      // The crash point right after the agent answered and its text was kept, before the send.
      const store = await openSqliteStore({ file: storeFile(h.home) });
      try {
        const [entry] = await store.ledger.list({ states: ['running'] });
        expect(entry?.messageId).toBe(id);
        await store.ledger.update(entry!, { replyText: 'kept: the answer from before the crash', at: Date.now() });
      } finally {
        await store.close();
      }
      const gw = await h.startGateway({ reloadConfig: true });
      await until(() => entryState(h!, id)?.state === 'replied', 'the kept reply sent', 30_000);
      await until(() => answers(cy).length > 0, 'the kept reply on the phone');
      await gw.bus.idle();
      expect(answers(cy)).toEqual(['kept: the answer from before the crash']);
      expect(runs(h)).toEqual(['remember this']); // the agent was not asked again
      expect(JSON.parse(entryState(h, id)!.reply_ids!)).toHaveLength(1);
    },
    CHILD_PROCESS_TIMEOUT_MS,
  );
});
