import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  agentSessionsDir,
  credsBackupPath,
  credsPath,
  defaultLogFile,
  legacyCredsPath,
  resolveConfigPath,
  stateDir,
  whatsappAuthDir,
} from '../../src/config/index.js';

const HOME = '/home/ada';

describe('paths (SPEC §1)', () => {
  it('puts the state dir in ~/.wagate unless WAGATE_HOME says otherwise', () => {
    expect(stateDir({}, HOME)).toBe('/home/ada/.wagate');
    expect(stateDir({ WAGATE_HOME: '/srv/wagate' }, HOME)).toBe('/srv/wagate');
    expect(stateDir({ WAGATE_HOME: '~/alt' }, HOME)).toBe('/home/ada/alt');
    expect(stateDir({ WAGATE_HOME: '  ' }, HOME)).toBe('/home/ada/.wagate');
  });

  it('resolves the config path: --config > WAGATE_CONFIG > <state>/wagate.json', () => {
    const env = { WAGATE_HOME: '/srv/w', WAGATE_CONFIG: '/etc/wagate.json' };
    expect(resolveConfigPath(undefined, {}, HOME)).toBe('/home/ada/.wagate/wagate.json');
    expect(resolveConfigPath(undefined, { WAGATE_HOME: '/srv/w' }, HOME)).toBe('/srv/w/wagate.json');
    expect(resolveConfigPath(undefined, env, HOME)).toBe('/etc/wagate.json');
    expect(resolveConfigPath('~/my.json5', env, HOME)).toBe('/home/ada/my.json5');
    expect(resolveConfigPath('rel.json', env, HOME)).toBe(path.resolve('rel.json'));
  });

  it('lays out credentials, stores and sessions under the state dir', () => {
    const env = { WAGATE_HOME: '/s' };
    expect(whatsappAuthDir('work', env, HOME)).toBe('/s/credentials/whatsapp/work');
    expect(credsPath(whatsappAuthDir('work', env, HOME))).toBe('/s/credentials/whatsapp/work/creds.json');
    expect(credsBackupPath('/a')).toBe('/a/creds.json.bak');
    expect(legacyCredsPath(env, HOME)).toBe('/s/credentials/creds.json');
    expect(agentSessionsDir('main', env, HOME)).toBe('/s/agents/main/sessions');
  });

  it('names the daily log file by local date', () => {
    const t = new Date(2025, 0, 7, 23, 59).getTime();
    expect(defaultLogFile(t)).toBe('/tmp/wagate/wagate-2025-01-07.log');
  });
});
