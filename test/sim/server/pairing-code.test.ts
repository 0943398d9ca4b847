import { describe, expect, it } from 'vitest';
import { useSim } from './fixture.js';

const PHONE = '+15550000002';

describe('pairing-code linking', () => {
  const f = useSim();

  it('links with the code from requestPairingCode, restarts on 515 and opens', async () => {
    const c = f.client();
    const sock = c.connect();
    await c.nextQr();
    const code = await sock.requestPairingCode('15550000002');
    expect(code).toMatch(/^[A-Z0-9]{8}$/);
    const companion = await f.sim.phone(PHONE).enterPairingCode(code);
    expect(await c.waitClose()).toBe(515);
    await c.waitOpen();
    expect(c.auth.state.creds.me?.id).toBe(companion.jid);
    expect(c.auth.state.creds.me?.lid).toBe(companion.lid);
    expect((await f.sim.hub.waitOnline('15550000002')).online).toBe(true);
  });

  it('rejects a wrong code and links nothing', async () => {
    const c = f.client();
    const sock = c.connect();
    await c.nextQr();
    const code = await sock.requestPairingCode('15550000002');
    const wrong = code === 'AAAAAAAA' ? 'BBBBBBBB' : 'AAAAAAAA';
    await expect(f.sim.phone(PHONE).enterPairingCode(wrong)).rejects.toThrow(/wrong pairing code/);
    expect(f.sim.hub.companions.size).toBe(0);
  });

  it('refuses a code for a number no client asked about', async () => {
    await expect(f.sim.phone('+15550009999').enterPairingCode('ABCDEFGH', 10)).rejects.toThrow(/no client asked/);
  });
});
