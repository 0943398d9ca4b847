import { describe, expect, it } from 'vitest';
import { useSim } from './fixture.js';

const PHONE = '+15550000001';

describe('QR linking against the simulator', () => {
  const f = useSim({ qrRefs: 2 });

  it('links by QR, restarts on 515 and opens with the new creds', async () => {
    const c = f.client();
    c.connect();
    const qr = await c.nextQr();
    expect(qr).toMatch(/^https:\/\/wa\.me\/settings\/linked_devices#2@/);
    const companion = await f.sim.phone(PHONE).scanQr(qr);
    expect(await c.waitClose()).toBe(515);
    await c.waitOpen();
    expect(companion.jid).toBe('15550000001:1@s.whatsapp.net');
    expect(companion.lid).toMatch(/^\d+:1@lid$/);
    expect(c.auth.state.creds.me?.id).toBe(companion.jid);
    expect(c.auth.state.creds.me?.lid).toBe(companion.lid);
    const online = await f.sim.hub.waitOnline('15550000001');
    expect(online.online).toBe(true);
    expect(online.keys?.preKeys.size).toBeGreaterThan(0);
    expect(online.keys?.registrationId).toBe(c.auth.state.creds.registrationId);
    expect(Buffer.from(online.keys!.identityKey)).toEqual(Buffer.from(c.auth.state.creds.signedIdentityKey.public));
  });

  it('rotates refs: each ref is a new QR, and the client gives up with 408 after the last', async () => {
    const c = f.client({ config: { qrTimeout: 50 } });
    c.connect();
    const first = await c.nextQr();
    const second = await c.nextQr();
    expect(second).not.toBe(first);
    expect(second.split(',').slice(1)).toEqual(first.split(',').slice(1));
    expect(await c.waitClose()).toBe(408);
    await expect(f.sim.phone(PHONE).scanQr(second)).rejects.toThrow(/unknown or expired/);
    expect(f.sim.hub.companions.size).toBe(0);
  });

  it('rejects a QR whose keys do not belong to the client that shows its ref', async () => {
    const c = f.client();
    c.connect();
    const qr = await c.nextQr();
    const [ref, , ...rest] = qr.split(',');
    const forged = [ref, Buffer.alloc(32, 7).toString('base64'), ...rest].join(',');
    await expect(f.sim.phone(PHONE).scanQr(forged)).rejects.toThrow(/noise key/);
  });

  it('calls the login handlers with firstLogin true after linking, false after a restart', async () => {
    const logins: Array<{ jid: string; firstLogin: boolean }> = [];
    f.sim.hub.onCompanionLogin((companion, info) => {
      logins.push({ jid: companion.jid, firstLogin: info.firstLogin });
    });
    const c = await f.linked(PHONE);
    await c.end();
    c.reopen();
    await c.waitOpen();
    expect(logins).toEqual([
      { jid: '15550000001:1@s.whatsapp.net', firstLogin: true },
      { jid: '15550000001:1@s.whatsapp.net', firstLogin: false },
    ]);
  });

  it('linking a number again removes its previous device (401) and gives the new one the next device id', async () => {
    const first = await f.linked(PHONE);
    const second = await f.linked(PHONE);
    expect(await first.waitClose()).toBe(401);
    expect(second.auth.state.creds.me?.id).toBe('15550000001:2@s.whatsapp.net');
    expect(f.sim.hub.companions.get('15550000001')!.device).toBe(2);
  });
});
