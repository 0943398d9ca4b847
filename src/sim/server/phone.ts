/**
 * The simulated primary phone's linking side, as the server half sees it (linking by
 * QR in linking.ts, by pairing code in pairing-code.ts).
 */
import type { KeyPair } from '@whiskeysockets/baileys';
import type { SimCompanion } from '../hub.js';

/** The simulated primary phone of one number. */
export interface SimPhone {
  /** Phone user part, e.g. `15550000001`. */
  readonly user: string;
  /** The account's LID user part. */
  readonly lidUser: string;
  /** The phone's account signature key pair (signs device identities). */
  readonly accountKey: KeyPair;
  /** Scans a QR text from the client's `connection.update {qr}`; resolves once linked. */
  scanQr(qr: string): Promise<SimCompanion>;
  /**
   * Enters the code the client got from `requestPairingCode(number)`; resolves once
   * linked, rejects on a wrong code (the client then keeps waiting) or when no
   * client asked for a code for this number within `helloWaitMs` (default 1000).
   */
  enterPairingCode(code: string, helloWaitMs?: number): Promise<SimCompanion>;
}
