import fs from 'node:fs';
import path from 'node:path';
import { tmpDir } from '../helpers/tmp.js';

/** Write `text` as `<tmp>/wagate.json` (removed after the test) and return its path. */
export function configFile(text: string): string {
  const file = path.join(tmpDir('config'), 'wagate.json');
  fs.writeFileSync(file, text);
  return file;
}
