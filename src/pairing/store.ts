/**
 * The pairing store (SPEC §5): pending pairing requests and approved senders, kept in
 * the store (`store.pairing`, SPEC §12) and shared by the gateway (issues codes, checks
 * approvals) and `wagate pairing` (lists, approves) with no IPC: both read the store
 * fresh on every call.
 *
 * Rules: codes expire after `ttlMs` (1 hour); at most `maxPending` (3) unexpired
 * requests for the channel, so a 4th unknown sender gets no code; a sender with
 * an unexpired request gets no second code; approving is case-insensitive and
 * moves the sender from the requests to the approved list.
 *
 * Concurrency: every read-modify-write is one store transaction. With SQLite that is
 * `BEGIN IMMEDIATE` on the one `wagate.db` (WAL): a CLI approval and a gateway request
 * in two processes are serialized by the database, never lost. No lock file.
 *
 * The file layout (`credentials/whatsapp-pairing.json`, `whatsapp-allowFrom.json`) is
 * imported once (`import-files.ts`, run by state-import.ts).
 */
import { WagateError } from '../errors.js';
import type { PairingRequestRow, Store } from '../store/port.js';
import { cryptoRandomBytes, generateCode, normalizeCode, type RandomBytes } from './code.js';
import { normalizeSender } from '../whatsapp/address.js';

/** A pending request: `sender` is E.164 (`+15551234567`) or a LID JID when unresolved. */
export type PairingRequest = PairingRequestRow;

export const PAIRING_TTL_MS = 60 * 60 * 1000;
export const MAX_PENDING = 3;

export interface PairingStoreOptions {
  store: Store;
  now?: () => number;
  random?: RandomBytes;
  ttlMs?: number;
  maxPending?: number;
}

export type RequestCodeResult =
  /** A new code was issued: send it to the sender. */
  | { status: 'created'; code: string; expiresAt: number }
  /** The sender already has an unexpired code: send nothing. */
  | { status: 'pending'; code: string; expiresAt: number }
  /** `maxPending` requests are open: no code, no reply. */
  | { status: 'full' }
  /** The sender was approved meanwhile (e.g. by the CLI): no code needed. */
  | { status: 'approved' };

export interface ApproveResult {
  sender: string;
  accountId: string;
  code: string;
}

export interface PairingStore {
  /** Where the requests live (the store's location), for summaries. */
  readonly location: string;
  requestCode(sender: string, accountId: string, meta?: { name?: string | null }): Promise<RequestCodeResult>;
  /** Approve by code (any case); unknown, expired or malformed → WAGATE_ERR_PAIRING_CODE. */
  approve(code: string): Promise<ApproveResult>;
  /** Drop a pending request by code (any case), approving nobody; unknown or expired → WAGATE_ERR_PAIRING_CODE. */
  reject(code: string): Promise<ApproveResult>;
  /** Unexpired requests, oldest first. */
  list(): Promise<PairingRequest[]>;
  /** Approved senders, normalized (`normalizeSender`), in approval order. */
  approvedSenders(): Promise<string[]>;
  isApproved(sender: string): Promise<boolean>;
}

export function createPairingStore(opts: PairingStoreOptions): PairingStore {
  const { store } = opts;
  const now = opts.now ?? Date.now;
  const random = opts.random ?? cryptoRandomBytes;
  const ttlMs = opts.ttlMs ?? PAIRING_TTL_MS;
  const maxPending = opts.maxPending ?? MAX_PENDING;

  const freshCode = (taken: Set<string>): string => {
    for (let i = 0; i < 100; i++) {
      const code = generateCode(random);
      if (!taken.has(code)) return code;
    }
    throw new Error('could not draw an unused pairing code in 100 attempts (broken random source?)');
  };

  return {
    location: store.location,

    requestCode(rawSender, accountId, meta) {
      const sender = normalizeSender(rawSender);
      return store.transaction(async (tx): Promise<RequestCodeResult> => {
        const at = now();
        if (await tx.pairing.isApproved(sender)) return { status: 'approved' };
        await tx.pairing.removeExpired(at);
        const pending = await tx.pairing.requests();
        const mine = pending.find((r) => r.sender === sender);
        if (mine) return { status: 'pending', code: mine.code, expiresAt: mine.expiresAt };
        if (pending.length >= maxPending) return { status: 'full' };
        const code = freshCode(new Set(pending.map((r) => r.code)));
        const request: PairingRequest = { code, sender, accountId, createdAt: at, expiresAt: at + ttlMs };
        if (meta?.name) request.name = meta.name;
        await tx.pairing.addRequest(request);
        return { status: 'created', code, expiresAt: request.expiresAt };
      });
    },

    async approve(input) {
      const code = normalizeCode(input);
      if (!code) {
        throw new WagateError('WAGATE_ERR_PAIRING_CODE', `"${input}" is not a pairing code (8 letters and digits, e.g. ABCD2345).`);
      }
      // The outcome is returned, not thrown, so that removing expired requests commits.
      const out = await store.transaction(async (tx) => {
        const at = now();
        const request = (await tx.pairing.requests()).find((r) => r.code === code);
        await tx.pairing.removeExpired(at);
        if (!request) return 'unknown' as const;
        if (request.expiresAt <= at) return 'expired' as const;
        await tx.pairing.approve(request.sender, at);
        await tx.pairing.removeRequest(code);
        return request;
      });
      if (out === 'unknown') throw new WagateError('WAGATE_ERR_PAIRING_CODE', `No pending pairing request has the code ${code}.`);
      if (out === 'expired') {
        throw new WagateError('WAGATE_ERR_PAIRING_CODE', `The pairing code ${code} has expired; ask the sender to write again for a new one.`);
      }
      return { sender: out.sender, accountId: out.accountId, code };
    },

    async reject(input) {
      const code = normalizeCode(input);
      if (!code) {
        throw new WagateError('WAGATE_ERR_PAIRING_CODE', `"${input}" is not a pairing code (8 letters and digits, e.g. ABCD2345).`);
      }
      const out = await store.transaction(async (tx) => {
        const at = now();
        const request = (await tx.pairing.requests()).find((r) => r.code === code && r.expiresAt > at);
        await tx.pairing.removeExpired(at);
        if (!request) return null;
        await tx.pairing.removeRequest(code);
        return request;
      });
      if (!out) throw new WagateError('WAGATE_ERR_PAIRING_CODE', `No pending pairing request has the code ${code}.`);
      return { sender: out.sender, accountId: out.accountId, code };
    },

    async list() {
      const at = now();
      return (await store.pairing.requests()).filter((r) => r.expiresAt > at).sort((a, b) => a.createdAt - b.createdAt);
    },

    approvedSenders() {
      return store.pairing.approved();
    },

    isApproved(sender) {
      return store.pairing.isApproved(normalizeSender(sender));
    },
  };
}
