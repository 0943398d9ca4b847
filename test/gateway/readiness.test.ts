import { describe, expect, it } from 'vitest';
import type { ErrorInfo } from '../../src/errors.js';
import { accountReady, readiness } from '../../src/gateway/readiness.js';

describe('readiness (src/gateway/readiness.ts): connected or an explained final state', () => {
  const err = (code: ErrorInfo['code']): ErrorInfo => ({ code, message: 'why' });
  it.each([
    ['connected', null, true],
    ['unlinked', null, true],
    ['logged-out', err('WAGATE_ERR_LOGGED_OUT'), true],
    ['degraded', err('WAGATE_ERR_OUTDATED'), true],
    ['degraded', err('WAGATE_ERR_CONFLICT'), false],
    ['degraded', err('WAGATE_ERR_GAVE_UP'), false],
    ['connecting', null, false],
    ['linking', null, false],
    ['backing-off', null, false],
    ['stopped', null, false],
  ] as const)('%s (%j) → ready %s', (state, error, ready) => {
    expect(accountReady(state, error)).toBe(ready);
  });

  it('names only the accounts that are not ready, with their state and error code', () => {
    expect(
      readiness([
        { accountId: 'a', state: 'connected', error: null },
        { accountId: 'b', state: 'degraded', error: err('WAGATE_ERR_CONFLICT') },
        { accountId: 'c', state: 'backing-off', error: null },
      ]),
    ).toEqual({
      ready: false,
      notReady: [
        { accountId: 'b', state: 'degraded', error: 'WAGATE_ERR_CONFLICT' },
        { accountId: 'c', state: 'backing-off' },
      ],
    });
    expect(readiness([])).toEqual({ ready: true, notReady: [] });
  });
});
