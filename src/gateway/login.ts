/**
 * Linking an account by QR or pairing code (SPEC §4), shared by the gateway's
 * `login.start` / `login.wait` control methods and the CLI's in-process login: ask
 * the account machine to link, report every QR (or the pairing code), and settle when the account is connected
 * (after the 515 restart) or when linking failed (QR expired, logged out…).
 */
import type { Bus } from '../bus/bus.js';
import { WagateError } from '../errors.js';
import type { LinkedIdentity } from '../ports/transport.js';
import type { AccountRuntime } from './account-runtime.js';

/** States from which `login` starts a new QR link. */
const LINKABLE = new Set(['unlinked', 'logged-out', 'degraded']);

export interface LoginStart {
  accountId: string;
  /** `already-linked` when the account is connected or connecting with creds. */
  status: 'linking' | 'already-linked';
  identity: LinkedIdentity | null;
}

/** `phone` (E.164): link by pairing code for that number instead of QR. */
export function startLogin(rt: AccountRuntime, opts: { phone?: string } = {}): LoginStart {
  if (rt.state === 'linking') {
    // Linking the other way (QR vs pairing code, or another number): start that link afresh.
    if ((rt.context.linkPhone ?? undefined) !== opts.phone) {
      rt.cancelLogin();
      rt.login(opts.phone);
    }
    return { accountId: rt.accountId, status: 'linking', identity: null };
  }
  if (!LINKABLE.has(rt.state)) return { accountId: rt.accountId, status: 'already-linked', identity: rt.context.identity };
  rt.login(opts.phone);
  return { accountId: rt.accountId, status: 'linking', identity: null };
}

export interface WaitOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  onQr?(qr: string, count: number): void;
  /** The pairing code (`ABCD-EFGH`) of a `--phone` link. */
  onCode?(code: string): void;
}

/** Resolve with the linked identity once the account is connected; reject when linking ends otherwise. */
export function waitForLink(rt: AccountRuntime, bus: Bus, opts: WaitOptions): Promise<LinkedIdentity> {
  if (rt.state === 'connected' && rt.context.identity) return Promise.resolve(rt.context.identity);
  return new Promise<LinkedIdentity>((resolve, reject) => {
    const offs: (() => void)[] = [];
    const done = (fn: () => void) => {
      offs.forEach((off) => off());
      clearTimeout(timer);
      fn();
    };
    const timedOut = () => {
      const s = Math.round(opts.timeoutMs / 1000);
      const phone = rt.context.linkPhone;
      return phone
        ? `The pairing code was not entered on ${phone} within ${s} s; run \`wagate channels login --phone ${phone}\` again.`
        : `No QR code was scanned within ${s} s; run \`wagate channels login\` again.`;
    };
    const timer = setTimeout(() => done(() => reject(new WagateError('WAGATE_ERR_LOGIN_TIMEOUT', timedOut()))), opts.timeoutMs);
    const onAbort = () => done(() => reject(new WagateError('WAGATE_ERR_LOGIN_TIMEOUT', 'Login cancelled.')));
    if (opts.signal) {
      if (opts.signal.aborted) return onAbort();
      opts.signal.addEventListener('abort', onAbort, { once: true });
      offs.push(() => opts.signal!.removeEventListener('abort', onAbort));
    }
    offs.push(
      bus.on('account.qr.updated', (ev) => {
        if (ev.accountId === rt.accountId) opts.onQr?.(ev.qr, ev.count);
      }),
      bus.on('account.pairing.code', (ev) => {
        if (ev.accountId === rt.accountId) opts.onCode?.(ev.code);
      }),
      bus.on('account.connected', (ev) => {
        if (ev.accountId === rt.accountId) done(() => resolve(ev.identity));
      }),
      bus.on('account.state.changed', (ev) => {
        if (ev.accountId !== rt.accountId) return;
        if (ev.to === 'unlinked' || ev.to === 'logged-out' || ev.to === 'degraded' || ev.to === 'stopped') {
          const why = ev.error?.message ?? `linking ended (${ev.to})`;
          const code = ev.error?.code ?? 'WAGATE_ERR_LOGIN_TIMEOUT';
          done(() => reject(new WagateError(code, why)));
        }
      }),
    );
  });
}
