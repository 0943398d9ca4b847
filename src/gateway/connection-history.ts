/**
 * When each account was linked and when it was last known connected, kept across
 * gateway runs in `<state>/whatsapp-connections.json` (0600, atomic). Offline
 * catch-up (SPEC §5) needs both: a message written while the gateway was stopped,
 * restarting, or not yet started after `wagate channels login` was sent after the
 * account was last connected and must still be answered.
 *
 * What an earlier run (or the in-process login) left is read once, at construction,
 * and never replaced by this run's own connections: this run's first connection must
 * not move its own catch-up window to "now".
 */
import fs from 'node:fs';
import type { Bus } from '../bus/bus.js';
import { writeFileAtomic } from '../config/index.js';
import { connectionHistoryFile } from '../state-layout.js';

interface Entry {
  /** When the account was linked (the pair-success restart after a QR scan). */
  linkedAt?: number | null;
  /** The last moment the account was known connected (connect, every heartbeat, disconnect, clean stop). */
  lastConnectedAt?: number | null;
  /** Written by earlier versions: when the last connection closed. */
  lastDisconnectedAt?: number | null;
}

export class ConnectionHistory {
  private readonly file: string;
  private data: Record<string, Entry> = {};
  /** `lastConnectedAt` as the earlier run left it, per account. */
  private readonly previous = new Map<string, number>();
  private writing: Promise<void> = Promise.resolve();

  constructor(stateDir: string) {
    this.file = connectionHistoryFile(stateDir);
    try {
      const parsed = JSON.parse(fs.readFileSync(this.file, 'utf8')) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) this.data = parsed as Record<string, Entry>;
    } catch {
      this.data = {}; // absent or damaged: nothing known from an earlier run
    }
    for (const [id, e] of Object.entries(this.data)) {
      const last = latest(num(e?.lastConnectedAt), num(e?.lastDisconnectedAt));
      if (last !== null) this.previous.set(id, last);
    }
  }

  /** When the account was linked, if known. */
  linkedAt(accountId: string): number | null {
    return num(this.data[accountId]?.linkedAt);
  }

  /** The last moment the account was known connected in an earlier run (or the login), if known. */
  previousRunLastConnected(accountId: string): number | null {
    return this.previous.get(accountId) ?? null;
  }

  /** The account was (re)linked now: nothing from before this moment is a catch-up message. */
  linked(accountId: string, at: number): Promise<void> {
    this.data[accountId] = { linkedAt: at, lastConnectedAt: at };
    this.previous.delete(accountId);
    return this.save();
  }

  /** The account is (or was, until `at`) connected. */
  seen(accountId: string, at: number): Promise<void> {
    const prev = this.data[accountId];
    this.data[accountId] = { linkedAt: num(prev?.linkedAt), lastConnectedAt: at };
    return this.save();
  }

  flush(): Promise<void> {
    return this.writing;
  }

  private save(): Promise<void> {
    const text = `${JSON.stringify(this.data)}\n`;
    this.writing = this.writing.then(() => writeFileAtomic(this.file, text, 0o600)).catch(() => undefined);
    return this.writing;
  }
}

/**
 * Keep `history` current from the account events on `bus`: linked on the
 * pair-success restart (`linking → connecting`), seen on connect, every heartbeat
 * and disconnect. Returns the unsubscribe. Used by the gateway and the in-process login.
 */
export function recordConnectionHistory(bus: Bus, history: ConnectionHistory): () => void {
  const offs = [
    bus.on('account.state.changed', (ev) => {
      if (ev.from === 'linking' && ev.to === 'connecting') void history.linked(ev.accountId, ev.at);
    }),
    bus.on('account.connected', (ev) => void history.seen(ev.accountId, ev.at)),
    bus.on('account.heartbeat', (ev) => void history.seen(ev.accountId, ev.at)),
    bus.on('account.disconnected', (ev) => void history.seen(ev.accountId, ev.at)),
  ];
  return () => offs.forEach((off) => off());
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function latest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}
