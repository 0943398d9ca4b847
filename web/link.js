// Link an account from the browser: the QR drawn live (redrawn as WhatsApp
// rotates it), or a pairing code for a phone number; says when it worked.
import { html, useState, useEffect, useLive, ErrorLine } from '/ui/lib.js';
import qrcode from '/ui/vendor/qrcode.mjs';

/** The QR text as an SVG path of its dark modules. */
export function QrSvg({ text }) {
  const qr = qrcode(0, 'L');
  qr.addData(text);
  qr.make();
  const n = qr.getModuleCount();
  let d = '';
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) if (qr.isDark(r, c)) d += `M${c + 4} ${r + 4}h1v1h-1z`;
  return html`<svg class="qr" viewBox=${`0 0 ${n + 8} ${n + 8}`} data-testid="qr" data-qr=${text} role="img" aria-label="QR code to scan with WhatsApp">
    <rect width=${n + 8} height=${n + 8} class="qr-bg" /><path d=${d} class="qr-fg" /></svg>`;
}

export function Link({ rpc }) {
  const [accounts, setAccounts] = useState([]);
  const [accountId, setAccountId] = useState('');
  const [phone, setPhone] = useState('');
  const [qr, setQr] = useState(null);
  const [code, setCode] = useState(null);
  const [phase, setPhase] = useState('idle');
  const [linked, setLinked] = useState(null);
  const [error, setError] = useState(null);
  useLive(rpc, async () => {
    const s = await rpc.call('status').catch(setError);
    if (!s) return;
    setAccounts(s.accounts.filter((a) => a.running));
    setAccountId((cur) => cur || s.accounts.find((a) => a.running && !a.linked)?.accountId || s.accounts.find((a) => a.running)?.accountId || '');
  }, ['account']);
  useEffect(() => {
    const offs = [
      rpc.on('login.qr', (ev) => ev.accountId === accountId && setQr(ev)),
      rpc.on('login.code', (ev) => ev.accountId === accountId && setCode(ev)),
    ];
    return () => offs.forEach((off) => off());
  }, [accountId]);
  const start = async (byPhone) => {
    setError(null);
    setQr(null);
    setCode(null);
    setLinked(null);
    setPhase('waiting');
    try {
      await rpc.call('login.start', byPhone ? { accountId, phone: phone.trim() } : { accountId });
      const r = await rpc.call('login.wait', { accountId });
      setLinked(r.identity);
      setPhase('linked');
    } catch (err) {
      setError(err);
      setPhase('idle');
    }
  };
  const chosen = accounts.find((a) => a.accountId === accountId);
  return html`<section class="link">
    <label>Account <select value=${accountId} onChange=${(e) => setAccountId(e.target.value)} data-testid="link-account">
      ${accounts.map((a) => html`<option value=${a.accountId}>${a.accountId} (${a.state})</option>`)}
    </select></label>
    ${chosen?.linked && phase !== 'linked' ? html`<p class="note">${accountId} is already linked (${chosen.identity?.e164 ?? chosen.identity?.jid}); linking again replaces it.</p>` : null}
    <div class="actions">
      <button disabled=${!accountId || phase === 'waiting'} onClick=${() => start(false)} data-testid="link-qr">Show QR</button>
    </div>
    <form class="inline" onSubmit=${(e) => { e.preventDefault(); start(true); }}>
      <label>or a pairing code for <input type="tel" placeholder="+15551234567" value=${phone} onInput=${(e) => setPhone(e.target.value)} /></label>
      <button type="submit" disabled=${!accountId || !phone.trim() || phase === 'waiting'}>Get code</button>
    </form>
    <${ErrorLine} error=${error} />
    ${phase === 'waiting' && !qr && !code ? html`<p>Waiting for WhatsApp…</p>` : null}
    ${phase === 'waiting' && qr ? html`<div class="qrbox"><${QrSvg} text=${qr.qr} /><p>Scan with WhatsApp → Linked devices → Link a device (code ${qr.count}; it changes every few seconds).</p></div>` : null}
    ${phase === 'waiting' && code ? html`<p class="paircode" data-testid="pair-code">${code.code}</p><p>On the phone: Linked devices → Link with phone number, then type this code.</p>` : null}
    ${phase === 'linked' ? html`<p class="success" data-testid="link-done">Linked: ${accountId} is ${linked?.e164 ?? linked?.jid}.</p>` : null}
  </section>`;
}
