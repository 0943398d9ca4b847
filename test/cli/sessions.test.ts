import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SessionStore } from '../../src/agents/session-store.js';
import { sessionFileName } from '../../src/agents/session-file-name.js';
import { formatTime } from '../../src/cli/sessions.js';
import { openSqliteStore, storeFile } from '../../src/store/sqlite.js';
import { runCli } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const env = (dir: string) => ({ WAGATE_HOME: dir, HOME: dir });
const MAIN = 'agent:main:main';
const WORK = 'agent:work:whatsapp:group:120363000000000001@g.us';
const T = Date.UTC(2025, 5, 7, 10, 0, 0);

async function seeded(): Promise<string> {
  const dir = tmpDir('cli-sessions');
  const store = await openSqliteStore({ file: storeFile(dir) });
  const s = new SessionStore(store.sessions);
  await s.append(MAIN, { role: 'user', text: 'hi there', at: T, messageId: 'M1', chatJid: '15551234567@s.whatsapp.net', sender: 'Ann (+15551234567)' });
  await s.append(MAIN, { role: 'assistant', text: 'hello\nsecond line', at: T + 1000, chatJid: '15551234567@s.whatsapp.net' });
  await s.append(WORK, { role: 'user', text: 'standup?', at: T + 5000, sender: '+15550000002' });
  await store.close();
  return dir;
}

describe('wagate sessions', () => {
  it('list: key, turns, last used, most recent first; --agent filters; --json', async () => {
    const dir = await seeded();
    const r = await runCli(['sessions', 'list'], env(dir));
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^KEY\s+TURNS\s+LAST USED$/);
    expect(lines[1]).toMatch(new RegExp(`^${WORK.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+1  ${formatTime(T + 5000)}$`));
    expect(lines[2]).toMatch(new RegExp(`^${MAIN}\\s+2  ${formatTime(T + 1000)}$`));
    const work = await runCli(['sessions', 'list', '--agent', 'main'], env(dir));
    expect(work.stdout).toContain(MAIN);
    expect(work.stdout).not.toContain(WORK);
    const json = JSON.parse((await runCli(['sessions', 'list', '--json'], env(dir))).stdout);
    expect(json.sessions).toEqual([
      { key: WORK, turns: 1, lastAt: T + 5000, lastUsed: new Date(T + 5000).toISOString() },
      { key: MAIN, turns: 2, lastAt: T + 1000, lastUsed: new Date(T + 1000).toISOString() },
    ]);
  });

  it('show: a readable transcript (time, role, sender, text); --limit; --json', async () => {
    const dir = await seeded();
    const r = await runCli(['sessions', 'show', MAIN], env(dir));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `${formatTime(T)}  user  Ann (+15551234567)\n    hi there\n\n${formatTime(T + 1000)}  assistant\n    hello\n    second line\n`,
    );
    const last = await runCli(['sessions', 'show', MAIN, '--limit', '1'], env(dir));
    expect(last.stdout).toBe(`(last 1 of 2 turns)\n${formatTime(T + 1000)}  assistant\n    hello\n    second line\n`);
    const json = JSON.parse((await runCli(['sessions', 'show', MAIN, '--json'], env(dir))).stdout);
    expect(json).toMatchObject({ key: MAIN, total: 2, turns: [{ role: 'user', messageId: 'M1', sender: 'Ann (+15551234567)' }, { role: 'assistant' }] });
  });

  it('show: an unknown key or a bad --limit is one clear error line, exit 1', async () => {
    const dir = await seeded();
    const r = await runCli(['sessions', 'show', 'agent:main:nope'], env(dir));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('wagate: No session "agent:main:nope"; see `wagate sessions list`.\n');
    const j = await runCli(['sessions', 'show', 'agent:main:nope', '--json'], env(dir));
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, error: { code: 'WAGATE_ERR_UNKNOWN_SESSION' } });
    expect((await runCli(['sessions', 'show', MAIN, '--limit', '0'], env(dir))).code).toBe(1);
  });

  it('reads while another process holds the store open and writes (WAL)', async () => {
    const dir = await seeded();
    const live = await openSqliteStore({ file: storeFile(dir) });
    try {
      await new SessionStore(live.sessions).append(MAIN, { role: 'user', text: 'while running', at: T + 9000 });
      const r = await runCli(['sessions', 'show', MAIN, '--limit', '1'], env(dir));
      expect(r.stdout).toContain('while running');
    } finally {
      await live.close();
    }
  });

  it('old JSONL session files are imported first, then moved aside', async () => {
    const dir = tmpDir('cli-sessions');
    const sessions = path.join(dir, 'agents', 'main', 'sessions');
    fs.mkdirSync(sessions, { recursive: true });
    fs.writeFileSync(path.join(sessions, sessionFileName(MAIN)), `${JSON.stringify({ role: 'user', text: 'from a file', at: T })}\n{"role":`);
    const r = await runCli(['sessions', 'list'], env(dir));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(MAIN);
    expect(r.stderr).toContain('skipped 1 unreadable line');
    expect(r.stderr).toContain('imported 1 old session file');
    expect(fs.readdirSync(sessions)).toEqual([expect.stringMatching(/^agent%3Amain%3Amain\.jsonl\.imported-\d{8}$/)]);
    expect((await runCli(['sessions', 'show', MAIN], env(dir))).stdout).toContain('from a file');
  });

  it('no sessions yet', async () => {
    const r = await runCli(['sessions', 'list'], env(tmpDir('cli-sessions')));
    expect(r.stdout).toBe('No sessions yet.\n');
  });
});
