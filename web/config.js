// The config as the gateway reads it now, secrets redacted; a config error is
// the same one line the CLI prints.
import { html, useState, useEffect, ErrorLine } from '/ui/lib.js';

export function Config({ rpc }) {
  const [cfg, setCfg] = useState(null);
  const [error, setError] = useState(null);
  const load = () => rpc.call('config.get').then(setCfg, setError);
  useEffect(() => {
    load();
  }, []);
  if (!cfg) return html`<p>Loading…</p><${ErrorLine} error=${error} />`;
  return html`<section>
    <p class="muted">${cfg.path}${cfg.exists ? '' : ' (no file: all defaults)'} · read-only · <button class="ghost" onClick=${load}>Reload</button></p>
    ${cfg.error ? html`<p class="error" role="alert" data-testid="config-error">wagate: ${cfg.error.message}</p>` : null}
    ${cfg.config ? html`<pre class="config" data-testid="config">${JSON.stringify(cfg.config, null, 2)}</pre>` : null}
  </section>`;
}
