/**
 * The gateway's stop, phase by phase: each phase is timed and logged (`stop phase`,
 * debug; a slow one at info), and bounded — a phase still running after its bound is
 * left behind with a warning and the stop goes on, so no socket, client, handler or
 * write that never settles can hold the process (issue 13 item 3: the stop is
 * bounded by `gateway.drainSeconds` plus a small fixed margin).
 */
import type { Logger } from 'pino';

/** A phase slower than this is logged at info (else debug). */
const SLOW_PHASE_MS = 250;

/**
 * Each phase's bound (ms). The sockets' bound covers the transport's own bounded waits
 * (the stanzas Baileys is still handing over, ≤1 s; its own-LID key writes and the
 * close report, ≤4 s). Every phase after the drain also shares one budget,
 * `STOP_MARGIN_MS`: the whole stop ends within gateway.drainSeconds + that margin
 * (the drain is bounded by gateway.drainSeconds itself).
 */
export const STOP_BOUNDS = {
  /** The actors' own stops (the access policy finishes the decisions it started, the runner its aborts). */
  actorsMs: 3_000,
  socketsMs: 6_000,
  controlMs: 1_000,
  busMs: 2_000,
  writesMs: 2_000,
  storeMs: 2_000,
} as const;

export type StopBounds = { [K in keyof typeof STOP_BOUNDS]: number };

/** What the phases after the drain may take together. */
export const STOP_MARGIN_MS = 10_000;
/** A phase gets at least this long, even once the margin is spent (the store's close, the last one, should get its chance). */
const MIN_PHASE_MS = 100;

export interface PhaseRecord {
  phase: string;
  ms: number;
  /** True when the phase was left behind at its bound. */
  timedOut: boolean;
}

export class StopPhases {
  readonly done: PhaseRecord[] = [];
  private readonly started = performance.now();
  private budgetEnd = Infinity;

  constructor(
    private readonly log: Pick<Logger, 'debug' | 'info' | 'warn'>,
    /** The phases' bounds and shared margin (tests shorten them). */
    readonly bounds: StopBounds & { marginMs: number } = { ...STOP_BOUNDS, marginMs: STOP_MARGIN_MS },
  ) {}

  /**
   * Run one phase: `fn` settles or `boundMs` passes (real time), whichever comes first
   * (a phase left behind keeps running, unobserved; its failure is logged). A phase
   * that throws is logged and the stop goes on. `Infinity`: a phase bounded by itself
   * (the drain, on the gateway's injected timers), only timed.
   */
  async run(phase: string, boundMs: number, fn: () => unknown): Promise<void> {
    const t0 = performance.now();
    boundMs = Math.min(boundMs, Math.max(MIN_PHASE_MS, Math.round(this.budgetEnd - t0)));
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<'timeout'>((resolve) => {
      if (Number.isFinite(boundMs)) timer = setTimeout(() => resolve('timeout'), boundMs).unref();
    });
    const work = (async () => fn())().then(
      () => 'done' as const,
      (err: unknown) => {
        this.log.warn({ phase, err }, 'a stop phase failed; the stop goes on');
        return 'done' as const;
      },
    );
    const outcome = await Promise.race([work, bound]);
    clearTimeout(timer);
    const ms = Math.round(performance.now() - t0);
    const timedOut = outcome === 'timeout';
    this.done.push({ phase, ms, timedOut });
    if (timedOut) this.log.warn({ phase, ms, boundMs }, 'a stop phase did not finish within its bound; left behind, the stop goes on');
    else if (ms >= SLOW_PHASE_MS) this.log.info({ phase, ms }, 'stop phase');
    else this.log.debug({ phase, ms }, 'stop phase');
  }

  /** From now on the phases share the margin between them (each still within its own bound). */
  startMargin(): void {
    this.budgetEnd = performance.now() + this.bounds.marginMs;
  }

  /** Milliseconds since the stop began. */
  elapsed(): number {
    return Math.round(performance.now() - this.started);
  }
}
