import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRootLogger, dailyLogPath, subLogger } from '../src/log.js';

const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'wagate-log-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function lines(file: string): Record<string, unknown>[] {
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('logging', () => {
  it('writes JSON lines with subsystem and accountId to the daily file, mode 0600', () => {
    const dir = tmp();
    const now = new Date(2026, 10, 24, 12, 0, 0).getTime();
    const root = createRootLogger({ dir, pretty: false, now: () => now });
    subLogger(root.logger, 'whatsapp/inbound', 'work').info({ n: 1 }, 'hello');
    root.close();
    const file = path.join(dir, 'wagate-2026-11-24.log');
    expect(dailyLogPath(dir, now)).toBe(file);
    const [line] = lines(file);
    expect(line).toMatchObject({ subsystem: 'whatsapp/inbound', accountId: 'work', msg: 'hello', n: 1, level: 30 });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('switches to the next day file at local midnight', () => {
    const dir = tmp();
    let now = new Date(2026, 10, 24, 23, 59, 59).getTime();
    const root = createRootLogger({ dir, pretty: false, now: () => now });
    root.logger.info('before midnight');
    now += 2000;
    root.logger.info('after midnight');
    root.close();
    expect(lines(path.join(dir, 'wagate-2026-11-24.log')).map((l) => l.msg)).toEqual(['before midnight']);
    expect(lines(path.join(dir, 'wagate-2026-11-25.log')).map((l) => l.msg)).toEqual(['after midnight']);
  });

  it('honours logging.level and logging.file', () => {
    const file = path.join(tmp(), 'custom.log');
    const root = createRootLogger({ file, level: 'warn', pretty: false });
    root.logger.info('dropped');
    root.logger.warn('kept');
    root.close();
    expect(lines(file).map((l) => l.msg)).toEqual(['kept']);
  });

  it('never writes secrets: tokens and creds are redacted', () => {
    const file = path.join(tmp(), 'secret.log');
    const root = createRootLogger({ file, pretty: false });
    root.logger.info({ token: 'sekrit-token', creds: { noiseKey: 'k' }, gateway: { auth: { token: 'x2' } } }, 'cfg');
    root.close();
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain('sekrit-token');
    expect(text).not.toContain('noiseKey');
    expect(text).toContain('[redacted]');
  });
});
