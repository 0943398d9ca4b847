import { describe, expect, it } from 'vitest';
import { logLineMatches, pageHost, redactSecrets, REDACTED } from '../../src/gateway/page-methods.js';
import { createLogTap } from '../../src/log-tap.js';
import { createPairingStore } from '../../src/pairing/store.js';
import { lazyStore } from '../helpers/test-store.js';
import { tmpDir } from '../helpers/tmp.js';
import path from 'node:path';

describe('the control page methods (src/gateway/page-methods.ts)', () => {
  it('redacts tokens, keys, secrets, passwords and URL passwords from the config it shows', () => {
    const out = redactSecrets({
      gateway: { auth: { token: 'abc' }, port: 1 },
      channels: { whatsapp: { proxy: 'socks5://bob:hunter2@proxy:1080', accounts: { a: { proxy: 'http://proxy:3128' } } } },
      agents: { list: [{ id: 'x', provider: { apiKey: 'sk-1', clientSecret: 's', url: 'https://api.example/v1' } }] },
      dmPolicy: 'pairing',
    }) as any;
    expect(out.gateway.auth.token).toBe(REDACTED);
    expect(out.gateway.port).toBe(1);
    expect(out.channels.whatsapp.proxy).toBe(`socks5://bob:${REDACTED}@proxy:1080`);
    expect(out.channels.whatsapp.accounts.a.proxy).toBe('http://proxy:3128');
    expect(out.agents.list[0].provider).toEqual({ apiKey: REDACTED, clientSecret: REDACTED, url: 'https://api.example/v1' });
    expect(JSON.stringify(out)).not.toMatch(/abc|hunter2|sk-1/);
  });

  it('filters log lines by subsystem, account and lowest level', () => {
    const line = JSON.stringify({ level: 40, subsystem: 'whatsapp', accountId: 'work', msg: 'x' });
    expect(logLineMatches(line, {})).toBe(true);
    expect(logLineMatches(line, { subsystem: 'whatsapp', accountId: 'work', level: 'warn' })).toBe(true);
    expect(logLineMatches(line, { level: 'error' })).toBe(false);
    expect(logLineMatches(line, { accountId: 'home' })).toBe(false);
    expect(logLineMatches('not json', { subsystem: 'gateway' })).toBe(false);
  });

  it('the log tap keeps the last lines and streams new ones, split on newlines', () => {
    const tap = createLogTap(2);
    const seen: string[] = [];
    const off = tap.subscribe((l) => seen.push(l));
    tap.stream.write('{"a":1}\n{"a":2}\n{"a"');
    tap.stream.write(':3}\n');
    expect(tap.recent()).toEqual(['{"a":2}', '{"a":3}']);
    expect(seen).toEqual(['{"a":1}', '{"a":2}', '{"a":3}']);
    off();
    tap.stream.write('{"a":4}\n');
    expect(seen).toHaveLength(3);
  });

  it('the one-time link names an address a local browser reaches', () => {
    expect(pageHost('127.0.0.1')).toBe('127.0.0.1');
    expect(pageHost('0.0.0.0')).toBe('127.0.0.1');
    expect(pageHost('::1')).toBe('[::1]');
    expect(pageHost('192.168.1.5')).toBe('192.168.1.5');
  });
});

describe('rejecting a pairing request (src/pairing/store.ts)', () => {
  it('drops the request without approving the sender; an unknown code is an error', async () => {
    const store = lazyStore(path.join(tmpDir('reject'), 'wagate.db'));
    const pairing = createPairingStore({ store, now: () => 1000 });
    const r = await pairing.requestCode('+15550001111', 'default');
    if (r.status !== 'created') throw new Error('expected a new code');
    expect(await pairing.reject(r.code.toLowerCase())).toEqual({ sender: '+15550001111', accountId: 'default', code: r.code });
    expect(await pairing.list()).toEqual([]);
    expect(await pairing.isApproved('+15550001111')).toBe(false);
    await expect(pairing.reject(r.code)).rejects.toMatchObject({ code: 'WAGATE_ERR_PAIRING_CODE' });
  });
});
