// The inbound ledger (`messages.list`, `messages.audit`; README "Exactly once: the
// inbound ledger"): filters by account, chat and outcome; the audit counts and the
// unexplained entries; each message's path, received → policy verdict → agent run →
// reply ids (or the failure). Refreshed on the gateway's `messages` event (one per
// committed ledger batch), at most once a second. A gateway without the ledger
// methods says so.
import { html, useState, useEffect, useRef, time, ErrorLine } from '/ui/lib.js';

const NO_LEDGER = 'WAGATE_ERR_UNKNOWN_METHOD';
/** The ledger's states, in the order a message goes through them. */
const STATES = ['received', 'accepted', 'running', 'replied', 'failed', 'dropped', 'gated', 'pairing'];
const FINAL = new Set(['replied', 'failed', 'dropped', 'gated', 'pairing']);
const LIMIT = 100;
/** Reloads at most this often while events arrive. */
const REFRESH_MS = 1000;

const REASONS = {
  expired: 'left unfinished by a stop or crash and older than the catch-up window at the next start',
  'not-allowlisted': 'the sender is not in allowFrom',
  'dm-disabled': 'direct messages are disabled (dmPolicy: disabled)',
  'not-mentioned': 'a group message that does not mention the linked number',
  'no-reply': 'the agent had nothing to say',
};
const explain = (reason) => (reason ? `${reason}${REASONS[reason] ? ` (${REASONS[reason]})` : ''}` : '');

/** The steps of one message's path: [label, text, kind], kind: done | bad | wait. */
export function pathOf(m) {
  const steps = [[
    'Received',
    `${time(m.receivedAt)}${m.waTimestamp ? ` · sent ${time(m.waTimestamp)}` : ''}${m.upsertType === 'append' ? ' · catch-up' : ''}`,
    'done',
  ]];
  if (m.state === 'received') {
    steps.push(['Policy', 'not decided yet', 'wait']);
  } else if (m.state === 'gated' || m.state === 'dropped') {
    steps.push(['Policy', `${m.state}: ${explain(m.reason) || 'no reason recorded'}`, m.reason === 'expired' ? 'bad' : 'done']);
  } else if (m.state === 'pairing') {
    steps.push(['Policy', 'unknown sender: a pairing code was sent (approve it under Pairing)', 'done']);
  } else {
    steps.push(['Policy', 'accepted', 'done']);
    const run = m.requestId ? `request ${m.requestId}` : 'no run yet';
    if (m.state === 'accepted') steps.push(['Agent run', `queued · ${run}`, 'wait']);
    else steps.push(['Agent run', `${run}${m.replyKept ? ' · answer kept' : ''}`, m.state === 'failed' && !m.replyKept ? 'bad' : 'done']);
    if (m.state === 'replied') {
      steps.push(['Reply', m.replyIds.length ? `sent: ${m.replyIds.join(', ')}` : explain(m.reason) || 'nothing sent', 'done']);
    } else if (m.state === 'failed') {
      steps.push(['Failed', m.error ?? 'no error recorded', 'bad']);
    } else if (m.state === 'running') {
      steps.push(['Reply', m.replyIds.length ? `sending: ${m.replyIds.join(', ')}` : 'waiting for the agent', 'wait']);
    }
  }
  if (m.note) steps.push([FINAL.has(m.state) ? 'Note' : 'Now', m.note, 'wait']);
  return steps;
}

function Entry({ m }) {
  const who = m.senderE164 ?? m.sender;
  const chat = m.chatJid.endsWith('@g.us') ? ` in ${m.chatJid}` : '';
  return html`<li class="row message" data-message=${m.messageId} data-state=${m.state} data-testid="message-row">
    <details>
      <summary>
        <span class=${`pill st-${m.state}`} data-testid="message-state">${m.state}${m.reason && m.state !== 'replied' ? ` · ${m.reason}` : ''}</span>
        <strong>${who}</strong>${chat} <span class="muted">· ${m.accountId} · ${time(m.receivedAt)}</span>
        ${m.text ? html`<span class="preview">${m.text}</span>` : null}
      </summary>
      <ol class="path" data-testid="message-path">
        ${pathOf(m).map(([label, text, kind]) => html`<li class=${`step ${kind}`}><b>${label}</b> <span>${text}</span></li>`)}
      </ol>
      <p class="muted ids">id <code>${m.messageId}</code> · chat <code>${m.chatJid}</code></p>
    </details>
  </li>`;
}

