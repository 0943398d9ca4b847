/**
 * A failed decryption attempt must not change a Signal session (no "Bad MAC" at the contact).
 *
 * libsignal-node 6.0.0 (`SessionCipher.decryptWithSessions`, used by Baileys for every
 * `msg`) tries the sessions of a record one after the other — the open one first —
 * *on the record's own objects*. `doDecryptWhisperMessage` steps the ratchet before it
 * checks the MAC: for a message sent on another session it adds a receiving chain and
 * replaces the session's sending ratchet with a new key pair derived from the wrong
 * root, then fails the MAC. When an older session of the record then opens the message,
 * the whole record is saved — with the open session's sending ratchet spoiled. The next
 * message we send on it cannot be opened by the contact (libsignal "Bad MAC"); it asks
 * for a retry, and Baileys re-sends that message after the ones sent since: the replies
 * arrive out of order (or, after the retries, never).
 *
 * It happens whenever we open a new session with a contact (a `pkmsg`: Baileys fetched
 * a new prekey bundle, e.g. after a reconnect) while messages the contact sent on the
 * previous session are still coming in (the offline backlog). Signal's own libraries
 * try each session on a copy and keep only the copy that decrypted; this does the same:
 * each attempt runs on a clone of the session, and only the successful clone's state is
 * copied back. Installed once per process, on libsignal's `SessionCipher` prototype
 * (Baileys constructs the ciphers itself; there is no other seam).
 */
import * as libsignal from 'libsignal';

const { SessionCipher } = libsignal;
/** libsignal's error class (exported at runtime, not in its typings). */
const SessionError = (libsignal as unknown as { SessionError: new (message: string) => Error }).SessionError;

/** The parts of libsignal's (untyped) SessionEntry this touches. */
interface SessionEntry {
  serialize(): unknown;
  indexInfo: { used?: number };
  constructor: { deserialize(data: unknown): SessionEntry };
}

interface CipherInternals {
  doDecryptWhisperMessage(data: Buffer, session: SessionEntry): Promise<Buffer>;
  decryptWithSessions(data: Buffer, sessions: SessionEntry[]): Promise<{ session: SessionEntry; plaintext: Buffer }>;
}

const MARK = Symbol.for('wagate.libsignal.trialDecrypt');

/** Replaces the object's own state with the other's (same class: a SessionEntry). */
function adopt(session: SessionEntry, trial: SessionEntry): void {
  const target = session as unknown as Record<string, unknown>;
  for (const key of Object.keys(target)) if (!(key in trial)) delete target[key];
  Object.assign(target, trial);
}

/** Tries a message on each session's clone; the record only sees the one that opened it. */
async function decryptWithSessions(
  this: CipherInternals,
  data: Buffer,
  sessions: SessionEntry[],
): Promise<{ session: SessionEntry; plaintext: Buffer }> {
  if (sessions.length === 0) throw new SessionError('No sessions available');
  for (const session of sessions) {
    const trial = session.constructor.deserialize(session.serialize());
    try {
      const plaintext = await this.doDecryptWhisperMessage(data, trial);
      adopt(session, trial);
      session.indexInfo.used = Date.now();
      return { session, plaintext };
    } catch {
      // this session is not the one: try the next (its clone is dropped)
    }
  }
  // libsignal's own error, as it throws it.
  throw new SessionError('No matching sessions found for message');
}

/** Whether this process's libsignal tries sessions on copies (installed). */
export function trialDecryptInstalled(): boolean {
  return (SessionCipher.prototype as unknown as Record<symbol, unknown>)[MARK] === true;
}

/** Installs the copy-per-attempt decryption on libsignal's SessionCipher (idempotent). */
export function installTrialDecrypt(): void {
  const proto = SessionCipher.prototype as unknown as CipherInternals & Record<symbol, unknown>;
  if (proto[MARK] === true) return;
  if (typeof proto.decryptWithSessions !== 'function' || typeof proto.doDecryptWhisperMessage !== 'function') return;
  proto.decryptWithSessions = decryptWithSessions;
  proto[MARK] = true;
}
