import { afterEach, describe, expect, it } from 'vitest';
import { startPairing, pairingReplyText } from '../../src/actors/pairing.js';
import type { ActorDeps, RunningActor } from '../../src/actors/actor.js';
import { createBus } from '../../src/bus/bus.js';
import type { BusEvents } from '../../src/bus/events.js';
import { resolveAccounts, validateConfig } from '../../src/config/index.js';
import { WagateError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import type { InboundMessage } from '../../src/ports/inbound.js';
import { createPairingStore, PAIRING_TTL_MS } from '../../src/pairing/store.js';
import { storeFile } from '../../src/state-layout.js';
import { lazyStore } from '../helpers/test-store.js';
import { tmpDir } from '../helpers/tmp.js';
import { scriptedRandom } from './random.js';
import { until } from '../helpers/until.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
let actor: RunningActor | null = null;
afterEach(async () => {
  await actor?.stop();
  actor = null;
});

function dm(e164: string, id: string, extra: Partial<InboundMessage> = {}): InboundMessage {
  const jid = `${e164.slice(1)}@s.whatsapp.net`;
  return {
    accountId: 'default',
    id,
    chatJid: jid,
    chatId: e164,
    chatType: 'direct',
    from: { jid, e164, lid: null, name: 'Stranger' },
    fromMe: false,
    isSelfChat: false,
    timestamp: T0,
    upsertType: 'notify',
    offline: false,
    kind: 'text',
    text: 'hello',
    mentions: [],
    ...extra,
  };
}

function setup(codes: string[]) {
  const stateDir = tmpDir('pairing');
  let t = T0;
  const config = validateConfig({}, `${stateDir}/wagate.json`);
  const bus = createBus(silentLogger());
  const deps: ActorDeps = {
    bus,
    config,
    accounts: new Map(resolveAccounts(config, { env: { WAGATE_HOME: stateDir } }).map((a) => [a.accountId, a])),
    stateDir,
    store: lazyStore(storeFile(stateDir)),
    configPath: `${stateDir}/wagate.json`,
    logger: silentLogger(),
    now: () => t,
    connection: (id) => {
      throw new WagateError('WAGATE_ERR_NO_LISTENER', `No active WhatsApp listener for account ${id}.`);
    },
    identity: () => null,
    catchUpStart: () => null,
  };
  actor = startPairing(deps, { random: scriptedRandom(...codes) });
  const replies: BusEvents['reply.requested'][] = [];
  bus.on('reply.requested', (e) => void replies.push(e));
  const needed = async (message: InboundMessage) => {
    bus.emit('pairing.needed', { accountId: message.accountId, message, sender: message.chatId });
    await bus.idle();
  };
  return { bus, replies, needed, stateDir, deps, advance: (ms: number) => (t += ms) };
}

describe('pairing actor', () => {
  it('sends exactly one reply with the code to an unknown sender, naming the number and the approve command', async () => {
    const { replies, needed, deps } = setup(['ABCD2345']);
    await needed(dm('+15551234567', 'M1'));
    expect(replies).toEqual([
      {
        accountId: 'default',
        chatJid: '15551234567@s.whatsapp.net',
        text:
          'wagate: your number +15551234567 is not approved yet. Pairing code: ABCD2345 (valid 1 hour). ' +
          'Ask the owner to run: wagate pairing approve whatsapp ABCD2345',
        source: 'pairing',
        requestId: 'pairing:ABCD2345',
      },
    ]);
    const list = await createPairingStore({ store: deps.store, now: () => T0 }).list();
    expect(list).toMatchObject([{ code: 'ABCD2345', sender: '+15551234567', name: 'Stranger', expiresAt: T0 + PAIRING_TTL_MS }]);
    expect(actor!.summary()).toMatchObject({ pending: 1, codesIssued: 1, lastError: null });
  });

  it('does not reply again while the sender has a pending code', async () => {
    const { replies, needed } = setup(['ABCD2345']);
    await needed(dm('+15551234567', 'M1'));
    await needed(dm('+15551234567', 'M2'));
    await needed(dm('+15551234567', 'M3'));
    expect(replies.map((r) => r.requestId)).toEqual(['pairing:ABCD2345']);
  });

  it('a 4th unknown sender gets no code and no reply; after expiry a new code is sent', async () => {
    const { replies, needed, advance } = setup(['AAAA2222', 'BBBB3333', 'CCCC4444', 'DDDD5555']);
    for (const [i, n] of ['+15550000001', '+15550000002', '+15550000003', '+15550000004'].entries()) await needed(dm(n, `M${i}`));
    expect(replies.map((r) => r.chatJid)).toEqual(['15550000001@s.whatsapp.net', '15550000002@s.whatsapp.net', '15550000003@s.whatsapp.net']);
    expect(actor!.summary()).toMatchObject({ pending: 3, codesIssued: 3 });
    advance(PAIRING_TTL_MS);
    await needed(dm('+15550000004', 'M5'));
    expect(replies).toHaveLength(4);
    expect(replies[3]!.text).toContain('Pairing code: DDDD5555');
  });

  it('sends no code to a sender approved meanwhile, nor for our own messages', async () => {
    const { replies, needed, deps } = setup(['ABCD2345']);
    await needed(dm('+15551234567', 'M1'));
    await createPairingStore({ store: deps.store, now: () => T0 }).approve('abcd2345');
    await needed(dm('+15551234567', 'M2'));
    await needed(dm('+15559999999', 'M3', { fromMe: true }));
    expect(replies.map((r) => r.requestId)).toEqual(['pairing:ABCD2345']);
  });

  it('sends each pending code again (same request id, so the same WhatsApp message id) at the first connection of its account in a process', async () => {
    const { replies, needed, bus } = setup(['ABCD2345', 'EFGH6789']);
    await needed(dm('+15551234567', 'M1'));
    await needed(dm('+15557654321', 'M2', { accountId: 'other' }));
    const first = replies.splice(0);
    // The code of M1 may never have reached the phone (a kill right after it was issued): the next connection sends it again.
    bus.emit('account.connected', { accountId: 'default', identity: { jid: '15550000000:1@s.whatsapp.net', e164: '+15550000000', lid: null, name: null }, at: T0 });
    await until(() => replies.length === 1, 'the pending code sent again');
    await bus.idle();
    expect(replies).toEqual([first[0]]);
    // Once per account and process: a reconnect sends nothing more.
    bus.emit('account.connected', { accountId: 'default', identity: { jid: '15550000000:1@s.whatsapp.net', e164: '+15550000000', lid: null, name: null }, at: T0 });
    await bus.idle();
    await actor!.stop();
    expect(replies).toHaveLength(1);
  });

  it('names an unresolved LID sender by its id', () => {
    expect(pairingReplyText('123456789@lid', 'ABCD2345')).toContain('your WhatsApp id 123456789@lid is not approved yet');
  });

  it('records a store failure in its summary and replies nothing', async () => {
    const { replies, needed, deps } = setup(['ABCD2345']);
    await deps.store.close(); // the store cannot be used
    await needed(dm('+15551234567', 'M1'));
    expect(replies).toEqual([]);
    expect(actor!.summary()).toMatchObject({ lastError: { code: 'WAGATE_ERR_STORE' } });
  });

  it('stop() detaches its listener', async () => {
    const { bus, replies, needed } = setup(['ABCD2345']);
    expect(bus.listenerCount('pairing.needed')).toBe(1);
    await actor!.stop();
    expect(bus.listenerCount('pairing.needed')).toBe(0);
    await needed(dm('+15551234567', 'M1'));
    expect(replies).toEqual([]);
  });
});
