import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBus } from '../../src/bus/bus.js';
import { DROP_REASONS, GATED_REASONS } from '../../src/gateway/metric-labels.js';
import { createGatewayMetrics, outcomeLabels } from '../../src/gateway/metrics.js';
import { InboundLedger, keyOf } from '../../src/ledger/inbound-ledger.js';
import type { InboundMessage } from '../../src/ports/inbound.js';
import type { WebVersionInUse } from '../../src/ports/transport.js';
import { silentLogger } from '../../src/log.js';
import { ROOT } from '../helpers/cli.js';
import { parseProm, sample, seriesOf } from '../helpers/prom-text.js';
import { lazyStore } from '../helpers/test-store.js';
import { tmpDir } from '../helpers/tmp.js';

const msg = (id: string) => ({ id, chatJid: '15557770001@s.whatsapp.net', chatId: '+15557770001' }) as InboundMessage;

const arrival = (id: string) =>
  ({ id, chatJid: '15557770001@s.whatsapp.net', chatId: '+15557770001', from: { jid: '15557770001@s.whatsapp.net', e164: '+15557770001' }, timestamp: 1, upsertType: 'notify', text: id }) as InboundMessage;

function setup() {
  const bus = createBus(silentLogger());
  const clock = { t: 1_000_000 };
  const states = new Map([['work', 'connected']]);
  const versions = new Map<string, WebVersionInUse>([['work', { version: '2.3000.1', source: 'fetched', fetchedAt: 5 }]]);
  const metrics = createGatewayMetrics({
    bus,
    accounts: () => [...states].map(([accountId, state]) => ({ accountId, state, webVersion: versions.get(accountId) ?? null })),
    pairingPending: async () => 2,
    now: () => clock.t,
  });
  const scrape = async () => parseProm(await metrics.render());
  return { bus, clock, states, versions, metrics, scrape };
}

