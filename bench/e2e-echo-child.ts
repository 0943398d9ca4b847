/**
 * One receiver of the e2e-echo benchmark in its own process (spawned by
 * e2e-echo-remote.ts, never by hand), so the simulator's work — it runs in the
 * parent and must decrypt every gateway reply — is not charged to the receiver.
 * IPC: → {type:'ready'}, {type:'received', id}; ← {type:'answer', jid}, {type:'stop'}.
 */
import './quiet-console.js';

// Measure what production runs (`node bin/wagate.js`, compiled, no source maps): tsx
// turns source-mapped stack traces on, and Baileys captures a stack for every query.
process.setSourceMapsEnabled(false);
import { installRootKey } from '../src/sim/server/certs.js';
import { openBare, openGateway, type EchoSideName } from './e2e-echo-sides.js';

const [side, home, id, url] = process.argv.slice(2) as [EchoSideName, string, string, string];
const send = (m: unknown) => process.send?.(m);

installRootKey(Buffer.from(process.env.WAGATE_BENCH_SIM_ROOT ?? '', 'base64'));
const s =
  side === 'gateway' || side === 'gateway-pg'
    ? await openGateway(home, id, url, side === 'gateway-pg' ? process.env.WAGATE_BENCH_STORE_URL : undefined)
    : await openBare(home, id, url, side === 'bare-echo');
s.onReceived((msgId) => send({ type: 'received', id: msgId }));
process.on('message', (m: { type: string; jid?: string }) => {
  if (m.type === 'answer' && m.jid) void s.answer(m.jid).then(() => send({ type: 'answered', jid: m.jid }));
  if (m.type === 'stop') void s.stop().finally(() => process.exit(0));
});
send({ type: 'ready' });
