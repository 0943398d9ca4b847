/**
 * `wagate channels login` and `logout`: through the running gateway when there
 * is one, in-process otherwise. The QR is drawn in the terminal and redrawn as
 * WhatsApp rotates it; with `--phone` the pairing code is printed instead, with
 * what to tap on the phone. `--json` prints one JSON line per event for scripts.
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
  /** E.164 (already validated by `parsePhone`): link by pairing code instead of QR. */
  phone?: string;
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

/** What to tap on the phone for a pairing code (SPEC §4). */
export function pairingCodeHelp(code: string, phone: string | null): string[] {
  return [
    `Pairing code: ${code}`,
    `On the phone${phone ? ` with ${phone}` : ''}: WhatsApp → Settings → Linked devices → Link a device → Link with phone number instead, then enter the code.`,
  ];
}

export async function runLogin(ctx: CliContext, opts: LoginOptions): Promise<number> {
  const accountId = resolveAccount(ctx.config, opts.account ?? defaultAccountId(ctx.config), { env: ctx.io.env }).accountId;
  const phone = opts.phone;
  const show: Shown = {
    // By pairing code the QR codes Baileys still rotates are not shown.
    onQr: (qr, count) => {
      if (phone) return;
      if (opts.json) ctx.io.out(JSON.stringify({ event: 'qr', qr }));
      else drawQr(ctx.io, qr, count);
    },
    onCode: (code) => {
      if (opts.json) ctx.io.out(JSON.stringify({ event: 'code', code }));
      else for (const line of pairingCodeHelp(code, phone ?? null)) ctx.io.out(line);
    },
  };
  const timeoutMs = opts.timeout * 1000;
  try {
    const client = await gatewayOrNull(ctx);
    const { identity, already } = client
      ? await loginViaGateway(client, accountId, timeoutMs, phone, show)
      : await loginInProcess(ctx, accountId, timeoutMs, phone, show);
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

interface Shown {
  onQr(qr: string, count: number): void;
  onCode(code: string): void;
}

async function loginViaGateway(
  client: ControlClient,
  accountId: string,
  timeoutMs: number,
  phone: string | undefined,
  show: Shown,
): Promise<{ identity: LinkedIdentity; already: boolean }> {
  try {
    client.onEvent((f) => {
      const p = f.payload as { accountId?: string; qr?: string; count?: number; code?: string };
      if (p.accountId !== accountId) return;
      if (f.event === 'login.qr' && p.qr) show.onQr(p.qr, p.count ?? 1);
      if (f.event === 'login.code' && p.code) show.onCode(p.code);
    });
    const start = await client.request('login.start', phone ? { accountId, phone } : { accountId });
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
  phone: string | undefined,
  show: Shown,
): Promise<{ identity: LinkedIdentity; already: boolean }> {
  const root = openLogger(ctx, false);
  try {
    return await withStore(ctx, async (store) => {
      const transport = createBaileysTransportFactory({ config: ctx.config, env: ctx.io.env, logger: root.logger }).create(accountId, { store });
      // Already linked: say so without connecting. A connection here would take the
      // messages WhatsApp queued for the gateway, acknowledge them and answer none.
      const saved = await transport.savedIdentity();
      if (saved) return { identity: saved, already: true };
      return {
        identity: await linkInProcess(ctx, accountId, transport, store, root.logger, phone, { timeoutMs, signal: ctx.io.signal, ...show }),
        already: false,
      };
    });
  } finally {
    root.close();
  }
}

async function linkInProcess(
  ctx: CliContext,
  accountId: string,
  transport: AccountTransport,
  store: Store,
  logger: Logger,
  phone: string | undefined,
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
    startLogin(rt, phone ? { phone } : {});
    return await waitForLink(rt, bus, wait);
  } finally {
    if (rt.state === 'connected') void history.seen(accountId, Date.now());
    await rt.stop();
    await bus.idle();
    await history.flush();
    // rt.stop() returned once the connection's close was reported, which waits for
    // Baileys' post-link key writes (its own LID session: own-lid-session.ts): the
    // store, closed next, holds them, or the gateway could not decrypt what is sent to the LID.
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
      removed = await withStore(ctx, (store) =>
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
