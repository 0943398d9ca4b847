/**
 * fast-check properties: random command sequences run against the machine (on a
 * simulated clock) and against the reference model, side by side.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { ACCOUNT_STATES, normalizeReconnectPolicy, type ReconnectPolicy } from '../../machines/index.js';
import { CREDS_ERROR, IDENTITY, T0, startAccount, type Harness } from './harness.js';
import { ReferenceModel, specDelay, type Command } from './reference-model.js';

// Events sent after STOP reach a done actor; xstate warns about each one.
beforeEach(() => {
  vi.spyOn(console, 'warn').mockImplementation(() => {});
});

const SPECIAL_CODES = [0, 401, 402, 403, 405, 406, 408, 428, 440, 500, 503, 515];
const closeCode = fc.oneof(fc.constantFrom(...SPECIAL_CODES), fc.integer({ min: -1, max: 5000 }));

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<Command>({ kind: 'START' }, { kind: 'LOGIN' }, { kind: 'QR' }) },
  { weight: 1, arbitrary: fc.constantFrom<Command>({ kind: 'START-unreadable' }, { kind: 'CLOSE-failed' }, { kind: 'CLOSE-stalled' }) },
  { weight: 4, arbitrary: fc.constant<Command>({ kind: 'OPEN' }) },
  { weight: 8, arbitrary: closeCode.map((code): Command => ({ kind: 'CLOSE', code })) },
  { weight: 5, arbitrary: fc.constant<Command>({ kind: 'retry-timer' }) },
  { weight: 2, arbitrary: fc.constant<Command>({ kind: 'stable' }) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 120_000 }).map((ms): Command => ({ kind: 'time', ms })) },
  { weight: 2, arbitrary: fc.constantFrom<Command>({ kind: 'RECONNECT' }, { kind: 'RECONNECT' }, { kind: 'LOGOUT' }) },
);

const rawPolicy = fc.record({
  initialMs: fc.integer({ min: 0, max: 5000 }),
  maxMs: fc.integer({ min: 0, max: 60_000 }),
  factor: fc.double({ min: 0.5, max: 12, noNaN: true }),
  // fast-check's doubles cluster at the edges; mix edges with evenly spread values.
  jitter: fc.oneof(fc.constantFrom(-0.5, 0, 1, 1.5), fc.integer({ min: 1, max: 99 }).map((n) => n / 100)),
  maxAttempts: fc.integer({ min: 0, max: 5 }),
});

const scenario = fc.record({
  raw: rawPolicy,
  hasCreds: fc.boolean(),
  heartbeatSeconds: fc.integer({ min: 1, max: 120 }),
  draws: fc.array(
    fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 9999 }).map((n) => n / 10_000)),
    { minLength: 1, maxLength: 20 },
  ),
  // Always START first (as the runtime does), then a long random sequence with at
  // most one STOP somewhere (often none, so the rest of the machine gets exercised).
  commands: fc
    .tuple(fc.array(command, { minLength: 5, maxLength: 80, size: 'max' }), fc.nat({ max: 160 }))
    .map(([cmds, stopAt]): Command[] => {
      const all: Command[] = [{ kind: 'START' }, ...cmds];
      if (stopAt < all.length) all.splice(stopAt, 0, { kind: 'STOP' });
      return all;
    }),
});

function apply(h: Harness, cmd: Command): void {
  switch (cmd.kind) {
    case 'START':
      return h.send({ type: 'START', linked: h.hasCreds });
    case 'START-unreadable':
      return h.send({ type: 'START', error: CREDS_ERROR });
    case 'CLOSE':
      return h.send({ type: 'CLOSE', code: cmd.code, reason: 'prop' });
    case 'CLOSE-failed':
      return h.send({ type: 'CLOSE', code: null, reason: 'prop', error: CREDS_ERROR });
    case 'CLOSE-stalled':
      return h.send({ type: 'CLOSE', code: null, reason: 'prop', stalled: true });
    case 'OPEN':
      return h.send({ type: 'OPEN', identity: IDENTITY });
    case 'QR':
      return h.send({ type: 'QR', qr: 'ref' });
    case 'retry-timer': {
      const at = h.ctx().nextRetryAt;
      if (at !== null) h.advance(at - h.now());
      return;
    }
    case 'stable':
      if (h.value() === 'connected') h.advance(h.ctx().heartbeatSeconds * 1000);
      return;
    case 'time':
      return h.advance(cmd.ms);
    default:
      return h.send({ type: cmd.kind });
  }
}

interface Observer {
  /** Called after each command with the state before it. */
  (h: Harness, cmd: Command, before: { value: string; attempt: number; pending: number }): void;
}

