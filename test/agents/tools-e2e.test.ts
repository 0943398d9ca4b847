/**
 * The `whatsapp` tool end to end: a `command` agent answers "like" with a react
 * action on the contact's message and "unlike" with its removal; the simulated
 * contact sees the reaction arrive and go.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connectControl } from '../../src/gateway/control-client.js';
import { readTokenFile } from '../../src/gateway/token.js';
import { e2e, until, type E2E } from '../e2e/harness.js';

let h: E2E | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const AGENT = [
  "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{",
  'const {envelope:e,history}=JSON.parse(s);',
  "const base={tool:'whatsapp',action:'react',chatJid:e.ChatJid};",
  "if(e.RawBody==='like')return process.stdout.write(JSON.stringify({actions:[{...base,messageId:e.MessageId,emoji:'👍'}]}));",
  "const liked=history.filter(x=>x.role==='user'&&x.text==='like').pop();",
  "process.stdout.write(JSON.stringify({text:'unliked',actions:[{...base,messageId:liked.messageId,remove:true}]}));});",
].join('');

describe('the react tool through the simulator', () => {
  it('adds a reaction the contact sees, then removes it', async () => {
    h = await e2e({
      channels: { whatsapp: { dmPolicy: 'open', allowFrom: ['*'] } },
      agents: { defaults: { model: { provider: 'command', command: [process.execPath, '-e', AGENT] } } },
    });
    const gw = await h.startGateway();
    expect((await h.link('default', '+15550005000')).code).toBe(0);
    await until(() => gw.accounts.get('default')!.state === 'connected', 'connected');
    const carol = h.sim.contact('+15557772001', { name: 'Carol' });

    const id = await carol.send('like');
    const added = await until(() => carol.reactions.find((r) => r.id === id && r.emoji === '👍'), 'the 👍 reaction', 20_000);
    expect(added).toBeDefined();

    await carol.send('unlike');
    await until(() => carol.reactions.find((r) => r.id === id && r.emoji === ''), 'the reaction removed', 20_000);
    await until(() => carol.inbox.some((m) => m.message.conversation === 'unliked' || m.message.extendedTextMessage?.text === 'unliked'), 'the text reply');
    expect(carol.reactions.filter((r) => r.id === id).map((r) => r.emoji)).toEqual(['👍', '']);

    // The same through the control method `react`.
    const client = await connectControl({ url: gw.control.url, token: readTokenFile(h.home) });
    try {
      const res = await client.request('react', { chatJid: '+15557772001', messageId: id, emoji: '🎉' });
      expect(res).toMatchObject({ ok: true, emoji: '🎉', chatJid: '15557772001@s.whatsapp.net' });
      await until(() => carol.reactions.find((r) => r.id === id && r.emoji === '🎉'), 'the 🎉 reaction', 20_000);
      await expect(client.request('react', { chatJid: 'nope', messageId: id })).rejects.toMatchObject({ code: 'WAGATE_ERR_BAD_REQUEST' });
    } finally {
      client.close();
    }
  }, 60_000);

  it('with actions.reactions false the control method refuses with a clear error', async () => {
    h = await e2e({ channels: { whatsapp: { dmPolicy: 'open', allowFrom: ['*'], actions: { reactions: false } } } });
    const gw = await h.startGateway();
    const client = await connectControl({ url: gw.control.url, token: readTokenFile(h.home) });
    try {
      await expect(client.request('react', { chatJid: '+15557772001', messageId: 'X', emoji: '👍' })).rejects.toMatchObject({
        code: 'WAGATE_ERR_BAD_REQUEST',
        message: expect.stringContaining('actions.reactions is false'),
      });
    } finally {
      client.close();
    }
  }, 30_000);
});
