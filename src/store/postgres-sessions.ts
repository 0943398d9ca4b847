/** PostgreSQL: agent session turns (append, read back, list, clear). */
import type { SessionStorePort, SessionSummary, SessionTurn } from './port.js';
import { keepCount, type PgRunner, type Row } from './postgres-runner.js';

function toTurn(row: Row): SessionTurn {
  return { role: row.role as SessionTurn['role'], text: row.text as string, at: Number(row.at), meta: (row.meta as string | null) ?? null };
}

export function sessions(r: PgRunner): SessionStorePort {
  return {
    append: (sessionKey, turns) =>
      r.write('append session turns', async (q) => {
        if (turns.length === 0) return;
        // ORDER BY the position: `seq` follows the order of the turns.
        await q.query(
          `INSERT INTO session_turns (session_key, role, text, at, meta)
           SELECT $1, ro, te, a, m FROM unnest($2::text[], $3::text[], $4::bigint[], $5::text[]) WITH ORDINALITY AS u(ro, te, a, m, n)
           ORDER BY n`,
          [sessionKey, turns.map((t) => t.role), turns.map((t) => t.text), turns.map((t) => t.at), turns.map((t) => t.meta)],
        );
      }),
    turns: (sessionKey, limit) =>
      r.read('read session turns', async (q) => {
        const res =
          limit === undefined
            ? await q.query('SELECT role, text, at, meta FROM session_turns WHERE session_key = $1 ORDER BY seq', [sessionKey])
            : await q.query(
                `SELECT role, text, at, meta FROM (
                   SELECT seq, role, text, at, meta FROM session_turns WHERE session_key = $1 ORDER BY seq DESC LIMIT $2
                 ) AS recent ORDER BY seq`,
                [sessionKey, keepCount(limit)],
              );
        return (res.rows as Row[]).map(toTurn);
      }),
    list: () =>
      r.read('list sessions', async (q) =>
        (
          (
            await q.query(
              `SELECT session_key, COUNT(*) AS turns, MAX(at) AS last_at FROM session_turns
               GROUP BY session_key ORDER BY last_at DESC, session_key COLLATE "C"`,
            )
          ).rows as Row[]
        ).map((row): SessionSummary => ({ key: row.session_key as string, turns: Number(row.turns), lastAt: Number(row.last_at) })),
      ),
    clear: (sessionKey) =>
      r.write('clear a session', async (q) => {
        await q.query('DELETE FROM session_turns WHERE session_key = $1', [sessionKey]);
      }),
  };
}
