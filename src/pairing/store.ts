/**
 * The pairing store (SPEC §5): pending pairing requests and approved senders,
 * shared by the gateway (issues codes, checks approvals) and `wagate pairing`
 * (lists, approves) with no IPC: both read the files fresh on every call.
 *
 * Rules: codes expire after `ttlMs` (1 hour); at most `maxPending` (3) unexpired
 * requests for the channel, so a 4th unknown sender gets no code; a sender with
 * an unexpired request gets no second code; approving is case-insensitive and
 * moves the sender from the requests to the approved list.
 *
 * Concurrency: every read-modify-write runs under one lock file beside the store
 * (`file-lock.ts`: cross-process, queued within a process) and re-reads both files
 * inside the lock, so a CLI approval and a gateway request never lose each other's
 * update. Plain reads take no lock (files are replaced atomically).
 */
import { WagateError } from '../errors.js';
import { cryptoRandomBytes, generateCode, normalizeCode, type RandomBytes } from './code.js';
import { withFileLock, type FileLockOptions } from './file-lock.js';
import {
  ensureDir,
  readAllowFrom,
  readPending,
  storePaths,
  writeAllowFrom,
  writePending,
  type PairingRequest,
  type StorePaths,
} from './files.js';
import { normalizeSender } from '../whatsapp/address.js';

export type { PairingRequest } from './files.js';

export const PAIRING_TTL_MS = 60 * 60 * 1000;
export const MAX_PENDING = 3;

export interface PairingStoreOptions {
  /** `<state>`: the files live in `<state>/credentials/`. */
  stateDir: string;
  now?: () => number;
  random?: RandomBytes;
  ttlMs?: number;
  maxPending?: number;
  lock?: FileLockOptions;
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
  readonly paths: StorePaths;
  requestCode(sender: string, accountId: string, meta?: { name?: string | null }): Promise<RequestCodeResult>;
  /** Approve by code (any case); unknown, expired or malformed → WAGATE_ERR_PAIRING_CODE. */
  approve(code: string): Promise<ApproveResult>;
  /** Unexpired requests, oldest first. */
  list(): Promise<PairingRequest[]>;
  /** Approved senders, normalized (`normalizeSender`). */
  approvedSenders(): Promise<string[]>;
  isApproved(sender: string): Promise<boolean>;
}

export function createPairingStore(opts: PairingStoreOptions): PairingStore {
  const paths = storePaths(opts.stateDir);
  const now = opts.now ?? Date.now;
  const random = opts.random ?? cryptoRandomBytes;
  const ttlMs = opts.ttlMs ?? PAIRING_TTL_MS;
  const maxPending = opts.maxPending ?? MAX_PENDING;

  const live = (requests: PairingRequest[], at: number) => requests.filter((r) => r.expiresAt > at);

  const locked = async <T>(job: () => Promise<T>): Promise<T> => {
    await ensureDir(paths);
    return withFileLock(paths.lock, job, opts.lock);
  };

  const freshCode = (taken: Set<string>): string => {
    for (let i = 0; i < 100; i++) {
      const code = generateCode(random);
      if (!taken.has(code)) return code;
    }
    throw new Error('could not draw an unused pairing code in 100 attempts (broken random source?)');
  };

  return {
    paths,

    requestCode(rawSender, accountId, meta) {
      const sender = normalizeSender(rawSender);
      return locked(async () => {
        const at = now();
        if ((await readAllowFrom(paths)).map(normalizeSender).includes(sender)) return { status: 'approved' };
        const all = await readPending(paths);
        const pending = live(all, at);
        const mine = pending.find((r) => r.sender === sender);
        if (mine) return { status: 'pending', code: mine.code, expiresAt: mine.expiresAt };
        if (pending.length >= maxPending) {
          if (pending.length !== all.length) await writePending(paths, pending);
          return { status: 'full' };
        }
        const code = freshCode(new Set(all.map((r) => r.code)));
        const request: PairingRequest = { code, sender, accountId, createdAt: at, expiresAt: at + ttlMs };
        if (meta?.name) request.name = meta.name;
        await writePending(paths, [...pending, request]);
        return { status: 'created', code, expiresAt: request.expiresAt };
      });
    },

    approve(input) {
      const code = normalizeCode(input);
      if (!code) {
        return Promise.reject(
          new WagateError('WAGATE_ERR_PAIRING_CODE', `"${input}" is not a pairing code (8 letters and digits, e.g. ABCD2345).`),
        );
      }
      return locked(async () => {
        const at = now();
        const all = await readPending(paths);
        const request = all.find((r) => r.code === code);
        if (!request) throw new WagateError('WAGATE_ERR_PAIRING_CODE', `No pending pairing request has the code ${code}.`);
        if (request.expiresAt <= at) {
          await writePending(paths, live(all, at));
          throw new WagateError('WAGATE_ERR_PAIRING_CODE', `The pairing code ${code} has expired; ask the sender to write again for a new one.`);
        }
        const allowFrom = await readAllowFrom(paths);
        // Approved list first: a crash between the two writes leaves a harmless stale request.
        if (!allowFrom.map(normalizeSender).includes(request.sender)) await writeAllowFrom(paths, [...allowFrom, request.sender]);
        await writePending(paths, live(all, at).filter((r) => r.code !== code));
        return { sender: request.sender, accountId: request.accountId, code };
      });
    },

    async list() {
      return live(await readPending(paths), now()).sort((a, b) => a.createdAt - b.createdAt);
    },

    async approvedSenders() {
      return (await readAllowFrom(paths)).map(normalizeSender);
    },

    async isApproved(sender) {
      return (await readAllowFrom(paths)).map(normalizeSender).includes(normalizeSender(sender));
    },
  };
}
