/** `wagate messages` and `wagate messages audit` with no gateway running: straight from the store file. */
import { describe, expect, it } from 'vitest';
import { listParams } from '../../src/cli/messages.js';
import type { InboundMessage } from '../../src/ports/inbound.js';
import { openSqliteStore, storeFile } from '../../src/store/sqlite.js';
import { runCli } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

// A port nobody listens on: the CLI must find no gateway and read the store.
const env = (dir: string) => ({ WAGATE_HOME: dir, HOME: dir });
const T = Date.now() - 60_000;
const ALICE = '15551234567@s.whatsapp.net';
const BOB = '15557654321@s.whatsapp.net';

function message(id: string, chatJid: string, text: string): InboundMessage {
  const digits = chatJid.split('@')[0]!;
  return {
    accountId: 'default',
    id,
    chatJid,
    chatId: `+${digits}`,
    chatType: 'direct',
    from: { jid: chatJid, e164: `+${digits}`, lid: null, name: null },
    fromMe: false,
    timestamp: T,
    upsertType: 'notify',
    offline: false,
    kind: 'text',
    text,
    mentions: [],
  };
}

async function seeded(): Promise<string> {
  const dir = tmpDir('cli-messages');
  const store = await openSqliteStore({ file: storeFile(dir) });
  const arrive = (m: InboundMessage, at: number) => ({
    accountId: 'default',
    chatJid: m.chatJid,
    messageId: m.id,
    sender: m.from.jid,
    waTimestamp: m.timestamp,
    upsertType: m.upsertType,
    message: JSON.stringify(m),
    receivedAt: at,
  });
  await store.ledger.record([arrive(message('M1', ALICE, 'hello'), T), arrive(message('M2', BOB, 'spam'), T + 1), arrive(message('M3', ALICE, 'still thinking'), T + 2)]);
  await store.ledger.update({ accountId: 'default', chatJid: ALICE, messageId: 'M1' }, { state: 'replied', requestId: 'r1', replyIds: ['OUT1'], at: T + 10 });
  await store.ledger.update({ accountId: 'default', chatJid: BOB, messageId: 'M2' }, { state: 'dropped', reason: 'not-allowlisted', at: T + 10 });
  await store.ledger.update({ accountId: 'default', chatJid: ALICE, messageId: 'M3' }, { state: 'running', requestId: 'r3', at: T + 10 });
  // an old entry, outside --since 1h
  await store.ledger.record([arrive(message('M0', ALICE, 'ancient'), T - 3 * 3_600_000)]);
  await store.ledger.update({ accountId: 'default', chatJid: ALICE, messageId: 'M0' }, { state: 'replied', at: T });
  await store.close();
  return dir;
}

describe('wagate messages (no gateway running)', () => {
  it('lists the ledger oldest first with state, reason and reply ids; filters by chat, state and since; --json', async () => {
    const dir = await seeded();
    const r = await runCli(['messages'], env(dir));
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('Gateway not running; reading the store.');
    expect(lines.slice(1).map((l) => l.match(/\s(M\d)\s/)?.[1])).toEqual(['M1', 'M2', 'M3', 'M0']);
    expect(lines[1]).toMatch(/replied .*default {2}15551234567@s\.whatsapp\.net {2}M1 {2}\+15551234567 {2}"hello" {2}→ OUT1$/);
    expect(lines[2]).toContain('dropped(not-allowlisted)');

    const alice = await runCli(['messages', '--chat', '+15551234567', '--state', 'running', '--json'], env(dir));
    const json = JSON.parse(alice.stdout);
    expect(json.gatewayRunning).toBe(false);
    expect(json.entries).toEqual([expect.objectContaining({ messageId: 'M3', state: 'running', text: 'still thinking', requestId: 'r3', replyKept: false })]);

    const recent = JSON.parse((await runCli(['messages', '--since', '1h', '--json'], env(dir))).stdout);
    expect(recent.entries.map((e: { messageId: string }) => e.messageId)).toEqual(['M1', 'M2', 'M3']);
  });

  it('audit: counts per state, and with no gateway every unfinished entry is unexplained', async () => {
    const dir = await seeded();
    const r = await runCli(['messages', 'audit'], env(dir));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('received 0  accepted 0  gated 0  dropped 1  pairing 0  running 1  replied 2  failed 0');
    expect(r.stdout).toContain('unexplained: 1');
    const json = JSON.parse((await runCli(['messages', 'audit', '--json'], env(dir))).stdout);
    expect(json.counts).toEqual({ received: 0, accepted: 0, gated: 0, dropped: 1, pairing: 0, running: 1, replied: 2, failed: 0 });
    expect(json.unexplained.map((e: { messageId: string; note: string }) => [e.messageId, e.note])).toEqual([['M3', expect.stringMatching(/no gateway running/)]]);
  });

  it('a bad --state, --since or --chat is one clear error line, exit 1', async () => {
    const dir = await seeded();
    const bad = await runCli(['messages', '--state', 'lost'], env(dir));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--state must be one of received, accepted/);
    expect(() => listParams({ since: 'soon' }, 0)).toThrow(/--since must be a duration/);
    expect(() => listParams({ chat: 'nobody' }, 0)).toThrow();
    expect(listParams({ since: '1h', limit: '5' }, 10_000_000)).toEqual({ since: 10_000_000 - 3_600_000, limit: 5 });
  });
});
