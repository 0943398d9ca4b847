/**
 * The gateway's own control methods: `status` and `debug.dump`. Feature
 * modules register theirs beside these.
 */
import fs from 'node:fs';
import type { Store } from '../store/port.js';
import { WagateError } from '../errors.js';
import type { AccountRuntime } from './account-runtime.js';
import type { AccountDump, AccountStatus, ControlResults, StoreDump } from './control-methods.js';
import type { ControlRegistry } from './methods.js';
import { health, type Gateway } from './gateway.js';

export function accountStatus(gw: Gateway, accountId: string): AccountStatus {
  const acc = gw.configured.find((a) => a.accountId === accountId);
  if (!acc) throw unknownAccount(gw, accountId);
  const rt = gw.accounts.get(accountId);
  const ctx = rt?.context;
  return {
    accountId,
    name: acc.name,
    enabled: acc.enabled,
    running: Boolean(rt) && rt!.state !== 'stopped',
    state: rt?.state ?? 'disabled',
    linked: ctx?.linked ?? false,
    connected: rt?.state === 'connected',
    identity: ctx?.identity ? { jid: ctx.identity.jid, e164: ctx.identity.e164 } : null,
    attempt: ctx?.attempt ?? 0,
    nextRetryAt: ctx?.nextRetryAt ?? null,
    lastClose: ctx?.lastClose ?? null,
    error: ctx?.error ?? null,
    dmPolicy: acc.dmPolicy,
    webVersion: rt?.webVersion() ?? null,
  };
}

export function accountDump(rt: AccountRuntime): AccountDump {
  return { accountId: rt.accountId, state: rt.state, context: rt.context, transitions: rt.transitions() };
}

function unknownAccount(gw: Gateway, accountId: string): WagateError {
  const known = gw.configured.map((a) => a.accountId).join(', ');
  return new WagateError('WAGATE_ERR_UNKNOWN_ACCOUNT', `No account "${accountId}" in the config; known accounts: ${known}.`);
}

export function registerCoreMethods(methods: ControlRegistry, gw: Gateway, deps: { now: () => number }): void {
  methods.register('status', async ({ accountId, probe }) => {
    const ids = accountId ? [accountId] : gw.configured.map((a) => a.accountId);
    const accounts = ids.map((id) => accountStatus(gw, id));
    const leases = await gw.leases();
    if (leases) {
      const byId = new Map(leases.map((l) => [l.accountId, l]));
      for (const a of accounts) {
        const l = byId.get(a.accountId);
        if (!l) continue;
        a.lease = { owner: l.owner, token: l.token, expiresAt: l.expiresAt, here: l.here };
        if (!a.running && a.enabled && l.owner !== null && !l.here) a.state = 'elsewhere';
      }
    }
    if (probe) {
      await Promise.all(
        accounts.filter((a) => a.connected).map(async (a) => {
          try {
            a.probe = { ok: true, ms: await gw.accounts.get(a.accountId)!.activeConnection().probe() };
          } catch (err) {
            a.probe = { ok: false, error: (err as Error).message };
          }
        }),
      );
    }
    return { health: health(gw, deps.now), accounts };
  });

  methods.register('debug.dump', async ({ accountId }) => {
    if (accountId && !gw.configured.some((a) => a.accountId === accountId)) throw unknownAccount(gw, accountId);
    const runtimes = [...gw.accounts.values()].filter((rt) => !accountId || rt.accountId === accountId);
    return {
      at: deps.now(),
      uptimeMs: deps.now() - gw.startedAt,
      accounts: runtimes.map(accountDump),
      actors: gw.actors.summaries(),
      methods: gw.methods.names(),
      store: await storeDump(gw.store),
      cluster: await clusterDump(gw, accountId),
    };
  });
}

async function clusterDump(gw: Gateway, accountId: string | undefined): Promise<ControlResults['debug.dump']['cluster']> {
  const leases = await gw.leases();
  if (!leases || gw.nodeId === null) return null;
  const view = await gw.clusterView();
  const nodes = (view?.nodes ?? []).map((n) => ({ nodeId: n.nodeId, live: n.live, seenAt: n.seenAt, capacity: n.capacity, accounts: n.accounts.length }));
  return { nodeId: gw.nodeId, leases: leases.filter((l) => !accountId || l.accountId === accountId), nodes };
}

/** Location, size on disk and rows per table of the store (`wagate debug dump`). */
export async function storeDump(store: Store): Promise<StoreDump> {
  const size = (p: string) => fs.statSync(p, { throwIfNoEntry: false })?.size ?? 0;
  const sizeBytes = store.kind === 'sqlite' ? size(store.location) + size(`${store.location}-wal`) : null;
  return { kind: store.kind, location: store.location, sizeBytes, counts: await store.counts(), ledger: await store.ledger.counts() };
}
