/**
 * The gateway on PostgreSQL end to end (real Baileys ↔ simulator, a throwaway
 * PostgreSQL server): the URL comes from $WAGATE_STORE_URL only (the config file has
 * no store section); link through the CLI, answer a message, restart and connect with
 * the creds read back from PostgreSQL (no QR), answer again; `doctor` and
 * `debug dump` say where the store is, without the password; no SQLite file appears.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres.js';
import { runCli } from '../helpers/cli.js';
import { postgresForFile, type PgServer } from '../helpers/postgres.js';
import { e2e, until, type E2E, textOf } from './harness.js';

const BOT = '+15550008100';
const OPEN = { channels: { whatsapp: { dmPolicy: 'open' as const, allowFrom: ['*'] } } };

let server: PgServer;
postgresForFile((s) => (server = s));

let h: E2E | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe('the gateway on PostgreSQL', () => {
  it('links, answers, restarts from the creds in PostgreSQL without a QR, and answers again', async () => {
    const url = await server.createDatabase();
    h = await e2e(OPEN);
    h.env.WAGATE_STORE_URL = url;
    const gw = await h.startGateway();
    expect(gw.store.kind).toBe('postgres');
    expect(gw.store.location).not.toContain(encodeURIComponent(server.password));

    expect((await h.link('default', BOT)).code).toBe(0);
    await until(() => gw.accounts.get('default')!.state === 'connected', 'connected after linking');
    const kim = h.sim.contact('+15557773001', { name: 'Kim' });
    await h.handled(await kim.send('hello postgres'));
    await until(() => kim.inbox.map(textOf).includes('echo: hello postgres'), 'the first reply');

    await h.stopGateway();
    // What the restart will read: the creds and Signal keys are in PostgreSQL.
    const direct = await openPostgresStore({ url });
    try {
      expect(await direct.creds.accounts()).toEqual(['default']);
      expect((await direct.keys.count('default'))['pre-key']).toBeGreaterThan(0);
      // the inbound ledger (the dedupe memory) has the message, answered
      expect((await direct.ledger.list({ accountId: 'default' })).map((e) => [e.state, JSON.parse(e.message).text])).toEqual([['replied', 'hello postgres']]);
    } finally {
      await direct.close();
    }

    const again = await h.startGateway();
    const qrs: unknown[] = [];
    again.bus.on('account.qr.updated', (e) => void qrs.push(e));
    await until(() => again.accounts.get('default')!.state === 'connected', 'connected again from the stored creds');
    expect(qrs).toEqual([]);
    await h.handled(await kim.send('and again'));
    await until(() => kim.inbox.map(textOf).includes('echo: and again'), 'the reply after the restart');

    const doctor = JSON.parse((await runCli(['doctor', '--json'], h.env)).stdout) as { checks: Array<{ id: string; status: string; message: string }> };
    const storeCheck = doctor.checks.find((c) => c.id === 'store')!;
    expect(storeCheck).toMatchObject({ status: 'ok', message: expect.stringMatching(/^postgres postgres:\/\/wagate_test@127\.0\.0\.1:\d+\/\w+: connected, schema version/) });
    const dump = await runCli(['debug', 'dump', '--json'], h.env);
    expect(dump.code).toBe(0);
    const st = (JSON.parse(dump.stdout) as { store: { kind: string; location: string; counts: Record<string, number> } }).store;
    expect(st).toMatchObject({ kind: 'postgres', location: gw.store.location });
    expect(st.counts.wa_creds).toBe(1);
    for (const text of [JSON.stringify(doctor), dump.stdout]) expect(text).not.toContain(encodeURIComponent(server.password));
    // The commands that open the store themselves read PostgreSQL too.
    const sessions = await runCli(['sessions', 'list', '--json'], h.env);
    expect(sessions.code).toBe(0);
    const keys = (JSON.parse(sessions.stdout) as { sessions: Array<{ key: string }> }).sessions.map((x) => x.key);
    expect(keys).toEqual((await again.store.sessions.list()).map((x) => x.key));
    const pairing = await runCli(['pairing', 'list', 'whatsapp', '--json'], h.env);
    expect(pairing.code).toBe(0);
    expect(JSON.parse(pairing.stdout)).toEqual({ channel: 'whatsapp', requests: [] });
    expect(fs.existsSync(path.join(h.home, 'wagate.db'))).toBe(false);
  });
});
