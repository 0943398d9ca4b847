// Pairing requests: list, approve, reject (refreshed every 3 s while shown).
import { html, useState, useEffect, time, ErrorLine } from '/ui/lib.js';

export function Pairing({ rpc }) {
  const [requests, setRequests] = useState(null);
  const [error, setError] = useState(null);
  const [note, setNote] = useState(null);
  const load = () => rpc.call('pairing.list').then((r) => setRequests(r.requests), setError);
  useEffect(() => {
    load();
    const t = setInterval(load, 3000);
    return () => clearInterval(t);
  }, []);
  const act = async (method, code) => {
    setError(null);
    try {
      const r = await rpc.call(method, { code });
      setNote(method === 'pairing.approve' ? `Approved ${r.sender}: their next message goes to the assistant.` : `Rejected the request of ${r.sender}.`);
    } catch (err) {
      setError(err);
    }
    load();
  };
  if (!requests) return html`<p>Loading…</p><${ErrorLine} error=${error} />`;
  return html`<section>
    ${note ? html`<p class="success" data-testid="pairing-note">${note}</p>` : null}
    <${ErrorLine} error=${error} />
    ${requests.length === 0 ? html`<p class="muted" data-testid="pairing-empty">No pending pairing requests.</p>` : null}
    <ul class="rows">
      ${requests.map((r) => html`<li class="row" data-code=${r.code}>
        <div><strong>${r.sender}</strong>${r.name ? ` (${r.name})` : ''}<br /><small>code <code>${r.code}</code> · account ${r.accountId} · expires ${time(r.expiresAt)}</small></div>
        <div class="actions"><button onClick=${() => act('pairing.approve', r.code)}>Approve</button>
        <button class="ghost" onClick=${() => act('pairing.reject', r.code)}>Reject</button></div>
      </li>`)}
    </ul>
  </section>`;
}
