// The page's UI stack: preact + htm (tagged templates, no build step), served
// by the gateway from its node_modules (README "Dependencies").
import { h, render } from '/ui/vendor/preact.mjs';
import { useState, useEffect, useRef, useCallback } from '/ui/vendor/hooks.mjs';
import htm from '/ui/vendor/htm.mjs';

export const html = htm.bind(h);
export { render, useState, useEffect, useRef, useCallback };

/** `ms` as `1m 05s` / `12s`. */
export function duration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  return s >= 60 ? `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export function time(t) {
  return t ? new Date(t).toLocaleTimeString() : '—';
}

/** A value that changes every second (countdowns). */
export function useNow() {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  return now;
}

/** Run `fn` now and on each of the gateway's events named in `events`. */
export function useLive(rpc, fn, events, deps = []) {
  useEffect(() => {
    let alive = true;
    const run = () => alive && fn();
    run();
    const offs = events.map((e) => rpc.on(e, run));
    return () => {
      alive = false;
      offs.forEach((off) => off());
    };
  }, deps);
}

export function ErrorLine({ error }) {
  return error ? html`<p class="error" role="alert">${error.message ?? String(error)}</p>` : null;
}