/** Run a scenario on machine and model; compare after every command. */
function runScenario(
  sc: { raw: Partial<ReconnectPolicy>; hasCreds: boolean; heartbeatSeconds: number; draws: number[]; commands: Command[] },
  observe?: Observer,
): Harness {
  const h = startAccount({ hasCreds: sc.hasCreds, reconnect: sc.raw, heartbeatSeconds: sc.heartbeatSeconds, draws: sc.draws, start: false });
  const policy = normalizeReconnectPolicy(sc.raw);
  const model = new ReferenceModel(policy, sc.heartbeatSeconds * 1000, sc.hasCreds, T0);
  try {
    for (const cmd of sc.commands) {
      const before = { value: h.value(), attempt: h.ctx().attempt, pending: h.clock.pending.size };
      apply(h, cmd);
      model.apply(cmd, () => h.drawn[h.drawn.length - 1] ?? NaN);
      const c = h.ctx();
      expect({ value: h.value(), attempt: c.attempt, linked: c.linked, nextRetryAt: c.nextRetryAt, error: c.error?.code ?? null }).toEqual({
        value: model.s.value,
        attempt: model.s.attempt,
        linked: model.s.linked,
        nextRetryAt: model.s.retryAt,
        error: model.s.error,
      });
      expect(h.opens).toEqual(model.s.opens);
      expect(h.closes).toBe(model.s.closes);
      // A socket is open exactly while the account is in linking/connecting/connected.
      expect(h.opens.length - h.closes).toBe(['linking', 'connecting', 'connected'].includes(h.value()) ? 1 : 0);
      expect(h.drawn.length).toBe(model.s.draws);
      expect(h.now()).toBe(model.s.now);
      observe?.(h, cmd, before);
    }
    return h;
  } finally {
    h.actor.stop();
  }
}

