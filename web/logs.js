// Live tail of the gateway's log, with subsystem, account and level filters
// (applied here to the lines the gateway keeps and streams).
import { html, useState, useEffect, useRef, ErrorLine } from '/ui/lib.js';

const LEVELS = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const ORDER = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

function parse(line) {
  try {
    return JSON.parse(line);
  } catch {
    return { msg: line };
  }
}

export function Logs({ rpc }) {
  const [lines, setLines] = useState([]);
  const [available, setAvailable] = useState(true);
  const [f, setF] = useState({ subsystem: '', accountId: '', level: 'info' });
  const [error, setError] = useState(null);
  const box = useRef(null);
  useEffect(() => {
    const off = rpc.on('log', (ev) => setLines((ls) => [...ls.slice(-999), parse(ev.line)]));
    rpc.call('logs.tail', { follow: true, limit: 500 }).then((r) => {
      setAvailable(r.available);
      setLines((ls) => [...r.lines.map(parse), ...ls]);
    }, setError);
    return off;
  }, []);
  useEffect(() => {
    if (box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines.length]);
  const shown = lines.filter(
    (l) =>
      (!f.subsystem || l.subsystem === f.subsystem) &&
      (!f.accountId || l.accountId === f.accountId) &&
      ORDER.indexOf(LEVELS[l.level] ?? 'info') >= ORDER.indexOf(f.level),
  );
  const subsystems = [...new Set(lines.map((l) => l.subsystem).filter(Boolean))].sort();
  const accounts = [...new Set(lines.map((l) => l.accountId).filter(Boolean))].sort();
  const pick = (k, values, all) => html`<select value=${f[k]} onChange=${(e) => setF({ ...f, [k]: e.target.value })}>
    ${all ? html`<option value="">${all}</option>` : null}${values.map((v) => html`<option value=${v}>${v}</option>`)}</select>`;
  if (!available) return html`<p class="note">This gateway keeps no log lines in memory (started without the log tail); use <code>wagate logs --follow</code>.</p>`;
  return html`<section>
    <div class="filters">${pick('subsystem', subsystems, 'all subsystems')}${pick('accountId', accounts, 'all accounts')}${pick('level', ORDER, null)}</div>
    <${ErrorLine} error=${error} />
    <div class="logbox" ref=${box} data-testid="logs">
      ${shown.map((l) => html`<div class=${`log l-${LEVELS[l.level] ?? 'info'}`}><time>${l.time ? new Date(l.time).toLocaleTimeString() : ''}</time> <b>${(LEVELS[l.level] ?? '').toUpperCase()}</b> <i>${l.subsystem ?? ''}${l.accountId ? `/${l.accountId}` : ''}</i> ${l.msg}</div>`)}
    </div>
  </section>`;
}
