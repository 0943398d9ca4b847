// The inbound ledger (`messages.list`, `messages.audit`): filters by account,
// chat and outcome; the audit counts; each message's path. A gateway without the
// ledger methods says so.
import { html, useState, useEffect, time, ErrorLine } from '/ui/lib.js';

const NO_LEDGER = 'WAGATE_ERR_UNKNOWN_METHOD';

export function Messages({ rpc }) {
  const [filter, setFilter] = useState({ account: '', chat: '', state: '' });
  const [entries, setEntries] = useState(null);
  const [audit, setAudit] = useState(null);
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState(null);
  const load = async () => {
    setError(null);
    const params = { limit: 100 };
    for (const k of ['account', 'chat', 'state']) if (filter[k].trim()) params[k] = filter[k].trim();
    try {
      const [l, a] = await Promise.all([rpc.call('messages.list', params), rpc.call('messages.audit')]);
      setEntries(l.entries);
      setAudit(a);
    } catch (err) {
      if (err.code === NO_LEDGER) setMissing(true);
      else setError(err);
    }
  };
  useEffect(() => {
    load();
  }, []);
  if (missing) {
    return html`<p class="note" data-testid="no-ledger">This gateway has no ledger: it does not answer <code>messages.list</code>. Update wagate to see the inbound messages here.</p>`;
  }
  const field = (k, label) => html`<label>${label} <input value=${filter[k]} onInput=${(e) => setFilter({ ...filter, [k]: e.target.value })} /></label>`;
  return html`<section>
    <form class="filters" onSubmit=${(e) => { e.preventDefault(); load(); }}>
      ${field('account', 'Account')}${field('chat', 'Chat')}${field('state', 'Outcome')}
      <button type="submit">Filter</button>
    </form>
    <${ErrorLine} error=${error} />
    ${audit ? html`<p class="counts" data-testid="audit">${Object.entries(audit.counts).map(([s, n]) => html`<span class="pill">${s} ${n}</span>`)}
      <span class=${audit.unexplained.length ? 'pill bad' : 'pill'}>unexplained ${audit.unexplained.length}</span></p>` : null}
    ${entries === null ? html`<p>Loading…</p>` : null}
    <ul class="rows">
      ${(entries ?? []).map((m) => html`<li class="row message" data-message=${m.id ?? m.messageId}>
        <details><summary><span class="pill">${m.state ?? m.outcome}</span> <strong>${m.sender ?? m.from ?? ''}</strong> in ${m.chat ?? m.chatJid ?? ''} · ${time(m.receivedAt ?? m.at)}</summary>
        <pre>${JSON.stringify(m, null, 2)}</pre></details></li>`)}
    </ul>
  </section>`;
}
