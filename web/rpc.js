// The control protocol over the page's WebSocket (same origin; the session
// cookie authenticates it, so no token ever lives in the page).
export class Rpc {
  constructor(onStatus) {
    this.seq = 0;
    this.pending = new Map();
    this.listeners = new Map();
    this.onStatus = onStatus;
    this.closed = false;
  }

  connect() {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      this.ws = ws;
      ws.onopen = () => {
        this.call('connect', { client: { name: 'wagate-page' } }).then(resolve, reject);
      };
      ws.onmessage = (m) => this.frame(JSON.parse(m.data));
      ws.onclose = (ev) => {
        for (const p of this.pending.values()) p.reject(new Error('The connection to the gateway closed.'));
        this.pending.clear();
        reject(new Error(`The gateway refused the connection (${ev.code}).`));
        if (!this.closed) this.onStatus({ connected: false, code: ev.code, reason: ev.reason });
      };
    });
  }

  frame(f) {
    if (f.type === 'res') {
      const p = this.pending.get(f.id);
      if (!p) return;
      this.pending.delete(f.id);
      if (f.ok) p.resolve(f.payload);
      else {
        const err = new Error(f.error?.message ?? 'request failed');
        err.code = f.error?.code;
        p.reject(err);
      }
    } else if (f.type === 'event') {
      for (const fn of this.listeners.get(f.event) ?? []) fn(f.payload);
    }
  }

  call(method, params = {}) {
    const id = `p${++this.seq}`;
    return new Promise((resolve, reject) => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return reject(new Error('Not connected to the gateway.'));
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ type: 'req', id, method, params }));
    });
  }

  on(event, fn) {
    const set = this.listeners.get(event) ?? new Set();
    set.add(fn);
    this.listeners.set(event, set);
    return () => set.delete(fn);
  }

  close() {
    this.closed = true;
    this.ws?.close();
  }
}

/** POST JSON to the page's own HTTP API (same origin: the browser sends Origin and the cookie). */
export async function postJson(path, body) {
  const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), credentials: 'same-origin' });
  const data = await res.json().catch(() => ({}));
  return { ok: res.ok, status: res.status, data };
}
