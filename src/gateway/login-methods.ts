/**
 * Control methods for linking and unlinking: `login.start` (the QR codes that
 * follow reach every client as `login.qr` events, see supervisor.ts), `login.wait`,
 * `logout`.
 */
import { z } from 'zod';
import { WagateError } from '../errors.js';
import type { AccountRuntime } from './account-runtime.js';
import { startLogin, waitForLink } from './login.js';
import type { MethodRegistry } from './methods.js';
import type { Gateway } from './gateway.js';

export const DEFAULT_LOGIN_TIMEOUT_MS = 3 * 60_000;

function runtimeFor(gw: Gateway, accountId: string): AccountRuntime {
  const rt = gw.accounts.get(accountId);
  if (rt) return rt;
  const known = gw.configured.map((a) => a.accountId).join(', ');
  if (gw.configured.some((a) => a.accountId === accountId)) {
    throw new WagateError('WAGATE_ERR_UNKNOWN_ACCOUNT', `Account "${accountId}" is disabled (or web.enabled is false); enable it first.`);
  }
  throw new WagateError('WAGATE_ERR_UNKNOWN_ACCOUNT', `No account "${accountId}" in the config; known accounts: ${known}.`);
}

const accountParam = z.object({ accountId: z.string().min(1) });

export function registerLoginMethods(methods: MethodRegistry, gw: Gateway): void {
  methods.register('login.start', {
    description: 'Start linking an account by QR; every client then gets its `login.qr` events.',
    params: accountParam,
    // No per-caller stream: the supervisor broadcasts each `account.qr.updated` as
    // `login.qr` to every client, the caller included, so one event per QR.
    handler: ({ accountId }) => startLogin(runtimeFor(gw, accountId)),
  });

  methods.register('login.wait', {
    description: 'Wait until the account linked by `login.start` is connected; answers its identity.',
    params: accountParam.extend({ timeoutMs: z.number().int().positive().max(30 * 60_000).optional() }),
    handler: async ({ accountId, timeoutMs }, ctx) => {
      const rt = runtimeFor(gw, accountId);
      try {
        const identity = await waitForLink(rt, gw.bus, { timeoutMs: timeoutMs ?? DEFAULT_LOGIN_TIMEOUT_MS, signal: ctx.signal });
        return { accountId, identity };
      } catch (err) {
        rt.cancelLogin(); // timed out or the client left: stop showing QR codes
        throw err;
      }
    },
  });

  methods.register('logout', {
    description: "Unlink an account: close its connection and delete its WhatsApp auth state.",
    params: accountParam,
    handler: async ({ accountId }) => {
      const rt = runtimeFor(gw, accountId);
      const removed = await rt.logout();
      return { accountId, removed };
    },
  });
}
