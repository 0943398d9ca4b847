import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERRORS, WagateError, toErrorInfo } from '../src/errors.js';
import { ROOT } from './helpers/cli.js';

describe('error registry', () => {
  it('every code is documented in the README troubleshooting table, and the README names no unknown code', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    for (const code of Object.keys(ERRORS)) expect(readme, code).toContain(`\`${code}\``);
    const mentioned = new Set(readme.match(/WAGATE_ERR_[A-Z_]+/g));
    for (const code of mentioned) expect(Object.keys(ERRORS), code).toContain(code);
  });

  it('turns anything thrown into a plain {code, message}', () => {
    expect(toErrorInfo(new WagateError('WAGATE_ERR_CREDS', 'bad creds'))).toEqual({ code: 'WAGATE_ERR_CREDS', message: 'bad creds' });
    expect(toErrorInfo(new Error('boom'))).toEqual({ code: 'WAGATE_ERR_INTERNAL', message: 'boom' });
    expect(toErrorInfo('text')).toEqual({ code: 'WAGATE_ERR_INTERNAL', message: 'text' });
    expect(new WagateError('WAGATE_ERR_LOGIN_TIMEOUT').message).toBe(ERRORS.WAGATE_ERR_LOGIN_TIMEOUT);
  });

  it('keeps the cause as plain text, so the real reason survives into context and status', () => {
    const eisdir = Object.assign(new Error('EISDIR: illegal operation on a directory, read'), { code: 'EISDIR' });
    const info = toErrorInfo(new WagateError('WAGATE_ERR_CREDS', 'Cannot read creds.json (EISDIR); fix it.', { cause: eisdir }));
    expect(info).toStrictEqual({ code: 'WAGATE_ERR_CREDS', message: 'Cannot read creds.json (EISDIR); fix it.', cause: 'EISDIR: illegal operation on a directory, read' });
    expect(JSON.parse(JSON.stringify(info))).toEqual(info);
    expect(toErrorInfo(new Error('outer', { cause: 'inner' }))).toStrictEqual({ code: 'WAGATE_ERR_INTERNAL', message: 'outer', cause: 'inner' });
    expect(toErrorInfo(new WagateError('WAGATE_ERR_CREDS', 'no cause'))).toStrictEqual({ code: 'WAGATE_ERR_CREDS', message: 'no cause' });
  });
});
