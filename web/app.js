// The control page: sign-in, then the views over one WebSocket.
import { html, render, useState, useEffect, ErrorLine } from '/ui/lib.js';
import { Rpc, postJson } from '/ui/rpc.js';
import { Accounts } from '/ui/accounts.js';
import { Link } from '/ui/link.js';
import { Pairing } from '/ui/pairing.js';
import { Messages } from '/ui/messages.js';
import { Send } from '/ui/send.js';
import { Logs } from '/ui/logs.js';
import { Config } from '/ui/config.js';
import { Nodes } from '/ui/nodes.js';

const VIEWS = [
  ['accounts', 'Accounts', Accounts],
  ['link', 'Link', Link],
  ['pairing', 'Pairing', Pairing],
  ['messages', 'Messages', Messages],
  ['send', 'Send', Send],
  ['logs', 'Logs', Logs],
  ['config', 'Config', Config],
  ['nodes', 'Nodes', Nodes],
];

function SignIn({ onSignedIn, error }) {
  const [token, setToken] = useState('');
  const [err, setErr] = useState(error);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    const r = await postJson('/ui/session', { token: token.trim() });
    setBusy(false);
    if (r.ok) onSignedIn();
    else setErr({ message: r.data.error ?? `Sign-in failed (${r.status}).` });
  };
  return html`<main class="signin">
    <h1>wagate</h1>
    <form onSubmit=${submit} data-testid="signin">
      <label for="token">Control token</label>
      <input id="token" name="token" type="password" autocomplete="off" value=${token} onInput=${(e) => setToken(e.target.value)} />
      <button type="submit" disabled=${busy || !token.trim()}>Sign in</button>
    </form>
    <${ErrorLine} error=${err} />
    <p class="hint">Or run <code>wagate dashboard</code> on the gateway's machine for a one-time sign-in link.</p>
  </main>`;
}

function Shell({ onSignOut }) {
  const [rpc, setRpc] = useState(null);
  const [link, setLink] = useState({ connected: false });
  const [view, setView] = useState(location.hash.replace('#', '') || 'accounts');
  useEffect(() => {
    let r = null;
    let stop = false;
    const open = async () => {
      r = new Rpc((s) => {
        setLink(s);
        if (s.code === 1008) return onSignOut('Your session ended; sign in again.');
        if (!stop) setTimeout(open, 2000);
      });
      try {
        await r.connect();
        setRpc(r);
        setLink({ connected: true });
      } catch (err) {
        setLink({ connected: false, error: err });
      }
    };
    open();
    return () => {
      stop = true;
      r?.close();
    };
  }, []);
  const go = (id) => {
    setView(id);
    history.replaceState(null, '', `#${id}`);
  };
  const signOut = async () => {
    await postJson('/ui/logout', {});
    rpc?.close();
    onSignOut(null);
  };
  const current = VIEWS.find(([id]) => id === view) ?? VIEWS[0];
  const View = current[2];
  return html`<div class="shell">
    <header>
      <strong class="brand">wagate</strong>
      <span class=${`dot ${link.connected ? 'on' : 'off'}`} data-testid="link-state">${link.connected ? 'live' : 'offline'}</span>
      <button class="ghost" onClick=${signOut}>Sign out</button>
    </header>
    <nav>
      ${VIEWS.map(([id, label]) => html`<button class=${id === current[0] ? 'tab active' : 'tab'} data-view=${id} onClick=${() => go(id)}>${label}</button>`)}
    </nav>
    <main data-testid=${`view-${current[0]}`}>
      ${rpc && link.connected ? html`<${View} rpc=${rpc} />` : html`<p>Connecting to the gateway…</p><${ErrorLine} error=${link.error} />`}
    </main>
  </div>`;
}

function App() {
  const [phase, setPhase] = useState('checking');
  const [error, setError] = useState(null);
  useEffect(() => {
    (async () => {
      const code = new URLSearchParams(location.hash.slice(1)).get('code');
      if (code) {
        history.replaceState(null, '', location.pathname); // the code works once; never keep it in the address bar
        const r = await postJson('/ui/session', { code });
        if (!r.ok) {
          setError({ message: r.data.error ?? 'This sign-in link did not work.' });
          return setPhase('signin');
        }
        return setPhase('in');
      }
      const res = await fetch('/ui/session', { credentials: 'same-origin' });
      setPhase(res.ok ? 'in' : 'signin');
    })();
  }, []);
  if (phase === 'checking') return html`<p class="boot">Checking your session…</p>`;
  if (phase === 'signin') return html`<${SignIn} error=${error} onSignedIn=${() => setPhase('in')} />`;
  return html`<${Shell} onSignOut=${(why) => {
    setError(why ? { message: why } : null);
    setPhase('signin');
  }} />`;
}

render(html`<${App} />`, document.getElementById('app'));
