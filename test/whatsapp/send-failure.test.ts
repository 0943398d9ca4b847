/**
 * A send that fails because the socket closed under one of Baileys' queries rejects
 * with the WebSocket's bare close code (a number): the transport reports it as the
 * transient "Connection Closed", so the reply waits for the connection instead of
 * failing for good (chaos seed 7100).
 */
import { describe, expect, it } from 'vitest';
import { classifySendError } from '../../machines/index.js';
import { sendFailure } from '../../src/whatsapp/send-ack.js';

describe('sendFailure', () => {
  it('a bare WebSocket close code becomes the transient Connection Closed (428)', () => {
    expect(classifySendError(1005)).toBe('permanent'); // what the reply delivery saw before
    const err = sendFailure(1005) as Error & { output: { statusCode: number } };
    expect(err.message).toBe('Connection Closed (WebSocket close code 1005)');
    expect(err.output.statusCode).toBe(428);
    expect(classifySendError(err)).toBe('transient');
  });

  it('any other failure is passed on as it is', () => {
    const e = new Error('not-acceptable');
    expect(sendFailure(e)).toBe(e);
    expect(sendFailure('text')).toBe('text');
  });
});
