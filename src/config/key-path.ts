/**
 * Key paths as users see and type them: `channels.whatsapp.accounts.work.dmPolicy`,
 * `agents.list[0].id`, `channels.whatsapp.groups["123@g.us"].requireMention`.
 * Errors print paths in this form and `/config set|unset` parses the same form.
 */
export type KeyPath = (string | number)[];

const PLAIN = /^[A-Za-z_$][\w$-]*$/;

export function formatKeyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && PLAIN.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out || 'the top level';
}

/** Parse a key path; throws an Error with a readable message on bad syntax. */
export function parseKeyPath(text: string): KeyPath {
  const out: KeyPath = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`bad key path ${JSON.stringify(text)}: ${why}`);
  };
  const s = text.trim();
  if (!s) fail('it is empty');
  while (i < s.length) {
    const ch = s[i];
    if (ch === '[') {
      const end = s.indexOf(']', i);
      if (end < 0) fail(`"[" at ${i + 1} is never closed`);
      const inner = s.slice(i + 1, end).trim();
      if (/^\d+$/.test(inner)) out.push(Number(inner));
      else if (/^(".*"|'.*')$/.test(inner)) out.push(inner.slice(1, -1));
      else fail(`expected [number] or ["key"] at ${i + 1}`);
      i = end + 1;
      if (s[i] === '.') {
        i += 1;
        if (i >= s.length) fail('it ends with "."');
      }
    } else {
      let j = i;
      while (j < s.length && s[j] !== '.' && s[j] !== '[') j += 1;
      const seg = s.slice(i, j);
      if (!seg) fail(`empty key at ${i + 1}`);
      out.push(seg);
      i = j;
      if (s[i] === '.') {
        i += 1;
        if (i >= s.length) fail('it ends with "."');
      }
    }
  }
  return out;
}

/** The value at `path` inside `root`, or undefined. */
export function getAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (!Object.prototype.hasOwnProperty.call(cur, seg)) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}
