import fs from 'node:fs';
import { Writable } from 'node:stream';
import JSON5 from 'json5';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { startAccessPolicy } from '../../src/actors/access-policy.js';
import { ALICE, BOB, dm, gm, harness, selfChat } from '../access/harness.js';

const ON = { commands: { config: true } };

function setup(whatsapp: Record<string, unknown>, extra: Record<string, unknown> = ON, fileText = '{}') {
  const h = harness(whatsapp, extra);
  fs.writeFileSync(h.deps.configPath, fileText);
  h.start(startAccessPolicy(h.deps));
  const read = () => fs.readFileSync(h.deps.configPath, 'utf8');
  return { h, read };
}

describe('access policy: /config from chat', () => {
  it('the owner self-chat sets a value: file written 0600, reply to the same chat, never reaches the agent', async () => {
    const { h, read } = setup({ selfChatMode: true });
    const msg = selfChat('/config set channels.whatsapp.dmPolicy allowlist');
    await h.receive(msg);
    expect(JSON5.parse(read())).toEqual({ channels: { whatsapp: { dmPolicy: 'allowlist' } } });
    expect(fs.statSync(h.deps.configPath).mode & 0o777).toBe(0o600);
    expect(h.of('message.accepted')).toEqual([]);
    expect(h.of('message.dropped').map((d) => [d.reason, d.markRead])).toEqual([['config-command', true]]);
    const [reply] = h.of('reply.requested');
    expect(reply).toMatchObject({
      accountId: 'default',
      chatJid: msg.chatJid,
      source: 'command',
      text: 'Config: set channels.whatsapp.dmPolicy = "allowlist" (was "pairing"). Restart the gateway to apply it.',
    });
    expect(reply?.requestId).toMatch(/^config-/);
    expect(h.deps.accounts.get('default')?.dmPolicy).toBe('pairing'); // the running gateway keeps its config
  });

  it('an allowFrom owner DM unsets a key; the owner check runs before the DM policy', async () => {
    const { h, read } = setup({ dmPolicy: 'disabled', allowFrom: [ALICE] }, ON, '{ channels: { whatsapp: { historyLimit: 9 } } }');
    await h.receive(dm(ALICE, '/config unset channels.whatsapp.historyLimit'));
    expect(JSON5.parse(read())).toEqual({ channels: { whatsapp: {} } });
    expect(h.of('reply.requested').map((r) => r.text)).toEqual([
      'Config: unset channels.whatsapp.historyLimit (was 9). Restart the gateway to apply it.',
    ]);
    expect(h.of('message.dropped').map((d) => d.reason)).toEqual(['config-command']);
  });

  it('a non-owner gets no reply, no pairing code, no agent, and the file is untouched', async () => {
    const { h, read } = setup({ dmPolicy: 'pairing', allowFrom: [ALICE] });
    await h.receive(dm(BOB, '/config set channels.whatsapp.dmPolicy open'));
    expect(read()).toBe('{}');
    expect(h.of('reply.requested')).toEqual([]);
    expect(h.of('pairing.needed')).toEqual([]);
    expect(h.of('message.accepted')).toEqual([]);
    expect(h.of('message.dropped').map((d) => [d.reason, d.markRead])).toEqual([['config-not-owner', false]]);
  });

  it('refused when commands.config is off (default): reply says why, agent never sees it', async () => {
    const { h, read } = setup({ allowFrom: [ALICE] }, {});
    await h.receive(dm(ALICE, '/config set channels.whatsapp.dmPolicy open'));
    expect(read()).toBe('{}');
    expect(h.of('reply.requested').map((r) => r.text)).toEqual(['Config writes are off (commands.config is false).']);
    expect(h.of('message.accepted')).toEqual([]);
  });

  it('refused when channels.whatsapp.configWrites is false', async () => {
    const { h, read } = setup({ allowFrom: [ALICE], configWrites: false });
    await h.receive(dm(ALICE, '/config unset channels.whatsapp.dmPolicy'));
    expect(read()).toBe('{}');
    expect(h.of('reply.requested').map((r) => r.text)).toEqual(['Config writes are off (channels.whatsapp.configWrites is false).']);
  });

  it('an invalid value changes nothing and the error is the reply', async () => {
    const before = '// hand-written\n{ channels: { whatsapp: { historyLimit: 3 } } }\n';
    const { h, read } = setup({ allowFrom: [ALICE] }, ON, before);
    await h.receive(dm(ALICE, '/config set channels.whatsapp.historyLimit "lots"'));
    expect(read()).toBe(before);
    const [reply] = h.of('reply.requested');
    expect(reply?.text).toMatch(/^Config not changed: Invalid config .*channels\.whatsapp\.historyLimit/);
  });

  it('in an allowed group the owner may use it; in a disallowed group it is just dropped by the group policy', async () => {
    const { h, read } = setup({ allowFrom: [ALICE], groupPolicy: 'open', groups: { '*': {} } });
    await h.receive(gm(ALICE, '/config set channels.whatsapp.textChunkLimit 2000'));
    expect(JSON5.parse(read())).toEqual({ channels: { whatsapp: { textChunkLimit: 2000 } } });
    expect(h.of('reply.requested').map((r) => r.chatJid)).toEqual([gm(ALICE, '').chatJid]);

    const off = setup({ allowFrom: [ALICE], groupPolicy: 'disabled' });
    await off.h.receive(gm(ALICE, '/config set channels.whatsapp.textChunkLimit 2000'));
    expect(off.read()).toBe('{}');
    expect(off.h.of('message.dropped').map((d) => d.reason)).toEqual(['group-policy-disabled']);
    expect(off.h.of('reply.requested')).toEqual([]);
  });

  it('the owner typing /config in a contact\'s DM from the phone is not a command (no reply into that chat)', async () => {
    const { h, read } = setup({ selfChatMode: true });
    await h.receive(dm(BOB, '/config set channels.whatsapp.dmPolicy open', { fromMe: true }));
    expect(read()).toBe('{}');
    expect(h.of('reply.requested')).toEqual([]);
    expect(h.of('message.dropped').map((d) => d.reason)).toEqual(['from-me']);
  });

  it('commands count in the summary; an ordinary message still flows normally afterwards', async () => {
    const h = harness({ dmPolicy: 'open', allowFrom: ['*'] }, ON);
    fs.writeFileSync(h.deps.configPath, '{}');
    const actor = h.start(startAccessPolicy(h.deps));
    await h.receive(dm(BOB, '/config'));
    await h.receive(dm(BOB, 'hello'));
    expect(h.of('message.dropped').map((d) => d.reason)).toEqual(['config-not-owner']);
    expect(h.of('message.accepted').map((a) => a.message.text)).toEqual(['hello']);
    expect(actor.summary()).toMatchObject({ commands: 1, accepted: 1 });
  });

  it('the shell-command attack from an allowFrom owner is refused: file untouched, reply says to use the config file', async () => {
    const { h, read } = setup({ allowFrom: [ALICE] });
    await h.receive(dm(ALICE, '/config set agents.defaults.model {provider:"command",command:["sh","-c","id > /tmp/pwned"]}'));
    expect(read()).toBe('{}');
    expect(h.of('reply.requested').map((r) => r.text)).toEqual([
      expect.stringMatching(/^Config not changed: agents\.defaults\.model can only be changed in the config file, not from chat\./),
    ]);
    expect(h.of('message.accepted')).toEqual([]);
  });

  it('a secret set from chat is neither echoed in the reply nor written to the log', async () => {
    const h = harness({ allowFrom: [ALICE] }, ON);
    fs.writeFileSync(h.deps.configPath, '{}');
    let logged = '';
    const sink = new Writable({
      write(chunk, _enc, cb) {
        logged += String(chunk);
        cb();
      },
    });
    h.deps = { ...h.deps, logger: pino({ level: 'trace' }, sink) };
    h.start(startAccessPolicy(h.deps));
    await h.receive(dm(ALICE, '/config set gateway.auth.token "hunter2-hunter2-hunter2"'));
    await h.receive(dm(ALICE, '/config set channels.whatsapp.dms {"apiKey": {historyLimit: 1}, "+1555": {historyLimit: "hunter2"}}'));
    await h.receive(dm(ALICE, '/config set channels.whatsapp.dms {"password": {historyLimit: 4}}'));
    const replies = h.of('reply.requested').map((r) => r.text);
    expect(replies).toHaveLength(3);
    expect(replies[2]).toMatch(/^Config: set channels\.whatsapp\.dms = value not shown/);
    expect(logged).toContain('/config command answered');
    for (const text of [...replies, logged]) expect(text).not.toMatch(/hunter2/);
  });
});
