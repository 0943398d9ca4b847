/** SQLite: pairing requests and approved senders, group activations, connection history. */
import type {
  ActivationMode,
  ActivationStorePort,
  ConnectionRecord,
  ConnectionStore,
  PairingRequestRow,
  PairingStorePort,
} from './port.js';
import { num, type Row, type SqlRunner } from './sqlite-runner.js';

function toRequest(row: Row): PairingRequestRow {
  const req: PairingRequestRow = {
    code: row.code as string,
    sender: row.sender as string,
    accountId: row.account_id as string,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
  };
  if (row.name !== null && row.name !== undefined) req.name = row.name as string;
  return req;
}

export function pairing(r: SqlRunner): PairingStorePort {
  return {
    requests: () =>
      r.read('list pairing requests', () =>
        (r.stmt('SELECT * FROM pairing_requests ORDER BY created_at, code').all() as Row[]).map(toRequest),
      ),
    addRequest: (req) =>
      r.write('add a pairing request', () => {
        r.stmt(
          'INSERT INTO pairing_requests (code, sender, account_id, name, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
        ).run(req.code, req.sender, req.accountId, req.name ?? null, req.createdAt, req.expiresAt);
      }),
    removeRequest: (code) =>
      r.write('remove a pairing request', () => r.stmt('DELETE FROM pairing_requests WHERE code = ?').run(code).changes > 0),
    removeExpired: (now) =>
      r.write('remove expired pairing requests', () => r.stmt('DELETE FROM pairing_requests WHERE expires_at <= ?').run(now).changes),
    approve: (sender, at) =>
      r.write('approve a sender', () =>
        r.stmt('INSERT INTO approved_senders (sender, approved_at) VALUES (?, ?) ON CONFLICT (sender) DO NOTHING').run(sender, at)
          .changes > 0,
      ),
    approved: () =>
      r.read('list approved senders', () => r.stmt('SELECT sender FROM approved_senders ORDER BY seq').pluck().all() as string[]),
    isApproved: (sender) =>
      r.read('look up an approved sender', () =>
        r.stmt('SELECT 1 FROM approved_senders WHERE sender = ?').get(sender) !== undefined,
      ),
  };
}

function isMode(v: unknown): v is ActivationMode {
  return v === 'mention' || v === 'always';
}

export function activations(r: SqlRunner): ActivationStorePort {
  return {
    get: (accountId, groupJid) =>
      r.read('read a group activation', () => {
        const v = r.stmt('SELECT mode FROM group_activations WHERE account_id = ? AND group_jid = ?').pluck().get(accountId, groupJid);
        return isMode(v) ? v : undefined;
      }),
    set: (accountId, groupJid, mode, at) =>
      r.write('write a group activation', () => {
        if (mode === null) {
          r.stmt('DELETE FROM group_activations WHERE account_id = ? AND group_jid = ?').run(accountId, groupJid);
          return;
        }
        r.stmt(
          `INSERT INTO group_activations (account_id, group_jid, mode, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (account_id, group_jid) DO UPDATE SET mode = excluded.mode, updated_at = excluded.updated_at`,
        ).run(accountId, groupJid, mode, at);
      }),
    all: (accountId) =>
      r.read('list group activations', () => {
        const rows = r.stmt('SELECT group_jid, mode FROM group_activations WHERE account_id = ? ORDER BY group_jid').all(accountId) as Row[];
        const out: Record<string, ActivationMode> = {};
        for (const row of rows) if (isMode(row.mode)) out[row.group_jid as string] = row.mode;
        return out;
      }),
  };
}


export function connections(r: SqlRunner): ConnectionStore {
  return {
    get: (accountId) =>
      r.read('read connection history', () => {
        const row = r.stmt('SELECT linked_at, last_connected_at FROM connections WHERE account_id = ?').get(accountId) as Row | undefined;
        return row ? { linkedAt: num(row.linked_at), lastConnectedAt: num(row.last_connected_at) } : undefined;
      }),
    update: (accountId, fields: Partial<ConnectionRecord>) =>
      r.write('write connection history', () => {
        const row = r.stmt('SELECT linked_at, last_connected_at FROM connections WHERE account_id = ?').get(accountId) as Row | undefined;
        const linkedAt = fields.linkedAt !== undefined ? fields.linkedAt : num(row?.linked_at);
        const lastConnectedAt = fields.lastConnectedAt !== undefined ? fields.lastConnectedAt : num(row?.last_connected_at);
        r.stmt(
          `INSERT INTO connections (account_id, linked_at, last_connected_at) VALUES (?, ?, ?)
           ON CONFLICT (account_id) DO UPDATE SET linked_at = excluded.linked_at, last_connected_at = excluded.last_connected_at`,
        ).run(accountId, linkedAt, lastConnectedAt);
      }),
    remove: (accountId) =>
      r.write('remove connection history', () => {
        r.stmt('DELETE FROM connections WHERE account_id = ?').run(accountId);
      }),
  };
}
