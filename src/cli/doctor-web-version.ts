/**
 * `wagate doctor`'s WhatsApp Web version check: which version the accounts announce and
 * where it came from (`config | fetched | cache | bundled`, src/whatsapp/web-version.ts).
 * With the gateway running, what its accounts' latest connections used; otherwise what
 * the next connect starts from (`web.version`, else the cached one, else Baileys'
 * bundled one) — read from the store, never fetched here.
 */
import { pino } from 'pino';
import type { WagateConfig } from '../config/index.js';
import type { AccountStatus } from '../gateway/control-methods.js';
import type { WebVersionInUse } from '../ports/transport.js';
import type { Store } from '../store/port.js';
import { bundledWebVersion, versionInUse, webVersionResolver } from '../whatsapp/index.js';
import type { CheckResult } from './doctor-checks.js';

const ID = 'web-version';

export function describeWebVersion(v: WebVersionInUse, now: number): string {
  const age = v.fetchedAt !== undefined ? `, fetched ${ageText(now - v.fetchedAt)} ago` : '';
  return `${v.version} (${v.source}${age})`;
}

function ageText(ms: number): string {
  const m = Math.max(0, Math.round(ms / 60_000));
  if (m < 120) return `${m} min`;
  const h = Math.round(m / 60);
  return h < 48 ? `${h} h` : `${Math.round(h / 24)} days`;
}

export async function checkWebVersion(config: WagateConfig, store: Store | null, running: AccountStatus[] | null, now = Date.now()): Promise<CheckResult> {
  const inUse = (running ?? []).filter((a) => a.webVersion).map((a) => ({ accountId: a.accountId, v: a.webVersion! }));
  if (inUse.length > 0) {
    const message = `in use: ${inUse.map(({ accountId, v }) => `${accountId} ${describeWebVersion(v, now)}`).join(', ')}`;
    if (inUse.some(({ v }) => v.source === 'bundled')) {
      return {
        id: ID,
        status: 'warn',
        message: `${message}; the current version could not be fetched from ${config.web.versionUrl}`,
        fix: 'check that the gateway can reach web.versionUrl; if WhatsApp refuses the bundled version (405), set `web.version` to the current [2, 3000, N]',
      };
    }
    return { id: ID, status: 'ok', message };
  }
  const next: WebVersionInUse = config.web.version
    ? { version: config.web.version.join('.'), source: 'config' }
    : store
      ? versionInUse(await webVersionResolver({ config, logger: pino({ level: 'silent' }) }, store).peek())
      : { version: bundledWebVersion(), source: 'bundled' };
  const fetchNote = config.web.version
    ? ', pinned by web.version'
    : `; at connect the gateway fetches the current one from ${config.web.versionUrl} when that is older than a day`;
  return { id: ID, status: 'ok', message: `next connect starts from ${describeWebVersion(next, now)}${fetchNote}` };
}
