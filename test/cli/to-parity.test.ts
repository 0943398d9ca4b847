import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTarget } from '../../src/agents/control-run.js';
import { sendTarget } from '../../src/cli/message.js';

const cliSend = (to: string): string | null => {
  try {
    return sendTarget(to);
  } catch (err) {
    expect(err).toMatchObject({ code: 'WAGATE_ERR_BAD_REQUEST' });
    return null;
  }
};
const controlAgent = (to: string): string | null => {
  try {
    return parseTarget(to).chatJid;
  } catch (err) {
    expect(err).toMatchObject({ code: 'WAGATE_ERR_BAD_REQUEST' });
    return null;
  }
};

const digits = (min: number, max: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: min, maxLength: max }).map((d) => d.join(''));
const addressLike = fc.oneof(
  fc.string(),
  fc.tuple(fc.constantFrom('', '+', ' +', '00'), digits(0, 22), fc.constantFrom('', ' ', '-')).map(([p, d, s]) => `${p}${d.slice(0, 3)}${s}${d.slice(3)}`),
  fc
    .tuple(digits(0, 22), fc.constantFrom('', ':3', ':x'), fc.constantFrom('s.whatsapp.net', 'c.us', 'lid', 'g.us', 'broadcast', 'newsletter', 'example.com', 'LID'))
    .map(([d, dev, server]) => `${d}${dev}@${server}`),
);

describe('`message send --to` and control `agent --to` accept the same inputs', () => {
  it.each(['+15551234567', '15551234567', '+1234567', '+123456', '+1234567890123456', '12345@s.whatsapp.net', '42@lid', '1-2@g.us', 'status@broadcast', 'x@example.com', ''])(
    '%j',
    (to) => {
      expect(cliSend(to)).toBe(controlAgent(to));
    },
  );

  it('for any input: both accept it, with the same chat JID, or both refuse it', () => {
    fc.assert(
      fc.property(addressLike, (to) => {
        expect(cliSend(to)).toBe(controlAgent(to));
      }),
      { numRuns: 500 },
    );
  });
});