describe('account machine properties', () => {
  it('agrees with the reference model on every step', () => {
    const seen = new Map<string, number>();
    const count = (h: Harness): void => void seen.set(h.value(), (seen.get(h.value()) ?? 0) + 1);
    fc.assert(fc.property(scenario, (sc) => void runScenario(sc, count)), { numRuns: 300 });
    // The generator must actually exercise every state, or the comparison proves little.
    for (const state of ACCOUNT_STATES) expect(seen.get(state) ?? 0).toBeGreaterThan(50);
  });

  it('every delay lies within [initialMs, maxMs] and follows the formula for its attempt and draw', () => {
    fc.assert(
      fc.property(scenario, (sc) => {
        const p = normalizeReconnectPolicy(sc.raw);
        runScenario(sc, (h, _cmd, before) => {
          const c = h.ctx();
          if (h.value() !== 'backing-off' || before.value === 'backing-off') return;
          const r = h.drawn[h.drawn.length - 1]!;
          expect(c.retryDelayMs).toBe(specDelay(p, c.attempt, r));
          expect(c.retryDelayMs).toBeGreaterThanOrEqual(p.initialMs);
          expect(c.retryDelayMs).toBeLessThanOrEqual(p.maxMs);
          expect(c.nextRetryAt).toBe(h.now() + c.retryDelayMs!);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('without jitter the delays of a failure streak never decrease and stop at maxMs', () => {
    fc.assert(
      fc.property(scenario, (sc) => {
        const p = normalizeReconnectPolicy({ ...sc.raw, jitter: 0 });
        let last = 0;
        runScenario({ ...sc, raw: { ...sc.raw, jitter: 0 } }, (h, _cmd, before) => {
          const c = h.ctx();
          if (c.attempt === 0) last = 0;
          if (h.value() !== 'backing-off' || before.value === 'backing-off') return;
          expect(c.retryDelayMs!).toBeGreaterThanOrEqual(last);
          if (last === p.maxMs) expect(c.retryDelayMs).toBe(p.maxMs);
          last = c.retryDelayMs!;
        });
      }),
      { numRuns: 200 },
    );
  });

  it('401, 403 and 440 never schedule a retry; 515 is never counted', () => {
    fc.assert(
      fc.property(scenario, (sc) => {
        runScenario(sc, (h, cmd, before) => {
          if (cmd.kind !== 'CLOSE' || !['linking', 'connecting', 'connected'].includes(before.value)) return;
          if ([401, 403, 440].includes(cmd.code)) {
            expect(['logged-out', 'degraded']).toContain(h.value());
            expect(h.clock.pending.size).toBe(0);
            expect(h.ctx().nextRetryAt).toBeNull();
          }
          if (cmd.code === 515) {
            expect(h.value()).toBe('connecting');
            expect(h.ctx().attempt).toBe(before.attempt);
          }
        });
      }),
      { numRuns: 200 },
    );
  });

  it('schedules exactly maxAttempts retries in a row, then gives up (0 = never)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 8 }),
        fc.array(fc.constantFrom(408, 428, 500, 503, 1006), { minLength: 20, maxLength: 20 }),
        (maxAttempts, codes) => {
          const h = startAccount({ reconnect: { maxAttempts } });
          let retries = 0;
          for (const code of codes) {
            h.send({ type: 'CLOSE', code, reason: 'down' });
            if (h.value() !== 'backing-off') break;
            retries += 1;
            h.advance(h.ctx().retryDelayMs!);
          }
          expect(retries).toBe(maxAttempts === 0 ? codes.length : maxAttempts);
          expect(h.value()).toBe(maxAttempts === 0 ? 'connecting' : 'degraded');
          if (maxAttempts > 0) expect(h.ctx().error?.code).toBe('WAGATE_ERR_GAVE_UP');
          h.actor.stop();
        },
      ),
    );
  });

  it('a stable connection resets the attempts, a short one does not', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 120 }), (failures, hb) => {
        const h = startAccount({ reconnect: { maxAttempts: 0 }, heartbeatSeconds: hb });
        for (let i = 0; i < failures; i++) {
          h.send({ type: 'CLOSE', code: 428, reason: 'down' });
          h.advance(h.ctx().retryDelayMs!);
        }
        h.send({ type: 'OPEN', identity: IDENTITY });
        h.advance(hb * 1000 - 1);
        expect(h.ctx().attempt).toBe(failures);
        h.advance(1);
        expect(h.ctx().attempt).toBe(0);
        h.actor.stop();
      }),
    );
  });

  it('after STOP no timer is pending and nothing ever opens again', () => {
    fc.assert(
      fc.property(scenario, fc.array(command, { maxLength: 20 }), (sc, after) => {
        const stopped = { ...sc, commands: [...sc.commands, { kind: 'STOP' } as Command] };
        const h = startAccount({ hasCreds: sc.hasCreds, reconnect: sc.raw, heartbeatSeconds: sc.heartbeatSeconds, draws: sc.draws, start: false });
        for (const cmd of stopped.commands) apply(h, cmd);
        expect(h.value()).toBe('stopped');
        expect(h.clock.pending.size).toBe(0);
        const opens = h.opens.length;
        for (const cmd of after) apply(h, cmd);
        h.advance(7 * 24 * 3600_000);
        expect(h.opens.length).toBe(opens);
        expect(h.value()).toBe('stopped');
        h.actor.stop();
      }),
      { numRuns: 200 },
    );
  });
});
