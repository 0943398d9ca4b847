/**
 * `wagate channels login` and `logout`: through the running gateway when there
 * is one, in-process otherwise. The QR is drawn in the terminal and redrawn as
 * WhatsApp rotates it; `--json` prints one JSON line per event for scripts.
 */
import qrcode from 'qrcode-terminal';
import { createBus } from '../bus/bus.js';
import { defaultAccountId, resolveAccount } from '../config/index.js';
import { isWagateError, WagateError } from '../errors.js';
import { AccountRuntime } from '../gateway/account-runtime.js';
import { ConnectionHistory, recordConnectionHistory } from '../gateway/connection-history.js';
import { importStateFiles } from '../state-import.js';
import type { Store } from '../store/port.js';
import type { ControlClient } from '../gateway/control-client.js';
import { startLogin, waitForLink, type WaitOptions } from '../gateway/login.js';
import type { Logger } from 'pino';
import { subLogger } from '../log.js';
import type { AccountTransport, LinkedIdentity } from '../ports/transport.js';
import { createBaileysTransportFactory } from '../whatsapp/index.js';
import { connectGateway, openLogger, withStore, type CliContext } from './context.js';
import type { CliIO } from './io.js';

export interface LoginOptions {
  account?: string;
  json?: boolean;
  timeout: number;
}

/** Connect to the gateway, or null when it is not running (any other error is thrown). */
async function gatewayOrNull(ctx: CliContext): Promise<ControlClient | null> {
  try {
    return await connectGateway(ctx);
  } catch (err) {
    if (isWagateError(err) && err.code === 'WAGATE_ERR_GATEWAY_UNREACHABLE') return null;
    throw err;
  }
}

