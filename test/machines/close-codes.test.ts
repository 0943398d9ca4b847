import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { classifyClose } from '../../machines/index.js';

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
