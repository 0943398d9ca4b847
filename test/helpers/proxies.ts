/**
 * Minimal forward proxies on 127.0.0.1 for tests: an HTTP CONNECT proxy and a SOCKS5
 * proxy (no auth or user/password), each counting the tunnels it carried and where to.
 * Only CONNECT / SOCKS CONNECT are served: everything a proxied client sends goes
 * through a tunnel, so the count says what really went through the proxy.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TestProxy {
  /** e.g. `http://127.0.0.1:40001` or `socks5://u:p@127.0.0.1:40002`. */
  url: string;
  /** `host:port` of every tunnel opened, in order. */
  readonly tunnels: string[];
  /** Authentications refused (wrong or missing credentials). */
  readonly refused: number;
  close(): Promise<void>;
}

function pipe(a: net.Socket, b: net.Socket, sockets: Set<net.Socket>): void {
  sockets.add(a).add(b);
  a.on('close', () => sockets.delete(a));
  b.on('close', () => sockets.delete(b));
  a.on('error', () => b.destroy());
  b.on('error', () => a.destroy());
  a.pipe(b).pipe(a);
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function closer(server: net.Server, sockets: Set<net.Socket>) {
  return async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}

export async function startHttpConnectProxy(auth?: { user: string; password: string }): Promise<TestProxy> {
  const tunnels: string[] = [];
  const sockets = new Set<net.Socket>();
  let refused = 0;
  const server = http.createServer((_req, res) => res.writeHead(405).end());
  const expected = auth ? `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}` : undefined;
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    if (expected && req.headers['proxy-authorization'] !== expected) {
      refused++;
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n');
      return;
    }
    const [host, port] = splitHostPort(req.url ?? '');
    tunnels.push(`${host}:${port}`);
    const upstream = net.connect(port, host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      pipe(client, upstream, sockets);
    });
    upstream.on('error', () => client.destroy());
  });
  const port = await listen(server);
  const cred = auth ? `${auth.user}:${auth.password}@` : '';
  return {
    url: `http://${cred}127.0.0.1:${port}`,
    tunnels,
    get refused() {
      return refused;
    },
    close: closer(server, sockets),
  };
}

export async function startSocks5Proxy(auth?: { user: string; password: string }): Promise<TestProxy> {
  const tunnels: string[] = [];
  const sockets = new Set<net.Socket>();
  let refused = 0;
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    let buf = Buffer.alloc(0);
    let stage: 'greeting' | 'auth' | 'request' = 'greeting';
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (stage === 'greeting') {
          if (buf.length < 2 || buf.length < 2 + buf[1]!) return;
          const methods = [...buf.subarray(2, 2 + buf[1]!)];
          buf = buf.subarray(2 + buf[1]!);
          const want = auth ? 2 : 0;
          if (!methods.includes(want)) return void client.end(Buffer.from([5, 0xff]));
          client.write(Buffer.from([5, want]));
          stage = auth ? 'auth' : 'request';
        } else if (stage === 'auth') {
          if (buf.length < 2) return;
          const ulen = buf[1]!;
          if (buf.length < 3 + ulen) return;
          const plen = buf[2 + ulen]!;
          if (buf.length < 3 + ulen + plen) return;
          const user = buf.subarray(2, 2 + ulen).toString();
          const password = buf.subarray(3 + ulen, 3 + ulen + plen).toString();
          buf = buf.subarray(3 + ulen + plen);
          if (user !== auth!.user || password !== auth!.password) {
            refused++;
            return void client.end(Buffer.from([1, 1]));
          }
          client.write(Buffer.from([1, 0]));
          stage = 'request';
        } else {
          if (buf.length < 5) return;
          const atyp = buf[3]!;
          let host: string;
          let at: number;
          if (atyp === 1) {
            if (buf.length < 10) return;
            host = [...buf.subarray(4, 8)].join('.');
            at = 8;
          } else if (atyp === 3) {
            const len = buf[4]!;
            if (buf.length < 7 + len) return;
            host = buf.subarray(5, 5 + len).toString();
            at = 5 + len;
          } else return void client.end(Buffer.from([5, 8, 0, 1, 0, 0, 0, 0, 0, 0]));
          const port = buf.readUInt16BE(at);
          const rest = buf.subarray(at + 2);
          client.off('data', onData);
          tunnels.push(`${host}:${port}`);
          const upstream = net.connect(port, host, () => {
            client.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]));
            if (rest.length) upstream.write(rest);
            pipe(client, upstream, sockets);
          });
          upstream.on('error', () => client.end(Buffer.from([5, 5, 0, 1, 0, 0, 0, 0, 0, 0])));
          return;
        }
      }
    };
    client.on('data', onData);
  });
  const port = await listen(server);
  const cred = auth ? `${auth.user}:${auth.password}@` : '';
  return {
    url: `socks5://${cred}127.0.0.1:${port}`,
    tunnels,
    get refused() {
      return refused;
    },
    close: closer(server, sockets),
  };
}

function splitHostPort(s: string): [string, number] {
  const i = s.lastIndexOf(':');
  return [s.slice(0, i).replace(/^\[|\]$/g, ''), Number(s.slice(i + 1))];
}
