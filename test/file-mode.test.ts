import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chmodNeeded, parseUmask, processUmask } from '../src/file-mode.js';
import { tmpDir } from './helpers/tmp.js';

describe('file modes under the umask', () => {
  it('reads the Umask line of /proc/self/status', () => {
    expect(parseUmask('Name:\tnode\nUmask:\t0022\nState:\tR\n')).toBe(0o022);
    expect(parseUmask('Umask:\t0077')).toBe(0o077);
    expect(parseUmask('Name:\tnode\n')).toBeNull();
    if (fs.existsSync('/proc/self/status')) expect(processUmask()).toBe(process.umask());
  });

  it('chmod is skipped only when the umask clears no bit of the mode', () => {
    expect(chmodNeeded(0o600, 0o022)).toBe(false);
    expect(chmodNeeded(0o600, 0o077)).toBe(false);
    expect(chmodNeeded(0o600, 0o277)).toBe(true);
    expect(chmodNeeded(0o600, 0o400)).toBe(true);
    expect(chmodNeeded(0o600, null)).toBe(true);
  });

  it('secrets come out 0600 under umask 022 and under a umask that clears owner bits', () => {
    const dir = tmpDir('mode');
    const script = `
      const { writeFileAtomic } = await import(${JSON.stringify(path.resolve('src/config/write.ts'))});
      const dir = process.argv[1];
      await writeFileAtomic(dir + '/store-' + process.argv[2] + '.json', '{}');
    `;
    for (const umask of ['022', '277']) {
      const r = spawnSync('sh', ['-c', `umask ${umask} && exec "$0" --import tsx --input-type=module -e "$1" "$2" "$3"`, process.execPath, script, dir, umask], {
        encoding: 'utf8',
      });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      for (const f of [`store-${umask}.json`]) expect((fs.statSync(path.join(dir, f)).mode & 0o777).toString(8)).toBe('600');
    }
  });
});
