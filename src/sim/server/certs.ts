/**
 * The simulator's Noise certificate chain: a simulator root key signs an
 * intermediate certificate, which signs the leaf. Baileys checks the intermediate
 * against `WA_CERT_DETAILS.PUBLIC_KEY`, so the simulator installs its root public
 * key there (in the process that runs both the simulator and the client).
 */
import { Curve, WA_CERT_DETAILS, proto, type KeyPair } from '@whiskeysockets/baileys';

export interface SimCertAuthority {
  root: KeyPair;
  /** Encoded `proto.CertChain` sent inside the server hello. */
  chain: Uint8Array;
}

const YEAR_S = 365 * 24 * 3600;

function certificate(
  signer: KeyPair,
  details: proto.CertChain.NoiseCertificate.IDetails,
): proto.CertChain.INoiseCertificate {
  const encoded = proto.CertChain.NoiseCertificate.Details.encode(details).finish();
  return { details: encoded, signature: Curve.sign(signer.private, encoded) };
}

let processRoot: KeyPair | undefined;

/**
 * One simulator root per process: every simulator started in this process signs
 * with it, so several simulators can run side by side with one trusted key.
 */
export function simRootKey(): KeyPair {
  processRoot ??= Curve.generateKeyPair();
  return processRoot;
}

/** Builds an intermediate and a leaf (for `serverStatic`) under the process root, valid around `nowS`. */
export function createCertAuthority(serverStatic: KeyPair, nowS: number): SimCertAuthority {
  const root = simRootKey();
  const intermediateKey = Curve.generateKeyPair();
  const notBefore = nowS - YEAR_S;
  const notAfter = nowS + YEAR_S;
  const intermediate = certificate(root, {
    serial: 1,
    issuerSerial: WA_CERT_DETAILS.SERIAL,
    key: intermediateKey.public,
    notBefore,
    notAfter,
  });
  const leaf = certificate(intermediateKey, {
    serial: 2,
    issuerSerial: 1,
    key: serverStatic.public,
    notBefore,
    notAfter,
  });
  const chain = proto.CertChain.encode({ intermediate, leaf }).finish();
  return { root, chain };
}

/** Makes Baileys in this process trust certificate chains signed by `rootPublic`. */
export function installRootKey(rootPublic: Uint8Array): void {
  (WA_CERT_DETAILS as { PUBLIC_KEY: Buffer }).PUBLIC_KEY = Buffer.from(rootPublic);
}
