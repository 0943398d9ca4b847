/** An in-memory Signal key store (what Baileys' makeCacheableSignalKeyStore serves from), for unit tests. */
import type { SignalDataSet } from '@whiskeysockets/baileys';

export function memoryKeys() {
  const data = new Map<string, unknown>();
  return {
    data,
    get: async (type: string, ids: string[]) => Object.fromEntries(ids.filter((id) => data.has(`${type}/${id}`)).map((id) => [id, data.get(`${type}/${id}`)])),
    set: async (set: SignalDataSet) => {
      for (const [type, entries] of Object.entries(set)) {
        for (const [id, v] of Object.entries(entries ?? {})) {
          if (v === null) data.delete(`${type}/${id}`);
          else data.set(`${type}/${id}`, v);
        }
      }
    },
  };
}
