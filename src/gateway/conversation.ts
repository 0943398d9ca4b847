/**
 * The conversation loop's actors (ARCHITECTURE.md), started by the supervisor in
 * this order: reply delivery, access policy, pairing, read receipts, ack
 * reactions; then the agent runner (src/agents/runner.ts) and its adapters, agent
 * dispatch and agent heartbeat. Also the control methods that enter the loop from
 * outside: `agent` (a runner adapter too), `send` and `react`.
 */
import { randomUUID } from 'node:crypto';
import { startAccessPolicy } from '../actors/access-policy.js';
import { startAckReaction } from '../actors/ack-reaction.js';
import { startAgentDispatch } from '../actors/agent-dispatch.js';
import { startAgentHeartbeat } from '../actors/agent-heartbeat.js';
import { ledgerOf, type ActorDeps } from '../actors/actor.js';
import { startInboundLedger } from '../actors/inbound-ledger.js';
import { startPairing } from '../actors/pairing.js';
import { startReadReceipt } from '../actors/read-receipt.js';
import { startReplyDelivery } from '../actors/reply-delivery.js';
import type { BusEvents } from '../bus/events.js';
import { defaultAccountId } from '../config/index.js';
import { WagateError } from '../errors.js';
import { badChatMessage, toChatJid } from '../whatsapp/address.js';
import { runControlAgent } from '../agents/control-run.js';
import { createAgentRunner } from '../agents/runner.js';
import { runWhatsappTool } from '../agents/tools.js';
import { subLogger } from '../log.js';
import type { ActorRegistry } from './actor-registry.js';
import type { ControlRegistry } from './methods.js';

export function startConversation(deps: ActorDeps, actors: ActorRegistry, methods: ControlRegistry): void {
  // The inbound ledger first: it records what the others decide (src/actors/inbound-ledger.ts).
  const ledger = ledgerOf(deps);
  actors.add(startInboundLedger({ ...deps, ledger }));
  actors.add(
    startReplyDelivery(deps, {
      // A reply's message ids are in its message's ledger entry before anything is sent
      // (only replies answering a ledger entry have one; others pass through), and committed:
      // with them everything written before (the record, the kept reply text, the session).
      beforeSend: async ({ accountId, requestId, messageIds }) => {
        if (messageIds.length > 0) await ledger.moveByRequest(accountId, requestId, { replyIds: messageIds }, { durable: true });
        else await deps.store.committed();
      },
    }),
  );
  actors.add(startAccessPolicy(deps));
  actors.add(startPairing(deps));
  actors.add(startReadReceipt(deps));
  actors.add(startAckReaction(deps));
  // One run at a time per session, whether a message, a heartbeat or the control method asked.
  const runner = createAgentRunner(deps);
  actors.add(runner);
  actors.add(startAgentDispatch(deps, runner));
  actors.add(startAgentHeartbeat(deps, runner));
  const agentLog = subLogger(deps.logger, 'agent');

  methods.register('agent', (params, ctx) => runControlAgent(runner, { ...deps, logger: agentLog }, params, (ev) => ctx.emit('agent', ev)));

  methods.register('send', async ({ to, text = '', accountId, media, gifPlayback }) => {
    const account = accountId ?? defaultAccountId(deps.config);
    if (!deps.accounts.has(account)) throw new WagateError('WAGATE_ERR_UNKNOWN_ACCOUNT', `No account "${account}" in the config.`);
    const chatJid = toChatJid(to);
    if (!chatJid) throw new WagateError('WAGATE_ERR_BAD_REQUEST', badChatMessage(to));
    deps.connection(account); // fail at once when not connected
    const requestId = randomUUID();
    const result = new Promise<BusEvents['reply.delivered']>((resolve, reject) => {
      const offs = [
        deps.bus.on('reply.delivered', (e) => {
          if (e.requestId !== requestId) return;
          offs.forEach((off) => off());
          resolve(e);
        }),
        deps.bus.on('reply.failed', (e) => {
          if (e.requestId !== requestId) return;
          offs.forEach((off) => off());
          reject(new WagateError(e.error.code, e.error.message));
        }),
      ];
    });
    const items = media?.map((m) => ({ ...m, ...(gifPlayback ? { gifPlayback } : {}) }));
    deps.bus.emit('reply.requested', { accountId: account, chatJid, text, source: 'cli', requestId, ...(items?.length ? { media: items } : {}) });
    const done = await result;
    return { accountId: account, to: chatJid, messageIds: done.messageIds };
  });

  methods.register('react', (params) => runWhatsappTool(deps, { action: 'react', ...params }));
}
