/**
 * When each account was last connected, kept across gateway restarts in
 * `<state>/whatsapp-connections.json` (0600, atomic). Offline catch-up needs it:
 * a message written while the gateway restarted was sent "after the account was
 * last connected" and must still be answered (SPEC §5).
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../config/index.js';

interface Entry {
  /** Last moment the account was seen connected (refreshed while connected). */
  lastConnectedAt: number | null;
  /** When its last connection closed; null if it was still open when recorded. */
  lastDisconnectedAt: number | null;
}

export class ConnectionHistory {
  private readonly file: string;
  private data: Record<string, Entry> = {};
  private writing: Promise<void> = Promise.resolve();

  constructor(stateDir: string) {
    this.file = path.join(stateDir, 'whatsapp-connections.json');
    try {
      const parsed = JSON.parse(fs.readFileSync(this.file, 'utf8')) as unknown;
      if (parsed && typeof parsed === 'object') this.data = parsed as Record<string, Entry>;
    } catch {
      this.data = {}; // absent or damaged: no catch-up window from a previous run
    }
  }

  /** What the previous run left: the best estimate of when the account went away. */
  previousDisconnect(accountId: string): number | null {
    const e = this.data[accountId];
    return e ? (e.lastDisconnectedAt ?? e.lastConnectedAt ?? null) : null;
  }

  connected(accountId: string, at: number): Promise<void> {
    this.data[accountId] = { lastConnectedAt: at, lastDisconnectedAt: null };
    return this.save();
  }

  disconnected(accountId: string, at: number): Promise<void> {
    const prev = this.data[accountId];
    this.data[accountId] = { lastConnectedAt: prev?.lastConnectedAt ?? at, lastDisconnectedAt: at };
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
