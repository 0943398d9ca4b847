/**
 * What the chaos test checks, at the contacts' phones (the simulator's view):
 * - every message an approved contact sent (the account linked, inside the catch-up
 *   window: the whole run is) got exactly one reply;
 * - each chat's replies came in its messages' order;
 * - an unknown sender got exactly one pairing code, whatever it wrote, and no agent reply;
 * - `wagate messages audit` reports 0 unexplained entries (see AUDIT).
 * Each violation names the faults of the schedule around the message (since its chat's
 * previous message, up to its next one): a loss is usually caused by the fault after it.
 */
import { runCli } from '../helpers/cli.js';
import type { SimContact } from '../../src/sim/index.js';
import { formatStep, type Step } from './schedule.js';

export interface Sent {
  contact: number;
  /** The message's number within its contact's messages (1, 2, …). */
  n: number;
  token: string;
  /** Index of the schedule step that sent it. */
  step: number;
  stranger: boolean;
  /** Whether the gateway process was running when it was sent. */
  gatewayUp: boolean;
}

export type ViolationKind = 'no-reply' | 'duplicate-reply' | 'out-of-order' | 'pairing-code-count' | 'agent-reply-to-stranger' | 'audit'
  /** Cluster mode: the simulator replaced an account's live connection (two nodes connected at once, a 440). */
  | 'replaced';

export interface Violation {
  kind: ViolationKind;
  detail: string;
  /** The faults applied around the message concerned (since its chat's previous message, up to its next), in order. */
  faults: string[];
}

export interface AuditResult {
  unexplained: number;
  detail: string;
}

/** The `wagate messages audit` check (the inbound ledger must report 0 unexplained entries). */
export type AuditCheck = (env: Record<string, string>) => Promise<AuditResult>;

/** `wagate messages audit --json` against the running gateway; a missing command is a failure, not a pass. */
export const auditWithCli: AuditCheck = async (env) => {
  const res = await runCli(['messages', 'audit', '--json'], env);
  if (res.code !== 0) return { unexplained: Number.NaN, detail: `\`wagate messages audit --json\` failed (${res.code}): ${res.stderr.trim()}` };
  const out = JSON.parse(res.stdout) as { unexplained?: unknown[] | number };
  const unexplained = Array.isArray(out.unexplained) ? out.unexplained.length : Number(out.unexplained);
  return { unexplained, detail: res.stdout.trim() };
};

export const AUDIT: AuditCheck | null = auditWithCli;

const PAIRING = /Pairing code: [A-Z0-9]{8}/;
const REPLY = /^re (m:c\d+:\d+)$/;

function textOf(m: { message: { conversation?: string | null; extendedTextMessage?: { text?: string | null } | null } }): string {
  return m.message.conversation ?? m.message.extendedTextMessage?.text ?? '';
}

export function checkInvariants(run: {
  sent: Sent[];
  contacts: SimContact[];
  strangersFrom: number;
  schedule: Step[];
  audit: AuditResult | null;
}): Violation[] {
  const out: Violation[] = [];
  const faultsBefore = (step: number, from = 0) =>
    run.schedule
      .slice(from, step)
      .map((s, i) => [from + i, s] as const)
      .filter(([, s]) => s.kind !== 'send')
      .map(([i, s]) => `${i}:${formatStep(s)}`);
  run.contacts.forEach((c, ci) => {
    const mine = run.sent.filter((s) => s.contact === ci);
    if (mine.length === 0) return;
    const texts = c.inbox.map(textOf);
    if (ci >= run.strangersFrom) {
      const codes = texts.filter((t) => PAIRING.test(t)).length;
      if (codes !== 1) out.push({ kind: 'pairing-code-count', detail: `stranger contact#${ci} wrote ${mine.length} message(s), got ${codes} pairing codes`, faults: faultsBefore(run.schedule.length, mine[0]!.step) });
      const agentReplies = texts.filter((t) => REPLY.test(t));
      if (agentReplies.length > 0) out.push({ kind: 'agent-reply-to-stranger', detail: `stranger contact#${ci} got ${agentReplies.join(', ')}`, faults: [] });
      return;
    }
    const replies = texts.map((t) => REPLY.exec(t)?.[1]).filter((t): t is string => Boolean(t));
    for (const s of mine) {
      const count = replies.filter((r) => r === s.token).length;
      // The faults around the message: since its chat's previous message, up to its chat's next one.
      const prev = mine.find((p) => p.n === s.n - 1);
      const next = mine.find((p) => p.n === s.n + 1);
      const faults = faultsBefore(next ? next.step : run.schedule.length, prev ? prev.step : 0);
      if (count === 0) out.push({ kind: 'no-reply', detail: `${s.token} (step ${s.step}${s.gatewayUp ? '' : ', sent while the gateway was down'}) got no reply`, faults });
      if (count > 1) out.push({ kind: 'duplicate-reply', detail: `${s.token} (step ${s.step}) got ${count} replies`, faults });
    }
    // Order: the first reply to each message, in the order they arrived.
    const firsts = replies.filter((r, i) => replies.indexOf(r) === i).map((r) => Number(r.split(':')[2]));
    for (let i = 1; i < firsts.length; i++) {
      if (firsts[i]! < firsts[i - 1]!) {
        const s = mine.find((m) => m.n === firsts[i - 1]);
        out.push({ kind: 'out-of-order', detail: `contact#${ci}: replies came as ${firsts.join(',')}`, faults: faultsBefore(run.schedule.length, s?.step ?? 0) });
        break;
      }
    }
  });
  if (run.audit && !(run.audit.unexplained === 0)) out.push({ kind: 'audit', detail: `messages audit: ${run.audit.unexplained} unexplained — ${run.audit.detail}`, faults: [] });
  return out;
}
