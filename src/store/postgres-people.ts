/** PostgreSQL: pairing requests and approved senders, group activations, connection history. */
import type {
  ActivationMode,
  ActivationStorePort,
  ConnectionRecord,
  ConnectionStore,
  PairingRequestRow,
  PairingStorePort,
} from './port.js';
import { changed, num, type PgRunner, type Row } from './postgres-runner.js';

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

export function pairing(r: PgRunner): PairingStorePort {
  return {
    requests: () =>
      r.read('list pairing requests', async (q) =>
        ((await q.query('SELECT * FROM pairing_requests ORDER BY created_at, code COLLATE "C"')).rows as Row[]).map(toRequest),
      ),
    addRequest: (req) =>
      r.write(
        'add a pairing request',
        async (q) => {
          await q.query(
            'INSERT INTO pairing_requests (code, sender, account_id, name, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)',
            [req.code, req.sender, req.accountId, req.name ?? null, req.createdAt, req.expiresAt],
          );
        },
        { accountId: req.accountId },
      ),
    removeRequest: (code) =>
      r.write('remove a pairing request', async (q) => changed(await q.query('DELETE FROM pairing_requests WHERE code = $1', [code])) > 0),
    removeExpired: (now) =>
      r.write('remove expired pairing requests', async (q) =>
        changed(await q.query('DELETE FROM pairing_requests WHERE expires_at <= $1', [now])),
      ),
    approve: (sender, at) =>
      r.write(
        'approve a sender',
        async (q) =>
          changed(
            await q.query('INSERT INTO approved_senders (sender, approved_at) VALUES ($1, $2) ON CONFLICT (sender) DO NOTHING', [
              sender,
              at,
            ]),
          ) > 0,
      ),
    approved: () =>
      r.read('list approved senders', async (q) =>
        ((await q.query('SELECT sender FROM approved_senders ORDER BY seq')).rows as Row[]).map((x) => x.sender as string),
      ),
    isApproved: (sender) =>
      r.read('look up an approved sender', async (q) =>
        changed(await q.query('SELECT 1 FROM approved_senders WHERE sender = $1', [sender])) > 0,
      ),
  };
}

function isMode(v: unknown): v is ActivationMode {
  return v === 'mention' || v === 'always';
}

export function activations(r: PgRunner): ActivationStorePort {
  return {
    get: (accountId, groupJid) =>
      r.read('read a group activation', async (q) => {
        const v = ((await q.query('SELECT mode FROM group_activations WHERE account_id = $1 AND group_jid = $2', [accountId, groupJid]))
          .rows[0] as Row | undefined)?.mode;
        return isMode(v) ? v : undefined;
      }),
    set: (accountId, groupJid, mode, at) =>
      r.write(
        'write a group activation',
        async (q) => {
          if (mode === null) {
            await q.query('DELETE FROM group_activations WHERE account_id = $1 AND group_jid = $2', [accountId, groupJid]);
            return;
          }
          await q.query(
            `INSERT INTO group_activations (account_id, group_jid, mode, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (account_id, group_jid) DO UPDATE SET mode = excluded.mode, updated_at = excluded.updated_at`,
            [accountId, groupJid, mode, at],
          );
        },
        { accountId },
      ),
    all: (accountId) =>
      r.read('list group activations', async (q) => {
        const rows = (
          await q.query('SELECT group_jid, mode FROM group_activations WHERE account_id = $1 ORDER BY group_jid COLLATE "C"', [accountId])
        ).rows as Row[];
        const out: Record<string, ActivationMode> = {};
        for (const row of rows) if (isMode(row.mode)) out[row.group_jid as string] = row.mode;
        return out;
      }),
  };
}

export function connections(r: PgRunner): ConnectionStore {
  return {
    get: (accountId) =>
      r.read('read connection history', async (q) => {
        const row = (await q.query('SELECT linked_at, last_connected_at FROM connections WHERE account_id = $1', [accountId])).rows[0] as
          | Row
          | undefined;
        return row ? { linkedAt: num(row.linked_at), lastConnectedAt: num(row.last_connected_at) } : undefined;
      }),
    // One statement: the fields not given keep their stored value (no read-modify-write race).
    update: (accountId, fields: Partial<ConnectionRecord>) =>
      r.write(
        'write connection history',
        async (q) => {
          await q.query(
            `INSERT INTO connections (account_id, linked_at, last_connected_at) VALUES ($1, $2, $3)
             ON CONFLICT (account_id) DO UPDATE SET
               linked_at = CASE WHEN $4::boolean THEN excluded.linked_at ELSE connections.linked_at END,
               last_connected_at = CASE WHEN $5::boolean THEN excluded.last_connected_at ELSE connections.last_connected_at END`,
            [
              accountId,
              fields.linkedAt ?? null,
              fields.lastConnectedAt ?? null,
              fields.linkedAt !== undefined,
              fields.lastConnectedAt !== undefined,
            ],
          );
        },
        { accountId },
      ),
    remove: (accountId) =>
      r.write(
        'remove connection history',
        async (q) => {
          await q.query('DELETE FROM connections WHERE account_id = $1', [accountId]);
        },
        { accountId },
      ),
  };
}
