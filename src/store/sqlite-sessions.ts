/** SQLite: agent session turns (append, read back, list, clear). */
import type { SessionStorePort, SessionSummary, SessionTurn } from './port.js';
import { keepCount, NOT_NOW, type Row, type SqlRunner } from './sqlite-runner.js';

function toTurn(row: Row): SessionTurn {
  return { role: row.role as SessionTurn['role'], text: row.text as string, at: Number(row.at), meta: (row.meta as string | null) ?? null };
}

/** Up to this many turns are appended with one multi-row INSERT. */
const ONE_STATEMENT_TURNS = 8;

/** `INSERT … VALUES (…), (…)` for `n` turns (rows are inserted, and numbered, in order). */
const INSERT_SQL = Array.from(
  { length: ONE_STATEMENT_TURNS + 1 },
  (_, n) => `INSERT INTO session_turns (session_key, role, text, at, meta) VALUES ${Array.from({ length: n }, () => '(?, ?, ?, ?, ?)').join(', ')}`,
);
const insertSql = (n: number): string => INSERT_SQL[n]!;

export function sessions(r: SqlRunner): SessionStorePort {
  // A few turns (a user turn and its answer) are one statement, atomic by itself: no
  // savepoint around it (two statements fewer per message).
  const insert = (sessionKey: string, turns: readonly SessionTurn[]): void => {
    if (turns.length === 0) return;
    if (turns.length <= ONE_STATEMENT_TURNS) {
      const values: unknown[] = [];
      for (const t of turns) values.push(sessionKey, t.role, t.text, t.at, t.meta);
      r.stmt(insertSql(turns.length)).run(...values);
      return;
    }
    r.atomic(() => {
      const one = r.stmt(insertSql(1));
      for (const t of turns) one.run(sessionKey, t.role, t.text, t.at, t.meta);
    });
  };
  const writeNow = r.writeNow;
  return {
    append: (sessionKey, turns, opts) =>
      r.write('append session turns', () => insert(sessionKey, turns), { applied: opts?.applied === true, single: true }),
    ...(writeNow && {
      appendNow: (sessionKey: string, turns: readonly SessionTurn[]) =>
        writeNow('append session turns', () => insert(sessionKey, turns)) !== NOT_NOW,
    }),
    turns: (sessionKey, limit) =>
      r.read('read session turns', () => {
        const rows =
          limit === undefined
            ? (r.stmt('SELECT role, text, at, meta FROM session_turns WHERE session_key = ? ORDER BY seq').all(sessionKey) as Row[])
            : (r
                .stmt(
                  `SELECT role, text, at, meta FROM (
                     SELECT seq, role, text, at, meta FROM session_turns WHERE session_key = ? ORDER BY seq DESC LIMIT ?
                   ) AS recent ORDER BY seq`,
                )
                .all(sessionKey, keepCount(limit)) as Row[]);
        return rows.map(toTurn);
      }),
    list: () =>
      r.read('list sessions', () =>
        (
          r
            .stmt(
              `SELECT session_key, COUNT(*) AS turns, MAX(at) AS last_at FROM session_turns
               GROUP BY session_key ORDER BY last_at DESC, session_key`,
            )
            .all() as Row[]
        ).map((row): SessionSummary => ({ key: row.session_key as string, turns: Number(row.turns), lastAt: Number(row.last_at) })),
      ),
    clear: (sessionKey) =>
      r.write('clear a session', () => {
        r.stmt('DELETE FROM session_turns WHERE session_key = ?').run(sessionKey);
      }),
  };
}