describe('gateway metrics from the bus (src/gateway/metrics.ts)', () => {
  it('one state series per account and state, 1 for the current; zeroed counters before any traffic', async () => {
    const { states, versions, scrape } = setup();
    let s = await scrape();
    expect(seriesOf(s, 'wagate_account_state')).toHaveLength(8);
    expect(sample(s, 'wagate_account_state', { account: 'work', state: 'connected' })).toBe(1);
    expect(s.get('wagate_account_reconnect_attempts_total{account="work"}')).toBe(0);
    expect(sample(s, 'wagate_pairing_requests_pending')).toBe(2);
    expect(sample(s, 'wagate_whatsapp_web_version_info', { account: 'work', version: '2.3000.1', source: 'fetched' })).toBe(1);
    states.set('work', 'backing-off');
    versions.set('work', { version: '2.3000.9', source: 'bundled' });
    s = await scrape();
    // The version in use now, and only it (the old series is gone).
    expect(seriesOf(s, 'wagate_whatsapp_web_version_info')).toEqual(['wagate_whatsapp_web_version_info{account="work",source="bundled",version="2.3000.9"}']);
    expect(sample(s, 'wagate_account_state', { account: 'work', state: 'connected' })).toBe(0);
    expect(sample(s, 'wagate_account_state', { account: 'work', state: 'backing-off' })).toBe(1);
  });

  it('connections, reconnect attempts and close codes, with unknown codes as "other"', async () => {
    const { bus, scrape } = setup();
    const identity = { jid: '1@s.whatsapp.net', e164: '+1' };
    bus.emit('account.connected', { accountId: 'work', identity, at: 1 });
    for (const code of [500, 999, null]) {
      bus.emit('account.disconnected', { accountId: 'work', kind: 'retry', code, reason: 'x', error: null, at: 1 });
    }
    const change = (from: 'backing-off' | 'unlinked', to: 'connecting') =>
      bus.emit('account.state.changed', { accountId: 'work', from, to, attempt: 1, nextRetryAt: null, lastClose: null, error: null, at: 1 });
    change('unlinked', 'connecting'); // the first connection: not a reconnect
    change('backing-off', 'connecting');
    const s = await scrape();
    expect(sample(s, 'wagate_account_connections_opened_total', { account: 'work' })).toBe(1);
    for (const code of ['500', 'other', 'none']) {
      expect(sample(s, 'wagate_account_connections_closed_total', { account: 'work', kind: 'retry', code }), code).toBe(1);
    }
    expect(sample(s, 'wagate_account_reconnect_attempts_total', { account: 'work' })).toBe(1);
  });

  it('inbound outcomes with bounded reasons; replies by source; run duration and received → delivered latency', async () => {
    const { bus, clock, scrape } = setup();
    bus.emit('message.received', { accountId: 'work', message: msg('m1') });
    bus.emit('message.accepted', { accountId: 'work', message: msg('m1'), route: { agentId: 'main', sessionKey: 'k', wasMentioned: false, activation: null } });
    bus.emit('message.dropped', { accountId: 'work', message: msg('m2'), reason: 'duplicate', markRead: false });
    bus.emit('message.dropped', { accountId: 'work', message: msg('m3'), reason: 'something-new +15557770001', markRead: false });
    bus.emit('message.gated', { accountId: 'work', message: msg('m4'), reason: 'not-mentioned' });
    bus.emit('pairing.needed', { accountId: 'work', message: msg('m5'), sender: '+15557770001' });
    clock.t += 1500;
    bus.emit('agent.run.finished', { accountId: 'work', runId: 'r1', origin: 'message', status: 'ok', durationMs: 1200, messageId: 'm1', at: clock.t });
    bus.emit('reply.requested', { accountId: 'work', chatJid: 'c', text: 'hi', source: 'agent', requestId: 'r1' });
    bus.emit('reply.requested', { accountId: 'work', chatJid: 'c', text: 'code', source: 'pairing', requestId: 'p1' });
    clock.t += 500;
    bus.emit('reply.delivered', { accountId: 'work', chatJid: 'c', requestId: 'r1', messageIds: ['x'], at: clock.t });
    bus.emit('reply.failed', { accountId: 'work', chatJid: 'c', requestId: 'p1', error: { code: 'WAGATE_ERR_INTERNAL', message: 'm' }, at: clock.t });
    const s = await scrape();
    const inbound = (outcome: string, reason: string) => sample(s, 'wagate_inbound_messages_total', { account: 'work', outcome, reason });
    expect([inbound('accepted', 'none'), inbound('dropped', 'duplicate'), inbound('dropped', 'other'), inbound('gated', 'not-mentioned'), inbound('pairing', 'none')]).toEqual([1, 1, 1, 1, 1]);
    expect(sample(s, 'wagate_replies_delivered_total', { account: 'work', source: 'agent' })).toBe(1);
    expect(sample(s, 'wagate_replies_failed_total', { account: 'work', source: 'pairing' })).toBe(1);
    expect(sample(s, 'wagate_agent_run_duration_seconds_sum', { account: 'work', origin: 'message', status: 'ok' })).toBe(1.2);
    expect(sample(s, 'wagate_reply_latency_seconds_sum', { account: 'work' })).toBe(2);
    expect(sample(s, 'wagate_reply_latency_seconds_bucket', { account: 'work', le: '2.5' })).toBe(1);
    expect(sample(s, 'wagate_reply_latency_seconds_bucket', { account: 'work', le: '1' })).toBe(0);
    expect([...s.keys()].join('\n')).not.toContain('1555777');
  });

  it('ledger outcomes as their moves commit (bounded reasons), and the unexplained entries from the audit at scrape time', async () => {
    const bus = createBus(silentLogger());
    const ledger = new InboundLedger(lazyStore(path.join(tmpDir('metrics-ledger'), 'wagate.db')), { now: () => 5 });
    const metrics = createGatewayMetrics({ bus, ledger, accounts: () => [{ accountId: 'work', state: 'connected' }], pairingPending: async () => 0, now: () => 5 });
    const scrape = async () => parseProm(await metrics.render());
    let s = await scrape();
    const outcome = (o: string, reason: string) => sample(s, 'wagate_ledger_outcomes_total', { account: 'work', outcome: o, reason });
    expect([outcome('replied', 'none'), outcome('failed', 'none'), outcome('dropped', 'expired')]).toEqual([0, 0, 0]);
    expect(sample(s, 'wagate_ledger_unexplained_entries', { account: 'work' })).toBe(0);

    const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    for (const id of ids) expect(await ledger.arrive('work', arrival(id))).toBe('new');
    const key = (id: string) => keyOf('work', arrival(id));
    await Promise.all([
      ledger.move(key('a'), { state: 'replied', replyIds: ['r1'] }),
      ledger.move(key('b'), { state: 'replied', reason: 'no-reply' }),
      ledger.move(key('c'), { state: 'failed', error: 'x' }),
      ledger.move(key('d'), { state: 'dropped', reason: 'expired' }),
      ledger.move(key('e'), { state: 'dropped', reason: 'not-allowlisted' }),
      ledger.move(key('f'), { state: 'dropped', reason: 'some-new-reason +15557770001' }),
      ledger.move(key('g'), { state: 'gated', reason: 'not-mentioned' }),
      ledger.move(key('h'), { state: 'accepted' }), // not final: not an outcome
    ]);
    // `h` is held by the ledger (being handled): explained. Let go of it, it is unexplained.
    s = await scrape();
    expect([outcome('replied', 'none'), outcome('replied', 'no-reply'), outcome('failed', 'none')]).toEqual([1, 1, 1]);
    expect([outcome('dropped', 'expired'), outcome('dropped', 'not-allowlisted'), outcome('dropped', 'other'), outcome('gated', 'not-mentioned')]).toEqual([1, 1, 1, 1]);
    expect(seriesOf(s, 'wagate_ledger_outcomes_total').filter((k) => k.includes('accepted') || k.includes('received'))).toEqual([]);
    expect(sample(s, 'wagate_ledger_unexplained_entries', { account: 'work' })).toBe(0);
    ledger.markClosed(key('h'));
    s = await scrape();
    expect(sample(s, 'wagate_ledger_unexplained_entries', { account: 'work' })).toBe(1);
    expect([...s.keys()].join('\n')).not.toContain('1555777');
    metrics.stop();
    await ledger.move(key('h'), { state: 'replied' });
    // Detached: the move commits but no longer counts.
    expect(sample(parseProm(await metrics.render()), 'wagate_ledger_outcomes_total', { account: 'work', outcome: 'replied', reason: 'none' })).toBe(1);
  });

  it('every metric the example alert rules use exists (examples/prometheus/wagate.rules.yml)', async () => {
    const bus = createBus(silentLogger());
    const ledger = new InboundLedger(lazyStore(path.join(tmpDir('metrics-rules'), 'wagate.db')));
    const metrics = createGatewayMetrics({ bus, ledger, accounts: () => [{ accountId: 'work', state: 'connected' }], pairingPending: async () => 0, now: () => 5 });
    const text = await metrics.render();
    metrics.stop();
    const rules = fs.readFileSync(path.join(ROOT, 'examples', 'prometheus', 'wagate.rules.yml'), 'utf8');
    const used = [...rules.matchAll(/expr: (wagate_[a-z_]+)/g)].map((m) => m[1]!);
    expect(used).toEqual(['wagate_account_state', 'wagate_ledger_unexplained_entries']);
    for (const name of used) expect(text, name).toMatch(new RegExp(`^${name}\\{account="work"`, 'm'));
    expect(rules).not.toMatch(/placeholder/i);
  });

  it('outcome labels: only final states; reasons bounded', () => {
    expect(outcomeLabels({ state: 'running', reason: null })).toBeNull();
    expect(outcomeLabels({ state: 'received', reason: null })).toBeNull();
    expect(outcomeLabels({ state: 'pairing', reason: null })).toEqual({ outcome: 'pairing', reason: 'none' });
    expect(outcomeLabels({ state: 'gated', reason: 'whatever' })).toEqual({ outcome: 'gated', reason: 'other' });
    expect(outcomeLabels({ state: 'replied', reason: 'odd' })).toEqual({ outcome: 'replied', reason: 'none' });
  });

  it('stop() detaches it from the bus', () => {
    const { bus, metrics } = setup();
    const before = bus.listenerCount();
    metrics.stop();
    expect(before).toBeGreaterThan(0);
    expect(bus.listenerCount()).toBe(0);
  });

  it('knows every drop and gate reason the access policy gives (a new one would count as "other")', () => {
    const files = ['src/actors/access-policy.ts', 'src/access/policy/group-gate.ts', 'src/access/policy/group-policy.ts', 'src/access/commands/config-command.ts', 'src/pairing/dm-policy.ts'];
    const found = new Set<string>();
    for (const f of files) {
      const text = fs.readFileSync(path.join(ROOT, f), 'utf8');
      for (const m of text.matchAll(/reason: '([a-z:-]+)'|drop\(accountId, message, '([a-z:-]+)'|'drop:([a-z-]+)'|`catch-up:\$\{verdict\}`/g)) {
        if (m[0].startsWith('`')) ['catch-up:too-old', 'catch-up:before-window'].forEach((r) => found.add(r));
        else found.add((m[1] ?? m[2] ?? m[3]) as string);
      }
    }
    expect(found.size).toBeGreaterThan(10);
    expect([...found].filter((r) => !DROP_REASONS.has(r) && !GATED_REASONS.has(r))).toEqual([]);
  });
});
