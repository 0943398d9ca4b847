/**
 * Baileys' auth state over the store (SPEC §12): what `useMultiFileAuthState` returns,
 * `{ state: { creds, keys }, saveCreds }`, with the creds and Signal keys of one account
 * in the store instead of a directory of JSON files.
 *
 * - Serializing is done here, at the Baileys edge: BufferJSON for creds and keys, and
 *   `app-state-sync-key` revived as the protobuf class Baileys expects. The store sees
 *   opaque text.
 * - `keys.set` of any number of keys is one store transaction. Baileys wraps these keys
 *   with `addTransactionCapability` (in `makeWASocket`), which collects a
 *   `keys.transaction`'s writes and commits them with one `set`: all of them or none.
 * - `saveCreds` is durable (it survives a power cut, not only a process kill).
 * - The backup rule: creds that do not parse fall back to the copy saved before them
 *   (with a warning); with no good copy it is WAGATE_ERR_CREDS, and a store that cannot
 *   be read is WAGATE_ERR_STORE — never fresh creds, which would mean "not linked".
 *
 * Nothing here logs key or creds contents.
 */
import type { AuthenticationCreds, AuthenticationState, SignalDataSet, SignalDataTypeMap } from '@whiskeysockets/baileys';
import { WagateError } from '../errors.js';
import type { KeyWrite, Store } from '../store/port.js';
import { parseCreds, serializeCreds, type AuthLog } from './auth-creds.js';
import { BufferJSON, initAuthCreds, proto } from './baileys-auth.js';

/** Where the creds came from: the store, the copy before the last save, or new (not linked). */
export type StoreCredsSource = 'store' | 'previous' | 'fresh';

export interface StoreAuthOptions {
  store: Store;
  accountId: string;
  /** Warnings (creds restored from the earlier copy, an unparsable key); never given secrets. */
  log: AuthLog;
}

export interface StoreAuthState {
  readonly accountId: string;
  /** Pass to `makeWASocket({ auth: state })`. */
  readonly state: AuthenticationState;
  /** Persist `state.creds` as it is now; call on every `creds.update`. */
  saveCreds(): Promise<void>;
  readonly source: StoreCredsSource;
  /**
   * Resolves once every write started so far has settled and none was started for
   * `quietMs`: after a socket closed, work already in flight (a message being
   * decrypted) may still commit key writes; a process exiting before them would
   * start next time with a stale Signal session.
   */
  flushQuietly(quietMs: number): Promise<void>;
}

function badCreds(store: Store, accountId: string, hadPrevious: boolean): WagateError {
  return new WagateError(
    'WAGATE_ERR_CREDS',
    `The creds of account ${accountId} in the store ${store.location} are not valid credentials JSON, ` +
      `${hadPrevious ? 'and neither is the copy saved before them' : 'and there is no earlier copy'}. ` +
      `Run \`wagate channels logout --account ${accountId}\` then \`wagate channels login\` to link again.`,
  );
}

/** The creds of an account: parsed from the store, the earlier copy, or fresh when it has none. */
async function loadCreds(opts: StoreAuthOptions): Promise<{ creds: AuthenticationCreds; source: StoreCredsSource }> {
  const { store, accountId, log } = opts;
  const stored = await store.creds.load(accountId); // a read failure is WAGATE_ERR_STORE, never "none"
  if (!stored) return { creds: initAuthCreds(), source: 'fresh' };
  const current = parseCreds(stored.current);
  if (current) return { creds: current, source: 'store' };
  const previous = stored.previous === null ? undefined : parseCreds(stored.previous);
  if (!previous) throw badCreds(store, accountId, stored.previous !== null);
  log.warn({ accountId, store: store.location }, 'the stored creds do not parse; using the copy saved before them');
  return { creds: previous, source: 'previous' };
}

/** Whether the account has linked creds (`me` set) in the store; read errors throw. */
export async function storedCredsLinked(store: Store, accountId: string): Promise<{ linked: boolean; meId?: string }> {
  const stored = await store.creds.load(accountId);
  if (!stored) return { linked: false };
  const creds = parseCreds(stored.current) ?? (stored.previous === null ? undefined : parseCreds(stored.previous));
  if (!creds) throw badCreds(store, accountId, stored.previous !== null);
  const meId = creds.me?.id || undefined;
  return meId ? { linked: true, meId } : { linked: false };
}

/** Serialize a Baileys key set as store writes (null deletes). */
export function keyWrites(data: SignalDataSet): KeyWrite[] {
  const writes: KeyWrite[] = [];
  for (const type of Object.keys(data) as Array<keyof SignalDataSet>) {
    const entries = data[type] ?? {};
    for (const id of Object.keys(entries)) {
      const value = entries[id];
      writes.push({ type, id, value: value === null || value === undefined ? null : JSON.stringify(value, BufferJSON.replacer) });
    }
  }
  return writes;
}

/** Open the Baileys auth state of `accountId` on the store. */
export async function useStoreAuthState(opts: StoreAuthOptions): Promise<StoreAuthState> {
  const { store, accountId, log } = opts;
  const { creds, source } = await loadCreds(opts);

  // Writes in flight, for flushQuietly (a settled write leaves the set, failed or not).
  const pending = new Set<Promise<unknown>>();
  let started = 0;
  const track = <T>(write: Promise<T>): Promise<T> => {
    started += 1;
    const settled = write.then(
      () => undefined,
      () => undefined,
    );
    pending.add(settled);
    void settled.then(() => pending.delete(settled));
    return write;
  };

  const revive = (type: keyof SignalDataTypeMap, id: string, text: string): unknown => {
    let value: unknown;
    try {
      value = JSON.parse(text, BufferJSON.reviver);
    } catch {
      log.warn({ accountId, type, id }, 'ignoring an unparsable Signal key in the store');
      return null;
    }
    if (type === 'app-state-sync-key' && value) {
      return proto.Message.AppStateSyncKeyData.fromObject(value as Record<string, unknown>);
    }
    return value;
  };

  const keys: AuthenticationState['keys'] = {
    get: async <T extends keyof SignalDataTypeMap>(type: T, ids: string[]) => {
      const found = await store.keys.get(accountId, type, ids);
      // Absent ids are answered null, so Baileys' transaction cache remembers them too.
      const data: { [id: string]: SignalDataTypeMap[T] } = {};
      for (const id of ids) {
        const text = found.get(id);
        data[id] = (text === undefined ? null : revive(type, id, text)) as SignalDataTypeMap[T];
      }
      return data;
    },
    set: async (data: SignalDataSet) => {
      const writes = keyWrites(data);
      if (writes.length > 0) await track(store.keys.set(accountId, writes));
    },
    clear: () => track(store.keys.clear(accountId)),
  };

  return {
    accountId,
    state: { creds, keys },
    source,
    // The creds as they are at the call.
    saveCreds: () => track(store.creds.save(accountId, serializeCreds(creds), { durable: true })),
    flushQuietly: async (quietMs) => {
      for (;;) {
        const before = started;
        await Promise.all([...pending]);
        await new Promise((r) => setTimeout(r, quietMs));
        if (started === before && pending.size === 0) return;
      }
    },
  };
}
