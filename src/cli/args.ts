/** Argument parsers for commander options: a bad value is one clear line. */
import { InvalidArgumentError } from 'commander';
import { toE164 } from '../whatsapp/address.js';

export function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError(`"${value}" is not a port number (0-65535).`);
  return n;
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError(`"${value}" is not a positive whole number.`);
  return n;
}

/** `--phone`: an E.164 number by the address module's rule (spaces, dashes… ignored), as `+<digits>`. */
export function parsePhone(value: string): string {
  const e164 = toE164(value);
  if (!e164) {
    throw new InvalidArgumentError(`"${value}" is not a phone number in E.164 form: a + and the country code, 7-15 digits (like +15551234567).`);
  }
  return e164;
}
