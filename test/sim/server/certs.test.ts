import { Curve, WA_CERT_DETAILS, proto } from '@whiskeysockets/baileys';
import { verifySignature } from 'libsignal/src/curve.js';
import { describe, expect, it } from 'vitest';
import { createCertAuthority, installRootKey, simRootKey } from '../../../src/sim/server/certs.js';

// libsignal's own check (Baileys' Curve.verify accepts any signature in rc14).
const verifies = (pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean =>
  verifySignature(Buffer.concat([Buffer.from([5]), pub]), msg, sig);

describe('simulator certificate chain', () => {
  const serverStatic = Curve.generateKeyPair();
  const nowS = 1_700_000_000;
  const { root, chain } = createCertAuthority(serverStatic, nowS);
  const { intermediate, leaf } = proto.CertChain.decode(chain);
  const inter = proto.CertChain.NoiseCertificate.Details.decode(intermediate!.details!);
  const leafDetails = proto.CertChain.NoiseCertificate.Details.decode(leaf!.details!);

  it('has an intermediate signed by the root and issued under WhatsApp’s root serial', () => {
    expect(inter.issuerSerial).toBe(WA_CERT_DETAILS.SERIAL);
    expect(verifies(root.public, intermediate!.details!, intermediate!.signature!)).toBe(true);
    expect(verifies(Curve.generateKeyPair().public, intermediate!.details!, intermediate!.signature!)).toBe(false);
  });

  it('has a leaf for the server static key, signed by the intermediate, valid now', () => {
    expect(Buffer.from(leafDetails.key!)).toEqual(Buffer.from(serverStatic.public));
    expect(verifies(inter.key!, leaf!.details!, leaf!.signature!)).toBe(true);
    expect(Number(leafDetails.notBefore)).toBeLessThan(nowS);
    expect(Number(leafDetails.notAfter)).toBeGreaterThan(nowS);
  });

  it('uses one root per process, which installRootKey makes Baileys trust', () => {
    expect(simRootKey()).toBe(root);
    installRootKey(root.public);
    expect(Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY)).toEqual(Buffer.from(root.public));
  });
});
