/**
 * The stanzas that end a connection with a given close code on the client
 * (PROTOCOL-NOTES, "Ending or breaking a connection").
 */
import type { BinaryNode } from '@whiskeysockets/baileys';

/** Codes `kick()` can produce on a live connection. */
export type KickCode = 401 | 440 | 500 | 515;

export const KICK_CODES: readonly KickCode[] = [401, 440, 500, 515];

/** The `<stream:error>` that makes Baileys close with `code`. */
export function streamError(code: KickCode): BinaryNode {
  switch (code) {
    case 401:
      return {
        tag: 'stream:error',
        attrs: { code: '401' },
        content: [{ tag: 'conflict', attrs: { type: 'device_removed' } }],
      };
    case 440:
      return { tag: 'stream:error', attrs: {}, content: [{ tag: 'conflict', attrs: { type: 'replaced' } }] };
    case 500:
      // No code and a child Baileys does not know → DisconnectReason.badSession.
      return { tag: 'stream:error', attrs: {}, content: [{ tag: 'sim-bad-session', attrs: {} }] };
    case 515:
      return { tag: 'stream:error', attrs: { code: '515' } };
  }
}

/** The `<failure>` that refuses a login with `reason` (401: logged out). */
export function loginFailure(reason: number): BinaryNode {
  return { tag: 'failure', attrs: { reason: String(reason), location: 'sim' } };
}
