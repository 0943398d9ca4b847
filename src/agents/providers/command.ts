/**
 * The `command` provider (SPEC §6): spawns `model.command` (argv, no shell), writes
 * `{ envelope, history, agentId, sessionKey }` as JSON to stdin, and takes stdout as
 * the reply (trimmed; JSON `{text, media}` accepted too, and `actions` for the
 * `whatsapp` tool — see src/agents/tools-command.ts).
 *
 * Failures reject with a ProviderError and nothing is delivered: a non-zero exit
 * (with the stderr tail), a signal, `timeoutMs` (the child is killed), an abort,
 * or stdout over MAX_OUTPUT_BYTES. The config has no key for an apology text, so
 * none is ever sent.
 */
import { spawn } from 'node:child_process';
import { setLongTimeout } from '../../timers.js';
import { ProviderError, type AgentProvider, type ProviderResult, type ProviderRunInput } from './types.js';
import { commandReply } from '../tools-command.js';
import type { RunInputWithTools } from '../tools.js';

export const MAX_OUTPUT_BYTES = 1024 * 1024;
const STDERR_TAIL = 2000;

export interface CommandModelConfig {
  command: string[];
  timeoutMs: number;
}

export interface CommandProviderOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export function commandProvider(model: CommandModelConfig, opts: CommandProviderOptions = {}): AgentProvider {
  return {
    name: 'command',
    run: (input) => runCommand(model, opts, input),
  };
}

function runCommand(
  model: CommandModelConfig,
  opts: CommandProviderOptions,
  input: ProviderRunInput,
): Promise<ProviderResult> {
  return new Promise<ProviderResult>((resolve, reject) => {
    const fail = (message: string, detail: ConstructorParameters<typeof ProviderError>[2] = {}, cause?: unknown) =>
      reject(new ProviderError('command', message, detail, { cause }));
    if (input.signal.aborted) return fail('aborted');
    const [program, ...args] = model.command as [string, ...string[]];
    const child = spawn(program, args, {
      shell: false,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
      cwd: opts.cwd,
    });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    let why: 'timeout' | 'aborted' | 'too-large' | null = null;
    let spawnError: Error | null = null;

    const kill = (reason: typeof why) => {
      if (why) return;
      why = reason;
      child.kill('SIGKILL');
    };
    const timer = setLongTimeout(() => kill('timeout'), model.timeoutMs);
    const onAbort = () => kill('aborted');
    input.signal.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > MAX_OUTPUT_BYTES) return kill('too-large');
      out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err = (err + chunk.toString('utf8')).slice(-STDERR_TAIL);
    });
    child.on('error', (e) => {
      spawnError = e;
    });
    // A child that exits without reading stdin makes the write fail with EPIPE; the exit decides.
    child.stdin.on('error', () => undefined);
    child.stdin.end(
      JSON.stringify({
        envelope: input.envelope,
        history: input.history,
        agentId: input.agentId,
        sessionKey: input.sessionKey,
      }),
    );

    child.on('close', (code, signal) => {
      timer.clear();
      input.signal.removeEventListener('abort', onAbort);
      const stderr = err.trim();
      if (spawnError) return fail(`could not start ${program}: ${spawnError.message}`, { stderr }, spawnError);
      if (why === 'timeout') return fail(`${program} timed out after ${model.timeoutMs} ms`, { timedOut: true, stderr });
      if (why === 'aborted') return fail(`${program} was stopped (run aborted)`, { stderr });
      if (why === 'too-large') return fail(`${program} wrote more than ${MAX_OUTPUT_BYTES} bytes`, { stderr });
      if (code !== 0) {
        const how = code === null ? `was killed by ${signal}` : `exited with code ${code}`;
        return fail(`${program} ${how}${stderr ? `: ${stderr}` : ''}`, { exitCode: code, stderr });
      }
      // JSON `actions` (the `whatsapp` tool, SPEC §8) run before the reply is returned.
      commandReply(Buffer.concat(out).toString('utf8'), (input as RunInputWithTools).tools).then(resolve, reject);
    });
  });
}
