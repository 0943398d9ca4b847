/**
 * The state the crash-test writer (store-writer.ts) keeps, and how a load is judged.
 *
 * Generation g writes: session keys `k0`…`k15` = `g:<i>:<padding>`, deletes pre-key
 * `g-1` and adds pre-key `g`; odd generations also write creds `{gen: g}` and the key
 * `app-state-sync-version/creds-gen` = g in the same transaction.
 *
 * A valid load: the store opens and passes its integrity check; all 16 session keys
 * carry one generation G; the only pre-key is G; creds parse and their gen equals the
 * `creds-gen` key. Anything else is a half-applied transaction.
 */
import type { KeyWrite, Store } from '../../../src/store/port.js';

export const ACCOUNT = 'crash';
export const GEN_KEYS = 16;
const PAD = 'k'.repeat(200);

export function genWrites(g: number): KeyWrite[] {
  const writes: KeyWrite[] = [];
  for (let i = 0; i < GEN_KEYS; i++) writes.push({ type: 'session', id: `k${i}`, value: `${g}:${i}:${PAD}` });
  if (g > 0) writes.push({ type: 'pre-key', id: String(g - 1), value: null });
  writes.push({ type: 'pre-key', id: String(g), value: `pre-${g}` });
  return writes;
}

export interface CrashState {
  /** The generation of the key batch (-1 when the session keys disagree). */
  keysGen: number;
  credsGen: number;
  /** Why the state is not what one whole generation leaves; empty when valid. */
  problems: string[];
}

/** Read and judge the writer's state. */
export async function readState(store: Store): Promise<CrashState> {
  const problems: string[] = [];
  const ids = Array.from({ length: GEN_KEYS }, (_, i) => `k${i}`);
  const sessions = await store.keys.get(ACCOUNT, 'session', ids);
  const gens = new Set(ids.map((id) => Number((sessions.get(id) ?? 'NaN:').split(':')[0])));
  const keysGen = gens.size === 1 ? [...gens][0]! : -1;
  if (gens.size !== 1 || Number.isNaN(keysGen)) problems.push(`session keys of generations ${[...gens].join(', ')}`);
  const counts = await store.keys.count(ACCOUNT);
  if ((counts['pre-key'] ?? 0) !== 1) problems.push(`${counts['pre-key'] ?? 0} pre-keys, expected 1`);
  if (keysGen >= 0 && !(await store.keys.get(ACCOUNT, 'pre-key', [String(keysGen)])).has(String(keysGen))) {
    problems.push(`pre-key ${keysGen} missing`);
  }
  let credsGen = -1;
  const creds = await store.creds.load(ACCOUNT);
  try {
    credsGen = (JSON.parse(creds?.current ?? 'null') as { gen: number }).gen;
  } catch {
    problems.push('creds do not parse');
  }
  const marker = (await store.keys.get(ACCOUNT, 'app-state-sync-version', ['creds-gen'])).get('creds-gen');
  if (Number(marker) !== credsGen) problems.push(`creds of generation ${credsGen} but creds-gen key ${marker}`);
  if (credsGen > keysGen) problems.push(`creds (${credsGen}) newer than the keys (${keysGen})`);
  const check = await store.check();
  if (!check.ok) problems.push(...check.problems);
  return { keysGen, credsGen, problems };
}

/** Generation 0: what the writer starts from. */
export async function writeInitialState(store: Store): Promise<void> {
  await store.transaction(async (tx) => {
    await tx.keys.set(ACCOUNT, genWrites(0));
    await tx.creds.save(ACCOUNT, JSON.stringify({ gen: 0 }));
    await tx.keys.set(ACCOUNT, [{ type: 'app-state-sync-version', id: 'creds-gen', value: '0' }]);
  });
}
