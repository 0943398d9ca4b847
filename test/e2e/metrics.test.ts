import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { readTokenFile } from '../../src/gateway/token.js';
import { storeFile } from '../../src/state-layout.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import type { LedgerArrival } from '../../src/store/port.js';
import { parseProm, sample, seriesOf, type Samples } from '../helpers/prom-text.js';
import { e2e, until, type E2E } from './harness.js';

let h: E2E | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const BOT = '+15550004000';
const ALICE = '+15557770041';
const D = { account: 'default' };

/** A plain GET (node:http, so any Host header can be sent). */
function get(h: E2E, path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: h.gateway!.control.port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
  });
}

async function scrape(h: E2E): Promise<Samples> {
  const res = await get(h, '/metrics', { authorization: `Bearer ${readTokenFile(h.home)}` });
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toContain('text/plain; version=0.0.4');
  return parseProm(res.body);
}

async function linked(config: Parameters<typeof e2e>[0] = {}) {
  h = await e2e(config);
  const gw = await h.startGateway();
  expect((await h.link('default', BOT)).code).toBe(0);
  const rt = gw.accounts.get('default')!;
  await until(() => rt.state === 'connected', 'connected');
  return { h, gw, rt };
}

describe('GET /metrics, /healthz, /readyz on the control port (real HTTP, real gateway ↔ simulator)', () => {
  it('counters move by the traffic the simulator drove: two messages answered, one dropped', async () => {
    const { h } = await linked({ channels: { whatsapp: { dmPolicy: 'allowlist', allowFrom: [ALICE] } } });
    const before = await scrape(h);
    expect(sample(before, 'wagate_account_state', { ...D, state: 'connected' })).toBe(1);
    expect(sample(before, 'wagate_account_state', { ...D, state: 'backing-off' })).toBe(0);
    expect(sample(before, 'wagate_account_connections_opened_total', D)).toBeGreaterThanOrEqual(1);
    expect(sample(before, 'wagate_pairing_requests_pending')).toBe(0);
    const [version] = seriesOf(before, 'wagate_whatsapp_web_version_info');
    expect(version).toMatch(/version="\d+\.\d+\.\d+"/);
    for (const name of ['nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes', 'process_resident_memory_bytes']) {
      expect(before.has(`${name}{}`), name).toBe(true);
    }

    const alice = h.sim.contact(ALICE, { name: 'Alice' });
    const mallory = h.sim.contact('+15557770042', { name: 'Mallory' });
    for (const text of ['one', 'two']) expect((await h.handled(await alice.send(text))).type).toBe('message.accepted');
    expect(await h.handled(await mallory.send('let me in'))).toMatchObject({ type: 'message.dropped', payload: { reason: 'not-allowlisted' } });
    await until(() => h.of('reply.delivered').length === 2, 'two replies delivered');

    const after = await scrape(h);
    const moved = (name: string, labels: Record<string, string>) => sample(after, name, labels) - sample(before, name, labels);
    expect(moved('wagate_inbound_messages_total', { ...D, outcome: 'accepted', reason: 'none' })).toBe(2);
    expect(moved('wagate_inbound_messages_total', { ...D, outcome: 'dropped', reason: 'not-allowlisted' })).toBe(1);
    expect(moved('wagate_replies_delivered_total', { ...D, source: 'agent' })).toBe(2);
    expect(moved('wagate_replies_failed_total', { ...D, source: 'agent' })).toBe(0);
    expect(moved('wagate_agent_run_duration_seconds_count', { ...D, origin: 'message', status: 'ok' })).toBe(2);
    expect(moved('wagate_reply_latency_seconds_count', D)).toBe(2);
    expect(moved('wagate_reply_latency_seconds_bucket', { ...D, le: '+Inf' })).toBe(2);
    expect(sample(after, 'wagate_reply_latency_seconds_sum', D)).toBeGreaterThan(0);
    // The same traffic as the ledger's final states.
    expect(moved('wagate_ledger_outcomes_total', { ...D, outcome: 'replied', reason: 'none' })).toBe(2);
    expect(moved('wagate_ledger_outcomes_total', { ...D, outcome: 'dropped', reason: 'not-allowlisted' })).toBe(1);
    expect(moved('wagate_ledger_outcomes_total', { ...D, outcome: 'failed', reason: 'none' })).toBe(0);
    expect(sample(after, 'wagate_ledger_unexplained_entries', D)).toBe(0);
    // No chat, number or message id ever becomes a label.
    expect([...after.keys()].join('\n')).not.toMatch(/1555777|@s\.whatsapp\.net/);
  });

  it('ledger metrics: an entry left past the catch-up window counts as dropped/expired at the next start; one nobody holds is unexplained', async () => {
    h = await e2e({ web: { catchUpMinutes: 30 } });
    await h.startGateway();
    await h.stopGateway();
    const now = Date.now();
    const arrival = (messageId: string, at: number): LedgerArrival => ({
      accountId: 'default',
      chatJid: '15557770043@s.whatsapp.net',
      messageId,
      sender: '15557770043@s.whatsapp.net',
      waTimestamp: at,
      upsertType: 'notify',
      message: JSON.stringify({ id: messageId, text: 'hi' }),
      receivedAt: at,
    });
    // A message a crashed run left in `running` two hours ago.
    const store = await openSqliteStore({ file: storeFile(h.home) });
    try {
      const old = arrival('OLD1', now - 2 * 3_600_000);
      await store.ledger.apply([{ op: 'record', arrival: old }, { op: 'update', key: old, fields: { state: 'running', at: old.receivedAt } }]);
    } finally {
      await store.close();
    }
    const gw = await h.startGateway();
    const expired = async () => sample(await scrape(h!), 'wagate_ledger_outcomes_total', { ...D, outcome: 'dropped', reason: 'expired' });
    await until(async () => (await expired()) === 1, 'the expired entry counted');
    expect(sample(await scrape(h), 'wagate_ledger_unexplained_entries', D)).toBe(0);

    // An entry left in `accepted` that nothing in this gateway holds: the audit and the gauge both list it.
    const stray = arrival('STRAY1', Date.now());
    await gw.store.ledger.apply([{ op: 'record', arrival: stray }, { op: 'update', key: stray, fields: { state: 'accepted', at: stray.receivedAt } }]);
    const m = await scrape(h);
    expect(sample(m, 'wagate_ledger_unexplained_entries', D)).toBe(1);
    expect(sample(m, 'wagate_ledger_outcomes_total', { ...D, outcome: 'dropped', reason: 'expired' })).toBe(1);
  });

  it('/readyz: ready while unlinked (explained), ready when connected, 503 naming the account once a 440 degrades it', async () => {
    h = await e2e({});
    await h.startGateway();
    expect(await get(h, '/healthz')).toMatchObject({ status: 200, body: '{"ok":true}\n' });
    expect(await get(h, '/readyz')).toMatchObject({ status: 200, body: '{"ready":true,"notReady":[]}\n' });
    expect((await h.link('default', BOT)).code).toBe(0);
    const rt = h.gateway!.accounts.get('default')!;
    await until(() => rt.state === 'connected', 'connected');
    expect((await get(h, '/readyz')).status).toBe(200);

    h.sim.kick(BOT, 440);
    await until(() => rt.state === 'degraded', 'degraded by the conflict');
    const ready = await get(h, '/readyz');
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body)).toEqual({
      ready: false,
      notReady: [{ accountId: 'default', state: 'degraded', error: 'WAGATE_ERR_CONFLICT' }],
    });
    expect((await get(h, '/healthz')).status).toBe(200);
    const m = await scrape(h);
    expect(sample(m, 'wagate_account_connections_closed_total', { ...D, kind: 'conflict', code: '440' })).toBe(1);
    expect(sample(m, 'wagate_account_state', { ...D, state: 'degraded' })).toBe(1);
    expect(sample(m, 'wagate_account_state', { ...D, state: 'connected' })).toBe(0);
  });

  it('/metrics wants the control token: missing or wrong → 401 without details, right → 200; foreign Origin/Host → 403', async () => {
    h = await e2e({});
    await h.startGateway();
    const missing = await get(h, '/metrics');
    expect(missing).toMatchObject({ status: 401, body: 'Unauthorized\n' });
    expect(missing.headers['www-authenticate']).toBe('Bearer');
    const t0 = performance.now();
    expect(await get(h, '/metrics', { authorization: 'Bearer not-the-token' })).toMatchObject({ status: 401, body: 'Unauthorized\n' });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(200); // the auth guard's delay
    expect((await get(h, '/metrics', { authorization: 'Basic abc' })).status).toBe(401);
    expect((await scrape(h)).size).toBeGreaterThan(0);
    expect((await get(h, '/metrics', { authorization: `Bearer ${readTokenFile(h.home)}`, origin: 'https://evil.example' })).status).toBe(403);
    expect((await get(h, '/healthz', { host: 'evil.example' })).status).toBe(403);
    expect((await get(h, '/nope')).status).toBe(404);
  });

  it('metrics.public on a loopback bind serves /metrics without the token', async () => {
    h = await e2e({ metrics: { public: true } });
    await h.startGateway();
    const res = await get(h, '/metrics');
    expect(res.status).toBe(200);
    expect(sample(parseProm(res.body), 'wagate_account_state', { ...D, state: 'unlinked' })).toBe(1);
  });
});
