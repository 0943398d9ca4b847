// Accounts, live: state, identity, WhatsApp Web version, last close, attempts and
// the countdown to the next retry; the machine diagram; the last 50 transitions;
// reconnect and logout.
import { html, useState, useLive, useNow, duration, time, ErrorLine } from '/ui/lib.js';
import { Diagram } from '/ui/diagram.js';

export function Accounts({ rpc }) {
  const [status, setStatus] = useState(null);
  const [dump, setDump] = useState(null);
  const [graph, setGraph] = useState(null);
  const [error, setError] = useState(null);
  const now = useNow();
  useLive(rpc, async () => {
    try {
      const [s, d] = await Promise.all([rpc.call('status'), rpc.call('debug.dump')]);
      setStatus(s);
      setDump(d);
    } catch (err) {
      setError(err);
    }
  }, ['account']);
  useLive(rpc, () => rpc.call('account.graph').then(setGraph, setError), []);
  if (!status) return html`<p>Loading…</p><${ErrorLine} error=${error} />`;
  return html`<section>
    <p class="muted">Gateway up ${duration(status.health.uptimeMs)}</p>
    <${ErrorLine} error=${error} />
    ${status.accounts.map((a) => html`<${Account} key=${a.accountId} a=${a} rpc=${rpc} now=${now} graph=${graph}
      transitions=${dump?.accounts.find((d) => d.accountId === a.accountId)?.transitions ?? []} onError=${setError} />`)}
  </section>`;
}

function Account({ a, rpc, now, graph, transitions, onError }) {
  const [confirm, setConfirm] = useState(false);
  const [note, setNote] = useState(null);
  const act = async (method) => {
    try {
      await rpc.call(method, { accountId: a.accountId });
      setNote(method === 'logout' ? 'Logged out: the WhatsApp auth state was removed.' : 'Reconnecting…');
    } catch (err) {
      onError(err);
    }
    setConfirm(false);
  };
  const who = a.identity ? (a.identity.e164 ?? a.identity.jid) : 'not linked';
  return html`<article class="card" data-account=${a.accountId}>
    <h2>${a.name || a.accountId} <span class=${`state s-${a.state}`} data-testid="account-state">${a.state}</span></h2>
    <dl class="facts">
      <dt>Account</dt><dd>${a.accountId}${a.enabled ? '' : ' (disabled)'}</dd>
      <dt>Identity</dt><dd data-testid="identity">${who}</dd>
      <dt>DM policy</dt><dd>${a.dmPolicy}</dd>
      <dt>WhatsApp Web</dt><dd data-testid="web-version">${a.webVersion ? `${a.webVersion.version} (${a.webVersion.source})` : 'not connected yet'}</dd>
      <dt>Last close</dt><dd>${a.lastClose ? `${a.lastClose.code ?? '—'} ${a.lastClose.kind} at ${time(a.lastClose.at)}` : '—'}</dd>
      <dt>Attempts</dt><dd>${a.attempt}</dd>
      <dt>Next retry</dt><dd data-testid="next-retry">${a.nextRetryAt ? `in ${duration(a.nextRetryAt - now)}` : '—'}</dd>
      ${a.error ? html`<dt>Error</dt><dd class="error">${a.error.code}: ${a.error.message}</dd>` : null}
    </dl>
    <div class="actions">
      <button disabled=${a.state !== 'degraded' || !a.linked} onClick=${() => act('account.reconnect')}
        title="Leaves degraded after you fixed the cause; other states reconnect by themselves">Reconnect</button>
      ${confirm
        ? html`<span class="confirm">Unlink ${a.accountId} from WhatsApp and delete its auth state?
            <button class="danger" data-testid="logout-confirm" onClick=${() => act('logout')}>Yes, log out</button>
            <button class="ghost" onClick=${() => setConfirm(false)}>Cancel</button></span>`
        : html`<button class="danger" disabled=${!a.running} onClick=${() => setConfirm(true)}>Log out…</button>`}
    </div>
    ${note ? html`<p class="note">${note}</p>` : null}
    <${Diagram} graph=${graph} current=${a.state} />
    <details>
      <summary>Last ${transitions.length} transitions</summary>
      <ol class="transitions">
        ${[...transitions].reverse().map((t) => html`<li><time>${time(t.at)}</time> <code>${t.event}</code> ${t.from} → ${t.to}</li>`)}
      </ol>
    </details>
  </article>`;
}
