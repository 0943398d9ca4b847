import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { classifyClose, classifyEnd, classifySendError } from '../../machines/index.js';
import { WagateError } from '../../src/errors.js';

describe('classifyClose', () => {
  it('515 means restart at once, without an error', () => {
    expect(classifyClose(515, 'restart required')).toEqual({ kind: 'restart' });
  });

  it.each([401, 403, 402, 406])('%i means logged out and says to run channels login', (code) => {
    const c = classifyClose(code, 'bye');
    expect(c.kind).toBe('logged-out');
    expect(c.error?.code).toBe('WAGATE_ERR_LOGGED_OUT');
    expect(c.error?.message).toContain('wagate channels login');
    expect(c.error?.message).toContain(`${code}: bye`);
  });

  it('440 is a conflict: another client uses this session', () => {
    const c = classifyClose(440, 'replaced');
    expect(c.kind).toBe('conflict');
    expect(c.error?.code).toBe('WAGATE_ERR_CONFLICT');
    expect(c.error?.message).toMatch(/another client uses this session.*stop it, then restart/i);
  });

  it('405 means the client is outdated', () => {
    const c = classifyClose(405);
    expect(c.kind).toBe('outdated');
    expect(c.error?.code).toBe('WAGATE_ERR_OUTDATED');
    expect(c.error?.message).toContain('(405)');
    // What to do: pin (or unpin) web.version, or update.
    expect(c.error?.message).toMatch(/set `web\.version` to the current one \(\[2, 3000, N\]/i);
  });

  it('0 means we closed it ourselves', () => {
    expect(classifyClose(0, 'closed by the gateway')).toEqual({ kind: 'closed-by-us' });
  });

  it.each([408, 428, 500, 503, 1006, -1])('%i is retried without an error', (code) => {
    expect(classifyClose(code, 'x')).toEqual({ kind: 'retry' });
  });

  it('every other integer is retried', () => {
    const special = new Set([0, 401, 402, 403, 405, 406, 440, 515]);
    fc.assert(
      fc.property(fc.integer().filter((c) => !special.has(c)), fc.string(), (code, reason) => {
        expect(classifyClose(code, reason).kind).toBe('retry');
      }),
    );
  });
});

describe('classifyEnd', () => {
  it('a local failure keeps its own error (code, message with the fix, cause): kind failed', () => {
    const error = { code: 'WAGATE_ERR_CREDS', message: 'Cannot read creds.json (EISDIR); fix it.', cause: 'EISDIR: illegal operation on a directory, read' } as const;
    expect(classifyEnd({ code: null, reason: error.message, error })).toEqual({ kind: 'failed', error });
  });

  it('a stall of the watchdog is its own kind, not a borrowed WhatsApp code', () => {
    expect(classifyEnd({ code: null, reason: 'watchdog: silent', stalled: true })).toEqual({ kind: 'stalled' });
  });

  it('a status code is classified as classifyClose does', () => {
    fc.assert(
      fc.property(fc.integer(), fc.string(), (code, reason) => {
        expect(classifyEnd({ code, reason })).toEqual(classifyClose(code, reason));
      }),
    );
  });
});

describe('classifySendError', () => {
  const boom = (statusCode: number) => Object.assign(new Error('x'), { output: { statusCode } });

  it.each([408, 428, 429, 500, 503])('status %i is transient', (code) => {
    expect(classifySendError(boom(code))).toBe('transient');
  });

  it.each([400, 401, 403, 404, 440])('status %i is permanent', (code) => {
    expect(classifySendError(boom(code))).toBe('permanent');
  });

  it('a blip of the network is transient; our own errors are decisions, never retried', () => {
    expect(classifySendError(new Error('Timed Out'))).toBe('transient');
    expect(classifySendError(new Error('read ECONNRESET'))).toBe('transient');
    expect(classifySendError(new Error('Connection Closed'))).toBe('transient');
    expect(classifySendError(new WagateError('WAGATE_ERR_NO_LISTENER', 'connection closed'))).toBe('permanent');
    expect(classifySendError(new Error('not-acceptable'))).toBe('permanent');
    expect(classifySendError(null)).toBe('permanent');
  });
});
