// Nodes (several gateways on one PostgreSQL): each node's liveness (last heartbeat),
// capacity and the accounts whose lease it holds, with token and expiry; the accounts
// no node holds. Refreshed every 3 s while shown, and on account state changes.
import { html, useState, useEffect, useNow, duration, ErrorLine } from '/ui/lib.js';

export function Nodes({ rpc }) {
  const [cluster, setCluster] = useState(undefined);
  const [error, setError] = useState(null);
  const now = useNow();
  const load = () =>
    rpc.call('cluster.nodes').then((r) => {
      setCluster(r.cluster);
      setError(null);
    }, setError);
  useEffect(() => {
    load();
    const t = setInterval(load, 3000);
    const off = rpc.on('account', load);
    return () => {
      clearInterval(t);
      off();
    };
  }, []);
  if (cluster === undefined) return html`<p>Loading…</p><${ErrorLine} error=${error} />`;
  if (cluster === null) {
    return html`<section><p class="muted" data-testid="nodes-single">A single node: this gateway runs every enabled account (no <code>cluster</code> in its config).</p></section>`;
  }
  return html`<section>
    <p class="muted">This is node <strong>${cluster.nodeId}</strong>; a node is live while its heartbeat is younger than ${cluster.leaseSeconds} s (cluster.leaseSeconds).</p>
    <${ErrorLine} error=${error} />
    ${cluster.nodes.map((n) => html`<article class="card" data-testid="node" data-node=${n.nodeId} data-live=${String(n.live)}>
      <h2>${n.nodeId}${n.here ? ' (this node)' : ''} <span class=${`state ${n.live ? 's-connected' : 's-degraded'}`}>${n.live ? 'live' : 'not live'}</span></h2>
      <dl class="facts">
        <dt>Last heartbeat</dt><dd>${n.seenAt ? `${duration(now - n.seenAt)} ago` : 'none'}</dd>
        <dt>Capacity</dt><dd>${n.accounts.length} of ${n.capacity || '?'} accounts</dd>
      </dl>
      ${n.accounts.length === 0
        ? html`<p class="muted">No accounts.</p>`
        : html`<ul class="rows">
            ${n.accounts.map((a) => html`<li class="row" data-testid="node-account" data-account=${a.accountId}>
              <strong>${a.accountId}</strong><small>lease token ${a.token} · expires in ${duration(a.expiresAt - now)}</small>
            </li>`)}
          </ul>`}
    </article>`)}
    ${cluster.unowned.length > 0
      ? html`<article class="card" data-testid="nodes-unowned"><h2>Held by no node</h2><ul class="rows">
          ${cluster.unowned.map((u) => html`<li class="row" data-account=${u.accountId}><strong>${u.accountId}</strong>
            <small>token ${u.token}${u.lastOwner ? ` · last owner ${u.lastOwner} (lease expired)` : ''}</small></li>`)}
        </ul></article>`
      : null}
  </section>`;
}
