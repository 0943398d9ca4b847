// Send a test message (text and/or one file) to a number or group.
import { html, useState, useLive, ErrorLine } from '/ui/lib.js';

export function Send({ rpc }) {
  const [accounts, setAccounts] = useState([]);
  const [form, setForm] = useState({ accountId: '', to: '', text: '' });
  const [file, setFile] = useState(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  useLive(rpc, async () => {
    const s = await rpc.call('status').catch(setError);
    if (s) setAccounts(s.accounts.filter((a) => a.running));
  }, ['account']);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const params = { to: form.to.trim(), ...(form.text.trim() ? { text: form.text } : {}), ...(form.accountId ? { accountId: form.accountId } : {}) };
      if (file) {
        const res = await fetch('/ui/upload', { method: 'POST', body: file, headers: { 'x-file-name': encodeURIComponent(file.name) }, credentials: 'same-origin' });
        const up = await res.json().catch(() => ({}));
        if (!res.ok) throw new Error(up.error ?? `Upload failed (${res.status}).`);
        params.media = [{ path: up.path }];
      }
      setResult(await rpc.call('send', params));
    } catch (err) {
      setError(err);
    }
    setBusy(false);
  };
  const set = (k) => (e) => setForm({ ...form, [k]: e.target.value });
  return html`<section>
    <form class="stack" onSubmit=${submit}>
      <label>Account <select value=${form.accountId} onChange=${set('accountId')}>
        <option value="">default</option>
        ${accounts.map((a) => html`<option value=${a.accountId}>${a.accountId} (${a.state})</option>`)}
      </select></label>
      <label>To (E.164 number or group JID) <input required placeholder="+15551234567" value=${form.to} onInput=${set('to')} /></label>
      <label>Text <textarea rows="3" value=${form.text} onInput=${set('text')} /></label>
      <label>File (optional) <input type="file" onChange=${(e) => setFile(e.target.files[0] ?? null)} /></label>
      <button type="submit" disabled=${busy || !form.to.trim() || (!form.text.trim() && !file)}>Send</button>
    </form>
    <${ErrorLine} error=${error} />
    ${result ? html`<p class="success" data-testid="send-result">Sent to ${result.to} through ${result.accountId}: ${result.messageIds.join(', ')}</p>` : null}
  </section>`;
}