export function Messages({ rpc }) {
  const [filter, setFilter] = useState({ account: '', chat: '', state: '' });
  const [chatInput, setChatInput] = useState('');
  const [accounts, setAccounts] = useState([]);
  const [entries, setEntries] = useState(null);
  const [audit, setAudit] = useState(null);
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState(null);
  const [updated, setUpdated] = useState(null);
  const current = useRef(filter);
  current.current = filter;

  const load = async () => {
    const f = current.current;
    const params = { limit: LIMIT };
    if (f.account) params.account = f.account;
    if (f.chat) params.chat = f.chat;
    if (f.state) params.state = f.state;
    try {
      const [l, a] = await Promise.all([rpc.call('messages.list', params), rpc.call('messages.audit')]);
      setEntries([...l.entries].reverse()); // newest first
      setAudit(a);
      setError(null);
      setUpdated(Date.now());
    } catch (err) {
      if (err.code === NO_LEDGER) setMissing(true);
      else setError(err);
    }
  };

  useEffect(() => {
    load();
  }, [filter]);

  useEffect(() => {
    rpc.call('status').then((s) => setAccounts(s.accounts.map((a) => a.accountId)), () => undefined);
    // Live: reload on the gateway's `messages` event, at most once per REFRESH_MS.
    let timer = null;
    let last = 0;
    const off = rpc.on('messages', () => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        last = Date.now();
        load();
      }, Math.max(0, last + REFRESH_MS - Date.now()));
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, []);

  if (missing) {
    return html`<p class="note" data-testid="no-ledger">This gateway has no ledger: it does not answer <code>messages.list</code>. Update wagate to see the inbound messages here.</p>`;
  }
  const set = (k, v) => setFilter({ ...current.current, [k]: v });
  const pick = (k, label, values, all) => html`<label>${label} <select value=${filter[k]} data-testid=${`filter-${k}`} onChange=${(e) => set(k, e.target.value)}>
    <option value="">${all}</option>${values.map((v) => html`<option value=${v}>${v}</option>`)}</select></label>`;
  const total = audit ? Object.values(audit.counts).reduce((a, b) => a + b, 0) : 0;
  return html`<section class="messages">
    <form class="filters" onSubmit=${(e) => { e.preventDefault(); set('chat', chatInput.trim()); }}>
      ${pick('account', 'Account', accounts, 'all accounts')}
      <label>Chat <input type="search" placeholder="+15551234567 or group JID" value=${chatInput} data-testid="filter-chat" onInput=${(e) => setChatInput(e.target.value)} /></label>
      ${pick('state', 'Outcome', STATES, 'all outcomes')}
      <button type="submit">Filter</button>
    </form>
    <${ErrorLine} error=${error} />
    ${audit ? html`<div class="counts" data-testid="audit">
        <span class="muted">Ledger (all accounts): ${total}</span>
        ${STATES.filter((s) => audit.counts[s]).map((s) => html`<button type="button" class=${`pill st-${s}${filter.state === s ? ' on' : ''}`} data-count=${s}
          title=${`show only ${s}`} onClick=${() => set('state', filter.state === s ? '' : s)}>${s} ${audit.counts[s]}</button>`)}
        <span class=${audit.unexplained.length ? 'pill bad' : 'pill good'} data-testid="unexplained-count">unexplained ${audit.unexplained.length}</span>
      </div>` : null}
    ${audit?.unexplained.length ? html`<details class="card unexplained" open data-testid="unexplained">
        <summary>Unexplained: unfinished and nothing in the gateway will finish them (see README "Exactly once")</summary>
        <ul class="rows">${audit.unexplained.map((m) => html`<${Entry} key=${`u${m.messageId}`} m=${m} />`)}</ul>
      </details>` : null}
    ${entries === null ? html`<p>Loading…</p>` : null}
    ${entries?.length === 0 ? html`<p class="muted" data-testid="messages-empty">No messages${filter.account || filter.chat || filter.state ? ' match these filters' : ' in the ledger yet'}.</p>` : null}
    ${entries?.length ? html`<p class="muted">${entries.length === LIMIT ? `The newest ${LIMIT}` : entries.length} · newest first · updated ${time(updated)}</p>` : null}
    <ul class="rows">
      ${(entries ?? []).map((m) => html`<${Entry} key=${`${m.accountId}/${m.chatJid}/${m.messageId}`} m=${m} />`)}
    </ul>
  </section>`;
}
