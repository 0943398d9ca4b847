import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { isLibsignalMessage, routeLibsignalConsole } from '../../src/whatsapp/libsignal-console.js';

describe('libsignal console output', () => {
  it('recognizes libsignal messages only', () => {
    expect(isLibsignalMessage('Closing session:')).toBe(true);
    expect(isLibsignalMessage('Opening session:')).toBe(true);
    expect(isLibsignalMessage('hello')).toBe(false);
    expect(isLibsignalMessage({ a: 1 })).toBe(false);
  });

  it('routes session dumps to the logger without the session record; other console output is untouched', () => {
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }));
    const spy = vi.spyOn(process.stdout, 'write');
    routeLibsignalConsole(logger);
    console.info('Closing session:', { privKey: 'SECRET-KEY-MATERIAL' });
    expect(lines.join('')).toContain('Closing session');
    expect(lines.join('')).not.toContain('SECRET-KEY-MATERIAL');
    expect(spy.mock.calls.map((c) => String(c[0])).join('')).not.toContain('SECRET-KEY-MATERIAL');
    spy.mockRestore();
  });
});
