/** A random source that yields the given codes' bytes in turn (each letter = its alphabet index). */
export function scriptedRandom(...codes: string[]): (n: number) => Uint8Array {
  const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const queue = [...codes];
  return (n) => {
    const code = queue.shift();
    if (!code) throw new Error('scriptedRandom: no more codes');
    if (code.length !== n) throw new Error(`scriptedRandom: ${code} is not ${n} long`);
    // High bits set on purpose: the generator must only use the low 5 bits.
    return Uint8Array.from([...code].map((c) => ALPHABET.indexOf(c) | 0xe0));
  };
}
