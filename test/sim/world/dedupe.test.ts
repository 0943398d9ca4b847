/**
 * Phones de-duplicate by message id (issue 13): a message sent again under its id is
 * shown once, as a real WhatsApp client does. And the fault that drops the connection
 * as the account's next message arrives, before its ack.
 */
import { describe, expect, it } from 'vitest';
import { useWorld, ACCOUNT } from './fixture.js';

import type { ReceivedMessage } from '../../../src/sim/index.js';

const textOf = (m: ReceivedMessage) => m.message.conversation ?? m.message.extendedTextMessage?.text;

describe('a simulated phone shows a message id once', () => {
  const f = useWorld();

  it('the same id sent twice is shown once; another id is shown', async () => {
    const client = await f.linked();
    const alice = f.sim.contact('+15551112222');
    await client.sock!.sendMessage(alice.jid, { text: 'once' }, { messageId: '3EB0AAAAAAAAAAAAAAAAAA' });
    await client.sock!.sendMessage(alice.jid, { text: 'once' }, { messageId: '3EB0AAAAAAAAAAAAAAAAAA' });
    await client.sock!.sendMessage(alice.jid, { text: 'twice' }, { messageId: '3EB0BBBBBBBBBBBBBBBBBB' });
    await expect.poll(() => alice.duplicates.length + alice.inbox.length, { timeout: 5000, interval: 20 }).toBe(3);
    expect(alice.inbox.map((m) => [m.id, textOf(m)])).toEqual([
      ['3EB0AAAAAAAAAAAAAAAAAA', 'once'],
      ['3EB0BBBBBBBBBBBBBBBBBB', 'twice'],
    ]);
    expect(alice.duplicates.length).toBe(1);
    // The account's own phone gets its copy of each once too.
    const phone = f.sim.primaryPhone(ACCOUNT);
    await expect.poll(() => phone.inbox.filter((m) => m.id.startsWith('3EB0')).length, { timeout: 5000, interval: 20 }).toBe(2);
  });

  it('dropOnNextMessage ends the connection before the ack; with deliver the recipient has the message', async () => {
    const client = await f.linked();
    const bob = f.sim.contact('+15553334444');
    f.sim.dropOnNextMessage(ACCOUNT, { code: 428, deliver: true });
    const closed = client.waitClose();
    await client.sock!.sendMessage(bob.jid, { text: 'got through' }, { messageId: '3EB0CCCCCCCCCCCCCCCCCC' });
    expect(await closed).toBe(428);
    await expect.poll(() => bob.inbox.map(textOf), { timeout: 5000, interval: 20 }).toEqual(['got through']);
  });
});
