/**
 * `proxy` (per account): the agents that carry an account's WhatsApp traffic through
 * an HTTP(S) CONNECT or SOCKS5 proxy.
 *
 * Baileys rc14 has three ways out, and each needs its own kind of agent:
 * - the WebSocket (`agent`, a node `http.Agent`: `ws` opens its request with it);
 * - media uploads (`fetchAgent`: in Node it uploads with `https.request`, so also a
 *   node agent);
 * - media downloads (`fetch`, that is undici, which takes a `dispatcher`, never a node
 *   agent: `downloadMediaMessage(..., { dispatcher })`).
 * The node agents come from `https-proxy-agent` / `socks-proxy-agent`, the dispatcher
 * from undici (`ProxyAgent`; for SOCKS an undici `Agent` whose connections `socks` opens).
 */
import type { Agent as HttpsAgent } from 'node:https';
import tls from 'node:tls';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { SocksProxyAgent } from 'socks-proxy-agent';
import { SocksClient } from 'socks';
import { Agent as UndiciAgent, ProxyAgent, type Dispatcher } from 'undici';

export const PROXY_SCHEMES = ['http:', 'https:', 'socks5:', 'socks5h:'] as const;

export interface ProxyAgents {
  /** For the WebSocket and uploads (a node agent; Baileys' option type says https.Agent). */
  agent: HttpsAgent;
  /** For downloads (undici fetch). */
  dispatcher: Dispatcher;
  /** The proxy URL without its credentials, for logs and status. */
  shown: string;
}

export interface ProxyOptions {
  /** Accept self-signed certificates of the far end (the simulator on loopback; never real WhatsApp). */
  insecureTls?: boolean;
}

/** The proxy URL with its user and password replaced by `***` (for logs, errors, status). */
export function redactProxyUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = '***';
      u.password = '';
    }
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(not a URL)';
  }
}

export function proxyAgents(url: string, opts: ProxyOptions = {}): ProxyAgents {
  const u = new URL(url);
  // Node's Agent merges its options into each request's: the far end's TLS gets them.
  const tlsOpts: { rejectUnauthorized?: boolean } = opts.insecureTls ? { rejectUnauthorized: false } : {};
  const shown = redactProxyUrl(url);
  if (u.protocol === 'http:' || u.protocol === 'https:') {
    return {
      agent: (opts.insecureTls ? new LoopbackHttpsProxyAgent(u, tlsOpts) : new HttpsProxyAgent(u)) as unknown as HttpsAgent,
      // undici reads user:password from the URI into Proxy-Authorization itself.
      dispatcher: new ProxyAgent({ uri: url, requestTls: tlsOpts, proxyTls: tlsOpts }),
      shown,
    };
  }
  if (u.protocol === 'socks5:' || u.protocol === 'socks5h:') {
    return { agent: new SocksProxyAgent(u, tlsOpts as object) as unknown as HttpsAgent, dispatcher: socksDispatcher(u, tlsOpts), shown };
  }
  throw new Error(`unsupported proxy scheme ${u.protocol} (use one of ${PROXY_SCHEMES.join(' ')})`);
}

/**
 * https-proxy-agent sets up the far end's TLS from each request's own options, which
 * Baileys' upload request leaves at the defaults: for the simulator's self-signed
 * media host (loopback only), accept its certificate there.
 */
class LoopbackHttpsProxyAgent extends HttpsProxyAgent<string> {
  override connect(req: Parameters<HttpsProxyAgent<string>['connect']>[0], o: Parameters<HttpsProxyAgent<string>['connect']>[1]) {
    return super.connect(req, { ...o, rejectUnauthorized: false } as typeof o);
  }
}

/** An undici dispatcher whose every connection is opened through the SOCKS5 proxy (TLS on top for https). */
function socksDispatcher(u: URL, tlsOpts: { rejectUnauthorized?: boolean }): Dispatcher {
  const proxy = {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: Number(u.port || 1080),
    type: 5 as const,
    ...(u.username ? { userId: decodeURIComponent(u.username), password: decodeURIComponent(u.password) } : {}),
  };
  return new UndiciAgent({
    connect: (o, callback) => {
      const port = Number(o.port || (o.protocol === 'https:' ? 443 : 80));
      SocksClient.createConnection({ proxy, command: 'connect', destination: { host: o.hostname, port } })
        .then(({ socket }) => {
          if (o.protocol !== 'https:') return callback(null, socket);
          const servername = o.servername ?? (/^[\d.:[\]]+$/.test(o.hostname) ? undefined : o.hostname);
          const secure = tls.connect({ ...tlsOpts, socket, servername, ALPNProtocols: ['http/1.1'] });
          secure.once('secureConnect', () => callback(null, secure));
          secure.once('error', (err) => callback(err, null));
        })
        .catch((err: Error) => callback(err, null));
    },
  });
}
