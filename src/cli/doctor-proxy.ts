/**
 * `wagate doctor`: for each enabled account with a `proxy`, can the proxy be reached
 * (a TCP connection to its host and port, with a short timeout)? The proxy is shown
 * without its credentials. Whether it accepts them and tunnels to WhatsApp shows at
 * the next connect (`wagate channels status`, `wagate logs --subsystem whatsapp`).
 */
import net from 'node:net';
import type { AccountConfig } from '../config/index.js';
import { redactProxyUrl } from '../whatsapp/proxy.js';
import type { CheckResult } from './doctor-checks.js';

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443, 'socks5:': 1080, 'socks5h:': 1080 };

function reach(host: string, port: number, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (why: string | null) => {
      socket.destroy();
      resolve(why);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs} ms`));
    socket.once('connect', () => done(null));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}

export async function checkProxies(accounts: AccountConfig[], timeoutMs = 3000): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const a of accounts) {
    if (!a.enabled || !a.proxy) continue;
    const id = `proxy:${a.accountId}`;
    const shown = redactProxyUrl(a.proxy);
    const u = new URL(a.proxy);
    const port = Number(u.port || DEFAULT_PORTS[u.protocol] || 0);
    const why = await reach(u.hostname.replace(/^\[|\]$/g, ''), port, timeoutMs);
    out.push(
      why === null
        ? { id, status: 'ok', message: `${shown} reachable` }
        : {
            id,
            status: 'warn',
            message: `${shown} not reachable (${why})`,
            fix: 'start the proxy or fix channels.whatsapp.proxy / accounts.<id>.proxy; the account cannot connect without it',
          },
    );
  }
  return out;
}
