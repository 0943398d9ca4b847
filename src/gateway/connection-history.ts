/**
 * When each account was linked and when it was last known connected, kept across
 * gateway runs in the store (`store.connections`, SPEC §12). Offline catch-up (SPEC §5)
 * needs both: a message written while the gateway was stopped, restarting, or not yet
 * started after `wagate channels login` was sent after the account was last connected
 * and must still be answered.
 *
 * What an earlier run (or the in-process login) left is read once, by `load`, and never
 * replaced by this run's own connections: this run's first connection must not move its
 * own catch-up window to "now". Writes go to the store in order; `flush()` waits for them.
 *
 * The file layout's `<state>/whatsapp-connections.json` is imported once
 * (`importConnectionsFile`, run by state-import.ts).
 */
import type { Bus } from '../bus/bus.js';
import { moveAside, readOldFile } from '../store/moved-aside.js';
import type { ConnectionRecord, Store } from '../store/port.js';
import { connectionHistoryFile } from '../state-layout.js';

export class ConnectionHistory {
  private readonly data = new Map<string, ConnectionRecord>();
  /** `lastConnectedAt` as the earlier run left it, per account. */
  private readonly previous = new Map<string, number>();
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly store: Store,
    private readonly onError: (err: unknown) => void,
  ) {}

  /**
   * Read what earlier runs left for `accountIds`. A store that cannot be read is
   * reported and taken as "nothing known" (catch-up then falls back to this run).
   */
  static async load(store: Store, accountIds: Iterable<string>, onError: (err: unknown) => void = () => undefined): Promise<ConnectionHistory> {
    const h = new ConnectionHistory(store, onError);
    for (const id of accountIds) {
      const rec = await store.connections.get(id).catch((err: unknown) => {
        onError(err);
        return undefined;
      });
      if (!rec) continue;
      h.data.set(id, rec);
      if (rec.lastConnectedAt !== null) h.previous.set(id, rec.lastConnectedAt);
    }
    return h;
  }

  /**
   * Read the account's record again (a cluster node taking an account over: what the
   * previous owner left is its "earlier run" — when it was last known connected there).
   * Waits for this node's own writes first; a store that cannot be read keeps what is known.
   */
  async reload(accountId: string): Promise<void> {
    await this.writing;
    const rec = await this.store.connections.get(accountId).catch((err: unknown) => {
      this.onError(err);
      return undefined;
    });
    if (!rec) return;
    this.data.set(accountId, rec);
    if (rec.lastConnectedAt !== null) this.previous.set(accountId, rec.lastConnectedAt);
  }

  /** When the account was linked, if known. */
  linkedAt(accountId: string): number | null {
    return this.data.get(accountId)?.linkedAt ?? null;
  }

  /** The last moment the account was known connected in an earlier run (or the login), if known. */
  previousRunLastConnected(accountId: string): number | null {
    return this.previous.get(accountId) ?? null;
  }

  /** The account was (re)linked now: nothing from before this moment is a catch-up message. */
  linked(accountId: string, at: number): Promise<void> {
    const rec = { linkedAt: at, lastConnectedAt: at };
    this.data.set(accountId, rec);
    this.previous.delete(accountId);
    return this.save(accountId, rec);
  }

  /** The account is (or was, until `at`) connected. */
  seen(accountId: string, at: number): Promise<void> {
    this.data.set(accountId, { linkedAt: this.linkedAt(accountId), lastConnectedAt: at });
    return this.save(accountId, { lastConnectedAt: at });
  }

  flush(): Promise<void> {
    return this.writing;
  }

  private save(accountId: string, fields: Partial<ConnectionRecord>): Promise<void> {
    this.writing = this.writing.then(() => this.store.connections.update(accountId, fields)).catch((err: unknown) => this.onError(err));
    return this.writing;
  }
}

/**
 * Keep `history` current from the account events on `bus`: linked on the
 * pair-success restart (`linking → connecting`), seen on connect, every heartbeat
 * and disconnect. Returns the unsubscribe. Used by the gateway and the in-process login.
 */
export function recordConnectionHistory(bus: Bus, history: ConnectionHistory): () => void {
  const offs = [
    bus.on('account.state.changed', (ev) => {
      if (ev.from === 'linking' && ev.to === 'connecting') void history.linked(ev.accountId, ev.at);
    }),
    bus.on('account.connected', (ev) => void history.seen(ev.accountId, ev.at)),
    bus.on('account.heartbeat', (ev) => void history.seen(ev.accountId, ev.at)),
    bus.on('account.disconnected', (ev) => void history.seen(ev.accountId, ev.at)),
  ];
  return () => offs.forEach((off) => off());
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function latest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}

export interface ConnectionsImport {
  file: string;
  accounts: number;
  movedTo?: string;
  corrupt?: boolean;
}

/**
 * Import `<state>/whatsapp-connections.json` (`{ <accountId>: { linkedAt,
 * lastConnectedAt, lastDisconnectedAt? } }`) into `store.connections`: the last moment
 * connected is the later of the two; an account the store already has is kept. Then the
 * file is moved aside; one that does not parse too (the file layout took it for "nothing
 * known"). Undefined when there is no file.
 */
export async function importConnectionsFile(store: Store, stateDir: string, now: () => number = Date.now): Promise<ConnectionsImport | undefined> {
  const file = connectionHistoryFile(stateDir);
  const text = await readOldFile(file);
  if (text === undefined) return undefined;
  const rows: [string, ConnectionRecord][] = [];
  let corrupt = false;
  try {
    const parsed = JSON.parse(text) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    for (const [id, e] of Object.entries(parsed as Record<string, Record<string, unknown> | null>)) {
      const rec = { linkedAt: num(e?.linkedAt), lastConnectedAt: latest(num(e?.lastConnectedAt), num(e?.lastDisconnectedAt)) };
      if (rec.linkedAt !== null || rec.lastConnectedAt !== null) rows.push([id, rec]);
    }
  } catch {
    corrupt = true;
  }
  const accounts = await store.transaction(async (tx) => {
    let n = 0;
    for (const [id, rec] of rows) {
      if (await tx.connections.get(id)) continue;
      await tx.connections.update(id, rec);
      n += 1;
    }
    return n;
  });
  const result: ConnectionsImport = { file, accounts, movedTo: await moveAside(file, now()) };
  if (corrupt) result.corrupt = true;
  return result;
}
