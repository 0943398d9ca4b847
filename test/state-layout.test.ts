import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as layout from '../src/state-layout.js';

const ST = '/st';
const rel = (p: string) => path.relative(ST, p);

describe('state layout', () => {
  it('names every file and folder under the state dir', () => {
    expect(layout.configFile(ST)).toBe('/st/wagate.json');
    expect(layout.storeFile(ST)).toBe('/st/wagate.db');
    expect(layout.tokenFilePath(ST)).toBe('/st/gateway.token');
    expect(layout.credentialsDir(ST)).toBe('/st/credentials');
    expect(layout.accountAuthDir(ST, 'work')).toBe('/st/credentials/whatsapp/work');
    expect(layout.legacyAuthDir(ST)).toBe('/st/credentials');
    expect(layout.legacyCredsFile(ST)).toBe('/st/credentials/creds.json');
    expect(layout.credsBackupFile('/a')).toBe('/a/creds.json.bak');
    expect(layout.pairingStorePath(ST)).toBe('/st/credentials/whatsapp-pairing.json');
    expect(layout.allowFromStorePath(ST)).toBe('/st/credentials/whatsapp-allowFrom.json');
    expect(layout.pairingLockFile(ST)).toBe('/st/credentials/.whatsapp-pairing.lock');
    expect(layout.dedupeStorePath(ST, 'work')).toBe('/st/whatsapp-dedupe/work.json');
    expect(layout.activationStorePath(ST)).toBe('/st/whatsapp-activation.json');
    expect(layout.connectionHistoryFile(ST)).toBe('/st/whatsapp-connections.json');
    expect(layout.agentSessionsDir(ST, 'main')).toBe('/st/agents/main/sessions');
    expect(layout.mediaDir(ST)).toBe('/st/media');
    expect(layout.inboundMediaDir(ST)).toBe('/st/media/inbound');
    expect(layout.fallbackLogDir(ST)).toBe('/st/logs');
  });

  it('counts every credential, token, store, config and session entry as a secret, and only those', () => {
    const secret = [
      layout.configFile(ST),
      `${layout.configFile(ST)}.bak`,
      layout.storeFile(ST),
      `${layout.storeFile(ST)}-wal`,
      layout.tokenFilePath(ST),
      layout.credentialsDir(ST),
      layout.credsFile(layout.accountAuthDir(ST, 'work')),
      layout.legacyCredsFile(ST),
      layout.pairingStorePath(ST),
      layout.allowFromStorePath(ST),
      layout.dedupeStorePath(ST, 'work'),
      layout.activationStorePath(ST),
      layout.connectionHistoryFile(ST),
      path.join(layout.agentSessionsDir(ST, 'main'), 'x.jsonl'),
    ];
    for (const p of secret) expect(layout.isStateSecret(rel(p)), p).toBe(true);
    const open = [layout.mediaDir(ST), path.join(layout.inboundMediaDir(ST), 'a.jpg'), layout.fallbackLogDir(ST), '/st/agents/main/notes.md', '/st/credentialsX'];
    for (const p of open) expect(layout.isStateSecret(rel(p)), p).toBe(false);
  });
});