export function drawQr(io: CliIO, qr: string, count: number): void {
  qrcode.generate(qr, { small: true }, (art) => {
    if (io.isTTY) io.out('\x1b[2J\x1b[H');
    io.out(`Scan this QR in WhatsApp → Settings → Linked Devices${count > 1 ? ` (refreshed, #${count})` : ''}`);
    io.out(art);
  });
}

export async function runLogin(ctx: CliContext, opts: LoginOptions): Promise<number> {
  const accountId = resolveAccount(ctx.config, opts.account ?? defaultAccountId(ctx.config), { env: ctx.io.env }).accountId;
  const onQr = (qr: string, count: number) => {
    if (opts.json) ctx.io.out(JSON.stringify({ event: 'qr', qr }));
    else drawQr(ctx.io, qr, count);
  };
  const timeoutMs = opts.timeout * 1000;
  try {
    const client = await gatewayOrNull(ctx);
    const { identity, already } = client ? await loginViaGateway(client, accountId, timeoutMs, onQr) : await loginInProcess(ctx, accountId, timeoutMs, onQr);
    const who = identity.e164 ?? identity.jid;
    if (opts.json) ctx.io.out(JSON.stringify({ event: 'linked', accountId, e164: identity.e164, jid: identity.jid, ...(already ? { alreadyLinked: true } : {}) }));
    else if (already && !client) {
      ctx.io.out(
        `Account ${accountId} is already linked as ${who}; start it with \`wagate gateway\`. ` +
          `(If WhatsApp logged this device out, run \`wagate channels logout --account ${accountId}\` first, then link again.)`,
      );
    } else ctx.io.out(`Linked account ${accountId} as ${who}.`);
    return 0;
  } catch (err) {
    const e = isWagateError(err) ? err : new WagateError('WAGATE_ERR_INTERNAL', (err as Error).message);
    if (opts.json) ctx.io.out(JSON.stringify({ event: 'error', accountId, code: e.code, message: e.message }));
    else ctx.io.err(`wagate: login failed: ${e.message}`);
    return 1;
  }
}

async function loginViaGateway(
  client: ControlClient,
  accountId: string,
  timeoutMs: number,
  onQr: (qr: string, count: number) => void,
): Promise<{ identity: LinkedIdentity; already: boolean }> {
  try {
    client.onEvent((f) => {
      const p = f.payload as { accountId?: string; qr?: string; count?: number };
      if (f.event === 'login.qr' && p.accountId === accountId && p.qr) onQr(p.qr, p.count ?? 1);
    });
    const start = await client.request('login.start', { accountId });
    if (start.status === 'already-linked' && start.identity) return { identity: start.identity, already: true };
    const res = await client.request('login.wait', { accountId, timeoutMs });
    return { identity: res.identity, already: start.status === 'already-linked' };
  } finally {
    client.close();
  }
}

async function loginInProcess(
  ctx: CliContext,
  accountId: string,
  timeoutMs: number,
  onQr: (qr: string, count: number) => void,
): Promise<{ identity: LinkedIdentity; already: boolean }> {
  const root = openLogger(ctx, false);
  try {
    return await withStore(ctx.stateDir, async (store) => {
      const transport = createBaileysTransportFactory({ config: ctx.config, env: ctx.io.env, logger: root.logger }).create(accountId, { store });
      // Already linked: say so without connecting. A connection here would take the
      // messages WhatsApp queued for the gateway, acknowledge them and answer none.
      const saved = await transport.savedIdentity();
      if (saved) return { identity: saved, already: true };
      return {
        identity: await linkInProcess(ctx, accountId, transport, store, root.logger, { timeoutMs, signal: ctx.io.signal, onQr }),
        already: false,
      };
    });
  } finally {
    root.close();
  }
}

/** How long the in-process login keeps the store open after closing its link connection. */
const LINK_SETTLE_MS = 250;

async function linkInProcess(
  ctx: CliContext,
  accountId: string,
  transport: AccountTransport,
  store: Store,
  logger: Logger,
  wait: WaitOptions,
): Promise<LinkedIdentity> {
  const bus = createBus(logger);
  // The link moment and this connection start the gateway's next catch-up window:
  // a contact who writes before the gateway starts is still answered (SPEC §5).
  // An old connection-history file first, so the link recorded below is not overwritten by it.
  await importStateFiles({ store, stateDir: ctx.stateDir, log: logger, only: ['connections'] });
  const history = await ConnectionHistory.load(store, [accountId], (err) => logger.warn({ err, accountId }, 'connection history read/write failed'));
  recordConnectionHistory(bus, history);
  const rt = new AccountRuntime({
    accountId,
    transport,
    bus,
    logger: subLogger(logger, 'whatsapp', accountId),
    heartbeatSeconds: ctx.config.web.heartbeatSeconds,
    reconnect: ctx.config.web.reconnect,
  });
  try {
    await rt.start();
    startLogin(rt);
    return await waitForLink(rt, bus, wait);
  } finally {
    if (rt.state === 'connected') void history.seen(accountId, Date.now());
    await rt.stop();
    await bus.idle();
    await history.flush();
    // Baileys' post-link work (creating the own LID session) can outlive the socket by
    // more than the transport's quiet window; the store must still be open when it writes,
    // or the gateway cannot decrypt what contacts send to the LID. The socket is closed,
    // so nothing queued for the gateway is taken meanwhile.
    await new Promise((r) => setTimeout(r, LINK_SETTLE_MS));
    bus.clear();
  }
}

export async function runLogout(ctx: CliContext, opts: { account?: string; json?: boolean }): Promise<number> {
  const acc = resolveAccount(ctx.config, opts.account ?? defaultAccountId(ctx.config), { env: ctx.io.env });
  const client = await gatewayOrNull(ctx);
  let removed: string[];
  if (client) {
    try {
      removed = (await client.request('logout', { accountId: acc.accountId })).removed;
    } finally {
      client.close();
    }
  } else {
    const root = openLogger(ctx, false);
    try {
      removed = await withStore(ctx.stateDir, (store) =>
        createBaileysTransportFactory({ config: ctx.config, env: ctx.io.env, logger: root.logger }).create(acc.accountId, { store }).logout(),
      );
    } finally {
      root.close();
    }
  }
  if (opts.json) ctx.io.out(JSON.stringify({ accountId: acc.accountId, removed }));
  else if (removed.length === 0) ctx.io.out(`Account ${acc.accountId} had no WhatsApp auth state; nothing removed.`);
  else ctx.io.out(`Logged out account ${acc.accountId}; removed:\n${removed.map((p) => `  ${p}`).join('\n')}`);
  return 0;
}
