import { afterEach, describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import { OWN_LID_DONE, OWN_LID_FAILED, OwnLidSession } from '../../src/whatsapp/own-lid-session.js';

afterEach(() => void vi.useRealTimers());

const silent = () => pino({ level: 'silent' });

describe("Baileys' own-LID work after a login (own-lid-session)", () => {
  it('nothing pending: settled() resolves at once', async () => {
    const s = new OwnLidSession();
    s.started(undefined, '15550000001:5@s.whatsapp.net'); // <success> without a LID starts nothing
    s.started('123@lid', undefined); // nor one before we have an identity
    expect(s.isPending).toBe(false);
    await s.settled(60_000);
  });

  it("settles when Baileys logs the end of the work, even through a silent logger and a child of it", async () => {
    vi.useFakeTimers();
    const s = new OwnLidSession();
    const log = s.watch(silent());
    s.started('123@lid', '15550000001:5@s.whatsapp.net');
    let settled = false;
    void s.settled(60_000).then(() => (settled = true));
    log.info({ myPN: 'x' }, 'Own LID session creating'); // another line ends nothing
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(false);
    log.child({ class: 'socket' }).info({ myPN: 'x', myLID: 'y' }, OWN_LID_DONE);
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(true);
    expect(s.isPending).toBe(false);
  });

  it('a failure ends the work too (logged at error)', async () => {
    const s = new OwnLidSession();
    const log = s.watch(silent());
    s.started('123@lid', '15550000001:5@s.whatsapp.net');
    const waiting = s.settled(60_000);
    log.error({ error: new Error('x') }, OWN_LID_FAILED);
    await waiting;
    expect(s.isPending).toBe(false);
  });

  it('no end line (work never began, or a Baileys that no longer logs it): settled() gives up after maxMs', async () => {
    vi.useFakeTimers();
    const s = new OwnLidSession();
    s.started('123@lid', '15550000001:5@s.whatsapp.net');
    let settled = false;
    void s.settled(3_000).then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(2_999);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(settled).toBe(true);
  });

  it('the watched logger passes lines through at its level and reports that level to Baileys', () => {
    const lines: string[] = [];
    const base = pino({ level: 'warn' }, { write: (l: string) => void lines.push(l) });
    const log = new OwnLidSession().watch(base);
    expect(log.level).toBe('warn');
    log.info({}, 'not shown');
    log.warn({ a: 1 }, 'shown');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ a: 1, msg: 'shown' });
  });
});
