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
import type { ControlClient } from '../gateway/control-client.js';
import { startLogin, waitForLink, type LoginStart } from '../gateway/login.js';
import type { LinkedIdentity } from '../ports/transport.js';
import { createBaileysTransportFactory } from '../whatsapp/index.js';
import { connectGateway, openLogger, type CliContext } from './context.js';
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
    const identity = client ? await loginViaGateway(client, accountId, timeoutMs, onQr) : await loginInProcess(ctx, accountId, timeoutMs, onQr);
    if (opts.json) ctx.io.out(JSON.stringify({ event: 'linked', accountId, e164: identity.e164, jid: identity.jid }));
    else ctx.io.out(`Linked account ${accountId} as ${identity.e164 ?? identity.jid}.`);
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
): Promise<LinkedIdentity> {
  try {
    client.onEvent((f) => {
      const p = f.payload as { accountId?: string; qr?: string; count?: number };
      if (f.event === 'login.qr' && p.accountId === accountId && p.qr) onQr(p.qr, p.count ?? 1);
    });
    const start = await client.request<LoginStart>('login.start', { accountId });
    if (start.status === 'already-linked' && start.identity) return start.identity;
    const res = await client.request<{ identity: LinkedIdentity }>('login.wait', { accountId, timeoutMs });
    return res.identity;
  } finally {
    client.close();
  }
}

async function loginInProcess(
  ctx: CliContext,
  accountId: string,
  timeoutMs: number,
  onQr: (qr: string, count: number) => void,
): Promise<LinkedIdentity> {
  const root = openLogger(ctx, false);
  const bus = createBus(root.logger);
  // The link moment and this connection are the gateway's next catch-up window start:
  // a contact who writes before the gateway starts is still answered (SPEC §5).
  const history = new ConnectionHistory(ctx.stateDir);
  recordConnectionHistory(bus, history);
  const transport = createBaileysTransportFactory({ config: ctx.config, env: ctx.io.env, logger: root.logger }).create(accountId);
  const rt = new AccountRuntime({
    accountId,
    transport,
    bus,
    logger: root.logger.child({ subsystem: 'whatsapp', accountId }),
    heartbeatSeconds: ctx.config.web.heartbeatSeconds,
    reconnect: ctx.config.web.reconnect,
  });
  try {
    await rt.start();
    const start = startLogin(rt);
    if (start.status === 'already-linked') {
      // Linked already: confirm the creds still log in before saying so.
      return await waitForLink(rt, bus, { timeoutMs, signal: ctx.io.signal });
    }
    return await waitForLink(rt, bus, { timeoutMs, signal: ctx.io.signal, onQr });
  } finally {
    if (rt.state === 'connected') void history.seen(accountId, Date.now());
    await rt.stop();
    await bus.idle();
    await history.flush();
    bus.clear();
    root.close();
  }
}

export async function runLogout(ctx: CliContext, opts: { account?: string; json?: boolean }): Promise<number> {
  const acc = resolveAccount(ctx.config, opts.account ?? defaultAccountId(ctx.config), { env: ctx.io.env });
  const client = await gatewayOrNull(ctx);
  let removed: string[];
  if (client) {
    try {
      removed = (await client.request<{ removed: string[] }>('logout', { accountId: acc.accountId })).removed;
    } finally {
      client.close();
    }
  } else {
    const root = openLogger(ctx, false);
    try {
      removed = await createBaileysTransportFactory({ config: ctx.config, env: ctx.io.env, logger: root.logger }).create(acc.accountId).logout();
    } finally {
      root.close();
    }
  }
  if (opts.json) ctx.io.out(JSON.stringify({ accountId: acc.accountId, removed }));
  else if (removed.length === 0) ctx.io.out(`Account ${acc.accountId} had no WhatsApp auth state; nothing removed.`);
  else ctx.io.out(`Logged out account ${acc.accountId}; removed ${removed.length} file(s):\n${removed.map((p) => `  ${p}`).join('\n')}`);
  return 0;
}
