/**
 * Child process for the auth store crash test (auth-store-crash.test.ts).
 * Run: `node --import tsx creds-saver.ts <authDir>`.
 *
 * Protocol (lines on stdout): `warm` once modules are loaded; then, after the parent
 * writes `go` on stdin: `started <counter>` after opening the store, and `saved <n>`
 * after every completed save (counter n in `creds.additionalData.counter`). It saves
 * in a tight loop until killed. On an open error: `error <code>` and exit 1.
 */
import { openAuthStore } from '../../../src/whatsapp/auth-store.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: creds-saver.ts <authDir>');

function say(line: string): void {
  process.stdout.write(`${line}\n`); // synchronous for pipes on Linux
}

async function run(authDir: string): Promise<void> {
  let store;
  try {
    store = await openAuthStore({
      dir: authDir,
      log: { warn: (obj, msg) => process.stderr.write(`${JSON.stringify({ obj, msg })}\n`) },
    });
  } catch (err) {
    say(`error ${(err as { code?: string }).code ?? 'unknown'}`);
    process.exit(1);
  }
  const data = (store.state.creds.additionalData ?? {}) as { counter?: number };
  let counter = data.counter ?? 0;
  say(`started ${counter}`);
  for (;;) {
    counter += 1;
    store.state.creds.additionalData = { counter };
    await store.saveCreds();
    say(`saved ${counter}`);
  }
}

process.stdin.once('data', () => void run(dir));
say('warm');
