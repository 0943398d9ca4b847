/**
 * The store side of a direct message, alone (issue 12 item 5): the inbound ledger's
 * writes and the session append of one DM as the pipeline asks for them — the arrival,
 * `accepted`, `running` with its request id, the kept reply text and the session turns
 * in one turn, the durable reply ids before the send, `replied` in the next turn — on a
 * real SQLite store in a temp dir. Prints CPU µs per message (less load-sensitive than
 * wall time) and the WAL bytes written per message (checkpoints off).
 *
 *   npx tsx bench/ledger-dm.ts [messages=5000]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InboundLedger, keyOf, ledgerRequestId } from '../src/ledger/inbound-ledger.js';
import { openSqliteStore, storeFile } from '../src/store/sqlite.js';
import type { InboundMessage } from '../src/ports/inbound.js';

const n = Number(process.argv[2] ?? 5000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wagate-bench-ledger-'));
const file = storeFile(dir);
// Checkpoints off (the worker never starts): the WAL's growth is what the commits wrote.
const store = await openSqliteStore({ file, checkpoints: { startAfterCommits: Number.MAX_SAFE_INTEGER } });
(store as unknown as { db: { pragma(s: string): unknown } }).db.pragma('wal_autocheckpoint = 0');
const ledger = new InboundLedger(store);
const turn = () => new Promise<void>((r) => setImmediate(r));

const dm = (i: number): InboundMessage => {
  const from = `+1555400${String(i % 50).padStart(4, '0')}`;
  const jid = `${from.slice(1)}@s.whatsapp.net`;
  return {
    accountId: 'default', id: `BENCH${i}`, chatJid: jid, chatId: from, chatType: 'direct',
    from: { jid, e164: from, lid: null, name: 'Bench' }, fromMe: false, timestamp: Date.now(),
    upsertType: 'notify', offline: false, kind: 'text', text: `hello ${i}`, mentions: [],
  };
};

let previous: { requestId: string; ids: string[] } | undefined;
const one = async (i: number) => {
  const m = dm(i);
  const key = keyOf('default', m);
  const requestId = ledgerRequestId(key);
  if (previous) void ledger.moveByRequest('default', previous.requestId, { state: 'replied', replyIds: previous.ids });
  await ledger.arrive('default', m);
  void ledger.move(key, { state: 'accepted' });
  void ledger.move(key, { state: 'running', requestId });
  const kept = ledger.move(key, { replyText: `echo: ${m.text}` });
  const session = store.sessions.append(`agent:main:${key.chatJid}`, [
    { role: 'user', text: m.text ?? '', at: Date.now(), meta: JSON.stringify({ messageId: m.id }) },
    { role: 'assistant', text: `echo: ${m.text}`, at: Date.now(), meta: null },
  ], { applied: true });
  await Promise.all([kept, session]);
  const ids = [`3EB0${String(i).padStart(18, '0')}`];
  await ledger.moveByRequest('default', requestId, { replyIds: ids }, { durable: true });
  previous = { requestId, ids };
  await turn();
};

for (let i = 0; i < 200; i++) await one(i); // warm
const wal0 = fs.statSync(`${file}-wal`).size;
const commits0 = store.writeCommits;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 200; i < 200 + n; i++) await one(i);
const wall = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const walBytes = fs.statSync(`${file}-wal`).size - wal0;
const commits = store.writeCommits - commits0;
await ledger.flush();
await store.close();
fs.rmSync(dir, { recursive: true, force: true });
console.log(
  `messages ${n} commits ${commits} cpu µs/msg ${Math.round((cpu.user + cpu.system) / n)} wall µs/msg ${Math.round((wall * 1000) / n)}` +
    ` WAL KiB/msg ${(walBytes / 1024 / n).toFixed(1)} (frames/commit ${(walBytes / 4120 / commits).toFixed(1)}) load ${os.loadavg()[0]!.toFixed(2)}`,
);
