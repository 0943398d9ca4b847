/**
 * `wagate sandbox`: try the whole gateway without a phone. Starts the built-in
 * simulator and a real gateway in a temp state dir (or `--state`), links the
 * account (the simulated phone scans the QR shown), then you type as a contact
 * and see the read receipt, the ack reaction and the agent's reply.
 *
 * `--script <file>` runs the same non-interactively; script lines are sandbox
 * commands, `# comments`, and expectations that wait for the gateway:
 *   expect <text>            a reply containing <text> arrives
 *   expect-reaction <emoji>  an ack reaction with <emoji> arrives
 *   expect-read              a read receipt arrives
 * It exits 0 when every expectation was met, 1 otherwise.
 */
import fs from 'node:fs';
import readline from 'node:readline';
import type { Command } from 'commander';
import { createRootLogger } from '../log.js';
import { HELP, SANDBOX_PHONE, Sandbox, type SandboxEvent } from '../sandbox/session.js';
import { parsePositiveInt } from './args.js';
import type { CliIO } from './io.js';
import { drawQr, pairingCodeHelp } from './login.js';
import { action, type CommandDeps } from './command.js';

interface SandboxOptions {
  state?: string;
  script?: string;
  timeout: number;
  json?: boolean;
}

function describe(ev: SandboxEvent): string {
  switch (ev.type) {
    case 'qr':
      return '';
    case 'code':
      return pairingCodeHelp(ev.code, SANDBOX_PHONE).join('\n');
    case 'linked':
      return `✓ linked the sandbox account as ${ev.e164}. ${HELP.split('\n')[0]}`;
    case 'sent':
      // A DM goes to the gateway's own number; a group message to the group.
      return `you (${ev.from}) → ${ev.to === ev.chat ? ev.to : `wagate (${ev.to})`}: ${ev.text}`;
    case 'read':
      return `  ✓✓ read by the gateway (${ev.chat})`;
    case 'reaction':
      return `  ${ev.emoji} ack reaction (${ev.chat})`;
    case 'typing':
      return `  … typing (${ev.chat})`;
    case 'reply':
      return `wagate → ${ev.chat}: ${ev.text}`;
    case 'info':
      return ev.text;
  }
}

/** Waits for sandbox events matching a predicate, counting from a mark. */
class EventLog {
  readonly events: SandboxEvent[] = [];
  private waiters: (() => void)[] = [];
  push(ev: SandboxEvent): void {
    this.events.push(ev);
    this.waiters.splice(0).forEach((w) => w());
  }
  async waitFor(from: number, pred: (ev: SandboxEvent) => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.events.slice(from).some(pred)) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }
}

async function runScript(sandbox: Sandbox, log: EventLog, io: CliIO, file: string, timeoutMs: number): Promise<number> {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  let mark = log.events.length;
  let failures = 0;
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const exp = /^expect(-reaction|-read)?(?:\s+(.*))?$/.exec(line);
    if (!exp) {
      mark = log.events.length;
      await sandbox.run(line);
      continue;
    }
    const [, kind, arg = ''] = exp;
    const pred =
      kind === '-reaction'
        ? (e: SandboxEvent) => e.type === 'reaction' && e.emoji === arg
        : kind === '-read'
          ? (e: SandboxEvent) => e.type === 'read'
          : (e: SandboxEvent) => e.type === 'reply' && e.text.includes(arg);
    if (!(await log.waitFor(mark, pred, timeoutMs))) {
      failures += 1;
      io.err(`wagate sandbox: ${file}:${i + 1}: "${line}" not met within ${timeoutMs / 1000} s`);
    }
  }
  io.out(failures === 0 ? 'sandbox script: every expectation met.' : `sandbox script: ${failures} expectation(s) not met.`);
  return failures === 0 ? 0 : 1;
}

/** The interactive prompt, while there is one: events are printed above it. */
let prompt: readline.Interface | null = null;

function printEvent(io: CliIO, text: string): void {
  if (!prompt || !io.isTTY) return io.out(text);
  process.stdout.write('\r\x1b[K');
  io.out(text);
  prompt.prompt(true);
}

async function runInteractive(sandbox: Sandbox, io: CliIO): Promise<number> {
  io.out(HELP);
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, prompt: 'you> ' });
  prompt = rl;
  rl.on('close', () => (prompt = null));
  rl.on('SIGINT', () => rl.close()); // Ctrl-C leaves, as /quit does
  rl.prompt();
  const closed = new Promise<void>((resolve) => {
    rl.on('close', resolve);
    io.signal.addEventListener('abort', () => rl.close(), { once: true });
  });
  rl.on('line', (line) => {
    const t = line.trim();
    if (t === '/quit' || t === '/exit') return rl.close();
    if (t === '/help') io.out(HELP);
    else sandbox.run(t).catch((err: unknown) => io.err(`wagate sandbox: ${(err as Error).message}`));
    rl.prompt();
  });
  await closed;
  return 0;
}

export function registerSandboxCommand(program: Command, deps: CommandDeps): void {
  program
    .command('sandbox')
    .description('try the whole gateway against the built-in WhatsApp simulator (no phone needed)')
    .option('--state <dir>', 'state dir to use and keep (default: a temp dir, removed on exit)')
    .option('--script <file>', 'run sandbox commands and expectations from a file, then exit')
    .option('--timeout <seconds>', 'how long each expectation may wait', parsePositiveInt, 20)
    .option('--json', 'print every sandbox event as one JSON line')
    .action(
      action(deps, async (opts: SandboxOptions) => {
        const io = deps.io;
        const root = createRootLogger({ level: 'info', pretty: false, ...(opts.state ? { stateDir: opts.state } : {}) });
        const log = new EventLog();
        let qrCount = 0;
        const sandbox = new Sandbox({
          stateDir: opts.state,
          logger: root.logger,
          onEvent: (ev) => {
            log.push(ev);
            if (opts.json) return io.out(JSON.stringify(ev));
            if (ev.type === 'qr') return drawQr(io, ev.qr, ++qrCount);
            printEvent(io, describe(ev));
          },
        });
        try {
          io.out('Starting the WhatsApp simulator and a gateway…');
          await sandbox.start();
          io.out(`State dir: ${sandbox.stateDir}; log: ${root.file?.currentPath() ?? '-'}`);
          await sandbox.link();
          return opts.script
            ? await runScript(sandbox, log, io, opts.script, opts.timeout * 1000)
            : await runInteractive(sandbox, io);
        } finally {
          await sandbox.close();
          root.close();
        }
      }),
    );
}
