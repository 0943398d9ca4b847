/**
 * Control methods for linking and unlinking: `login.start` (the QR codes that
 * follow reach every client as `login.qr` events, see supervisor.ts), `login.wait`,
 * `logout`.
 */
import { WagateError } from '../errors.js';
import type { AccountRuntime } from './account-runtime.js';
import { startLogin, waitForLink } from './login.js';
import type { ControlRegistry } from './methods.js';
import type { Gateway } from './gateway.js';

export const DEFAULT_LOGIN_TIMEOUT_MS = 3 * 60_000;

function runtimeFor(gw: Gateway, accountId: string): AccountRuntime {
  const rt = gw.accounts.get(accountId);
  if (rt) return rt;
  const known = gw.configured.map((a) => a.accountId).join(', ');
  const acc = gw.configured.find((a) => a.accountId === accountId);
  if (acc?.enabled && gw.nodeId !== null) {
    throw new WagateError(
      'WAGATE_ERR_NO_LISTENER',
      `Account "${accountId}" does not run on node ${gw.nodeId} (another node holds its lease, or none does yet); \`wagate channels status\` names its node.`,
    );
  }
  if (acc) {
    throw new WagateError('WAGATE_ERR_UNKNOWN_ACCOUNT', `Account "${accountId}" is disabled (or web.enabled is false); enable it first.`);
  }
  throw new WagateError('WAGATE_ERR_UNKNOWN_ACCOUNT', `No account "${accountId}" in the config; known accounts: ${known}.`);
}

export function registerLoginMethods(methods: ControlRegistry, gw: Gateway): void {
  // No per-caller stream: the supervisor broadcasts each `account.qr.updated` as
  // `login.qr` to every client, the caller included, so one event per QR.
  // Likewise each pairing code (`phone`) as `login.code`.
  methods.register('login.start', ({ accountId, phone }) => startLogin(runtimeFor(gw, accountId), phone ? { phone } : {}));

  methods.register('login.wait', async ({ accountId, timeoutMs }, ctx) => {
    const rt = runtimeFor(gw, accountId);
    try {
      const identity = await waitForLink(rt, gw.bus, { timeoutMs: timeoutMs ?? DEFAULT_LOGIN_TIMEOUT_MS, signal: ctx.signal });
      return { accountId, identity };
    } catch (err) {
      rt.cancelLogin(); // timed out or the client left: stop showing QR codes
      throw err;
    }
  });

  methods.register('logout', async ({ accountId }) => {
    const rt = runtimeFor(gw, accountId);
    const removed = await rt.logout();
    return { accountId, removed };
  });
}
