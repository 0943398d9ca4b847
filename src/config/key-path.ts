/**
 * Key paths as users see and type them: `channels.whatsapp.accounts.work.dmPolicy`,
 * `agents.list[0].id`, `channels.whatsapp.groups["123@g.us"].requireMention`.
 * Errors print paths in this form and `/config set|unset` parses the same form.
 */
export type KeyPath = (string | number)[];

const PLAIN = /^[A-Za-z_$][\w$-]*$/;

/**
 * A key whose name says it holds a secret (token, key, secret, password; a proxy URL
 * may carry credentials). Its value is never quoted in a config error nor echoed by
 * `/config` from chat.
 */
export const SECRET_KEY_NAME = /token|key|secret|passw|^proxy$/i;

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

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

function isContainer(v: unknown): v is Record<PropertyKey, unknown> {
  return v !== null && typeof v === 'object';
}

/**
 * Set `value` at `path` inside `root` (mutates). Missing parents become objects
 * (lists when the next key is an index). Throws an Error naming the blocking key.
 */
export function setAt(root: Record<string, unknown>, path: KeyPath, value: unknown): void {
  if (path.length === 0) throw new Error('cannot replace the whole config');
  let cur: unknown = root;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i] as string | number;
    if (typeof seg === 'string' && FORBIDDEN.has(seg)) throw new Error(`${JSON.stringify(seg)} is not allowed as a key`);
    if (!isContainer(cur)) throw new Error(`${formatKeyPath(path.slice(0, i))} is not an object or a list`);
    if (Array.isArray(cur)) {
      if (typeof seg !== 'number') throw new Error(`${formatKeyPath(path.slice(0, i))} is a list; use [index]`);
      if (seg > cur.length) throw new Error(`${formatKeyPath(path.slice(0, i + 1))} is past the end of the list`);
    }
    const key = Array.isArray(cur) ? seg : String(seg);
    if (i === path.length - 1) {
      cur[key] = value;
      return;
    }
    if (cur[key] === undefined) cur[key] = typeof path[i + 1] === 'number' ? [] : {};
    cur = cur[key];
  }
}

/** Remove the value at `path` (list items are spliced out). Returns false when there was none. */
export function unsetAt(root: Record<string, unknown>, path: KeyPath): boolean {
  if (path.length === 0) throw new Error('cannot remove the whole config');
  const parent = getAt(root, path.slice(0, -1));
  const last = path[path.length - 1] as string | number;
  if (!isContainer(parent)) return false;
  if (Array.isArray(parent)) {
    if (typeof last !== 'number' || last >= parent.length) return false;
    parent.splice(last, 1);
    return true;
  }
  const key = String(last);
  if (!Object.prototype.hasOwnProperty.call(parent, key)) return false;
  delete parent[key];
  return true;
}
