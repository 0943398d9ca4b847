/**
 * The `AsyncLocalStorage` instances a connection creates, disabled when it ends.
 *
 * On Node 20 every enabled `AsyncLocalStorage` is visited each time the process creates
 * a promise or any other async resource (its `init` hook copies each storage's value onto
 * the new resource), and an instance stays on that list until `disable()` — Node's docs:
 * "calling disable is required before the asyncLocalStorage can be garbage collected".
 * Baileys creates one per socket (`addTransactionCapability` in `makeWASocket`), and our
 * per-contact Signal serializer (signal-serial.ts) another, and neither is ever disabled.
 * So every connection, reconnects included, left two more for good: at 200 accounts
 * (400 instances) one `await` cost ~50 µs instead of ~0.2 µs on this machine, and a
 * gateway that reconnects now and then grew slower for every promise, forever.
 *
 * `collectAsyncStorages(fn)` runs `fn` (synchronous: `makeWASocket`, which builds both)
 * and returns the instances created meanwhile; the connection disables them once its
 * close is reported (its key writes landed). A late `run()` on one enables it again
 * (Node's own behaviour): correct, merely not freed.
 *
 * Even live, a connection's instances cost every promise of the process (two per
 * connected account: ~25 µs per `await` at 200 accounts). Both are used only through
 * `run()` (a key transaction: `txStorage.run(ctx, work)`), so `disableWhileIdle` keeps
 * each one enabled only while a `run()` of it is in flight: counted per instance, it is
 * disabled when the last one settles, and `run()` enables it again (Node's `_enable`).
 * Asked outside any run, `getStore()` answers undefined either way; a continuation a
 * transaction left behind without awaiting it no longer sees that finished transaction
 * (its writes then go to the store, not into a cache nobody commits — see
 * `persistPrivacyTokens` in baileys-transport.ts for the case that bit).
 *
 * How instances are seen: the `AsyncLocalStorage` export of `node:async_hooks` is
 * replaced, once, by a subclass that records each new instance while a collection is
 * running (`syncBuiltinESMExports` carries that to ES-module imports such as Baileys').
 * Outside a collection it behaves exactly like the original.
 */
import asyncHooks, { type AsyncLocalStorage } from 'node:async_hooks';
import { syncBuiltinESMExports } from 'node:module';

type Storage = AsyncLocalStorage<unknown>;

let collecting: Storage[] | null = null;
let installed = false;
let created = 0;
let disabled = 0;

function install(): void {
  if (installed) return;
  installed = true;
  const Base = asyncHooks.AsyncLocalStorage;
  class CollectedAsyncLocalStorage<T> extends Base<T> {
    constructor() {
      super();
      if (collecting) {
        collecting.push(this as Storage);
        created += 1;
      }
    }
  }
  (asyncHooks as { AsyncLocalStorage: typeof Base }).AsyncLocalStorage = CollectedAsyncLocalStorage;
  syncBuiltinESMExports();
}

/** Runs `fn` and returns what it returned and the `AsyncLocalStorage` instances it created. */
export function collectAsyncStorages<T>(fn: () => T): { result: T; storages: Storage[] } {
  install();
  const outer = collecting;
  const storages: Storage[] = [];
  collecting = storages;
  try {
    return { result: fn(), storages };
  } finally {
    collecting = outer;
    outer?.push(...storages);
  }
}

/**
 * Keeps each instance enabled only while one of its `run()` calls is in flight (see the
 * module comment); `storages` must only be used through `run()` and `getStore()`.
 */
export function disableWhileIdle(storages: readonly Storage[]): void {
  for (const s of storages) {
    let active = 0;
    const run = s.run.bind(s) as (store: unknown, cb: (...a: unknown[]) => unknown, ...args: unknown[]) => unknown;
    const settled = () => {
      active -= 1;
      if (active === 0) s.disable();
    };
    (s as { run: typeof run }).run = (store, cb, ...args) => {
      active += 1;
      let result: unknown;
      try {
        result = run(store, cb, ...args);
      } catch (err) {
        settled();
        throw err;
      }
      if (result instanceof Promise) result.then(settled, settled);
      else settled();
      return result;
    };
    if (active === 0) s.disable();
  }
}

/** Disables each instance (Node then stops visiting it on every new async resource). */
export function disableAsyncStorages(storages: Storage[]): void {
  for (const s of storages.splice(0)) {
    s.disable();
    disabled += 1;
  }
}

/** Instances collected and disabled so far in this process (tests, the debug dump). */
export function asyncStorageCounts(): { created: number; disabled: number } {
  return { created, disabled };
}
