/**
 * Human text for account status: the state line and the fix hint
 * ("Not linked", "Linked but disconnected", "Logged out", "Conflict", …).
 */
import type { AccountStatus } from '../gateway/control-methods.js';

export interface Hint {
  /** Short label, e.g. "Not linked". */
  label: string;
  /** What to do. */
  fix: string;
}

export function fixHint(s: Pick<AccountStatus, 'accountId' | 'state' | 'linked' | 'error' | 'enabled' | 'running'>): Hint | null {
  const acct = s.accountId === 'default' ? '' : ` --account ${s.accountId}`;
  if (!s.enabled) return { label: 'Disabled', fix: `set channels.whatsapp.accounts.${s.accountId}.enabled to true to use it` };
  if (s.state === 'logged-out') return { label: 'Logged out', fix: `WhatsApp removed this device; run \`wagate channels login${acct}\` again` };
  if (s.state === 'degraded' && s.error?.code === 'WAGATE_ERR_CONFLICT')
    return { label: 'Conflict', fix: 'another client uses this session; stop it, then restart the gateway' };
  if (s.state === 'degraded') return { label: 'Degraded', fix: s.error?.message ?? 'see `wagate logs`' };
  if (!s.linked && s.state !== 'linking') return { label: 'Not linked', fix: `run \`wagate channels login${acct}\`` };
  if (!s.running) return { label: 'Gateway not running', fix: 'start it with `wagate gateway`' };
  if (s.state === 'backing-off' || s.state === 'connecting')
    return { label: 'Linked but disconnected', fix: 'reconnecting automatically; if it persists check the network and `wagate logs`' };
  return null;
}

export function ago(at: number | null | undefined, now: number): string {
  if (!at) return 'never';
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86400) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

export function formatStatusLine(s: AccountStatus, now: number): string[] {
  const who = s.identity?.e164 ?? s.identity?.jid ?? '-';
  const label = `${s.accountId}${s.name !== s.accountId ? ` (${s.name})` : ''}:`;
  const parts = [
    s.enabled ? 'enabled' : 'disabled',
    s.linked ? `linked ${who}` : 'not linked',
    s.running ? `state ${s.state}` : 'not running',
    s.connected ? 'connected' : 'disconnected',
    `dm policy ${s.dmPolicy}`,
  ];
  const lines = [`${label} ${parts.join(', ')}`];
  if (s.lastClose) lines.push(`  last close: ${s.lastClose.code ?? s.lastClose.kind} ${s.lastClose.reason} (${ago(s.lastClose.at, now)})`);
  if (s.nextRetryAt) lines.push(`  next retry: in ${Math.max(0, Math.round((s.nextRetryAt - now) / 1000))}s (attempt ${s.attempt})`);
  if (s.lease) {
    const owner = s.lease.owner === null ? 'free' : `node ${s.lease.owner}${s.lease.here ? ' (this node)' : ''}`;
    lines.push(`  lease: ${owner}, token ${s.lease.token}${s.lease.owner === null ? '' : `, expires ${s.lease.expiresAt > now ? `in ${Math.round((s.lease.expiresAt - now) / 1000)}s` : ago(s.lease.expiresAt, now)}`}`);
  }
  if (s.webVersion) lines.push(`  WhatsApp Web version: ${s.webVersion.version} (${s.webVersion.source}${s.running ? '' : ', next connect'})`);
  if (s.probe) lines.push(s.probe.ok ? `  probe: WhatsApp answered in ${s.probe.ms} ms` : `  probe: failed: ${s.probe.error}`);
  if (s.error) lines.push(`  error: ${s.error.code}: ${s.error.message}${s.error.cause ? ` (cause: ${s.error.cause})` : ''}`);
  const hint = fixHint(s);
  if (hint) lines.push(`  ${hint.label}: ${hint.fix}`);
  return lines;
}
