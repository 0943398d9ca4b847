/**
 * An e2e-echo receiver (e2e-echo-sides.ts) running in a child process, seen from
 * the parent as an ordinary EchoSide.
 */
import { fork } from 'node:child_process';
import { simRootKey } from '../src/sim/server/certs.js';
import type { EchoSide, EchoSideName } from './e2e-echo-sides.js';
import { benchEntry } from './node-child.js';

/** `storeUrl`: the PostgreSQL database of the `gateway-pg` side. */
export function openRemote(side: EchoSideName, home: string, id: string, url: string, storeUrl?: string): Promise<EchoSide> {
  const { file, execArgv } = benchEntry('bench/e2e-echo-child.ts');
  const child = fork(file, [side, home, id, url], {
    execArgv: [...execArgv, ...(process.env.WAGATE_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.WAGATE_BENCH_CPU_PROF}`] : [])],
    env: { ...process.env, WAGATE_BENCH_SIM_ROOT: Buffer.from(simRootKey().public).toString('base64'), ...(storeUrl ? { WAGATE_BENCH_STORE_URL: storeUrl } : {}) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const received: ((id: string) => void)[] = [];
  const answered = new Map<string, () => void>();
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`e2e-echo ${side} child exited (${code}) before it was ready`)));
    child.on('message', (m: { type: string; id?: string; jid?: string }) => {
      if (m.type === 'received' && m.id) for (const fn of received) fn(m.id);
      if (m.type === 'answered' && m.jid) answered.get(m.jid)?.();
      if (m.type !== 'ready') return;
      child.removeAllListeners('exit');
      resolve({
        name: side,
        onReceived: (fn) => void received.push(fn),
        answer: (jid) =>
          new Promise<void>((done) => {
            answered.set(jid, done);
            child.send({ type: 'answer', jid });
          }),
        stop: () =>
          new Promise<void>((done) => {
            child.once('exit', () => done());
            child.send({ type: 'stop' });
          }),
      });
    });
  });
}
