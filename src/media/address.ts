/**
 * Which IP addresses agent media URLs may not reach (SPEC §7): loopback, private
 * (RFC 1918, fc00::/7), link-local (169.254/16 with the cloud metadata address,
 * fe80::/10), CGNAT (100.64/10), unspecified, multicast, broadcast and other
 * reserved ranges. IPv6 forms that carry an IPv4 address (::ffff:a.b.c.d,
 * ::a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16) are judged by that address.
 */
import net from 'node:net';

interface Range {
  bytes: number[];
  bits: number;
  what: string;
}

const v4 = (cidr: string, what: string): Range => {
  const [addr, bits] = cidr.split('/') as [string, string];
  return { bytes: addr.split('.').map(Number), bits: Number(bits), what };
};

const V4_RANGES: Range[] = [
  v4('0.0.0.0/8', 'unspecified'),
  v4('10.0.0.0/8', 'private'),
  v4('100.64.0.0/10', 'CGNAT'),
  v4('127.0.0.0/8', 'loopback'),
  v4('169.254.169.254/32', 'cloud metadata'),
  v4('169.254.0.0/16', 'link-local'),
  v4('172.16.0.0/12', 'private'),
  v4('192.0.0.0/24', 'reserved'),
  v4('192.168.0.0/16', 'private'),
  v4('198.18.0.0/15', 'reserved'),
  v4('224.0.0.0/4', 'multicast'),
  v4('240.0.0.0/4', 'reserved'),
];

const v6 = (prefix: number[], bits: number, what: string): Range => ({ bytes: prefix, bits, what });

const V6_RANGES: Range[] = [
  v6(Array(16).fill(0), 128, 'unspecified'),
  v6([...Array(15).fill(0), 1], 128, 'loopback'),
  v6([0xfd, 0x00, 0x0e, 0xc2, ...Array(10).fill(0), 0x02, 0x54], 128, 'cloud metadata'),
  v6([0xfc], 7, 'private'),
  v6([0xfe, 0x80], 10, 'link-local'),
  v6([0xfe, 0xc0], 10, 'private'),
  v6([0xff], 8, 'multicast'),
];

function matches(addr: number[], r: Range): boolean {
  let bits = r.bits;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((addr[i] ?? 0) & mask) !== ((r.bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}

/** The 16 bytes of an IPv6 address (zone id ignored); null when it does not parse. */
export function ipv6Bytes(address: string): number[] | null {
  let text = address.split('%')[0]!;
  if (!net.isIPv6(text)) return null;
  const tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    tail.push(...dotted[1]!.split('.').map(Number));
    text = text.slice(0, -dotted[1]!.length) + '0:0';
  }
  const [head, rest] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const groups = (s: string) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const all = [...left, ...Array(8 - left.length - right.length).fill(0), ...right];
  const bytes = all.flatMap((g: number) => [g >> 8, g & 0xff]);
  if (tail.length) bytes.splice(12, 4, ...tail);
  return bytes;
}

/** The IPv4 address an IPv6 one carries (mapped, compatible, NAT64, 6to4), else null. */
function embeddedV4(b: number[]): number[] | null {
  const zeros = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return b.slice(12); // ::ffff:a.b.c.d
  if (zeros(0, 12) && !(zeros(12, 15) && (b[15] ?? 0) <= 1)) return b.slice(12); // ::a.b.c.d (deprecated); not :: or ::1
  if (b[0] === 0 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12)) return b.slice(12); // 64:ff9b::/96
  if (b[0] === 0x20 && b[1] === 0x02) return b.slice(2, 6); // 2002::/16
  return null;
}

function v4Range(bytes: number[]): string | null {
  if (bytes.every((x) => x === 255)) return 'broadcast';
  return V4_RANGES.find((r) => matches(bytes, r))?.what ?? null;
}

/**
 * Why agent media may not reach this address ("loopback", "private", …), or null
 * for a public address. Anything that is not an IP address counts as blocked.
 */
export function blockedRange(address: string): string | null {
  if (net.isIPv4(address)) return v4Range(address.split('.').map(Number));
  const b = ipv6Bytes(address);
  if (!b) return 'not an IP address';
  const inner = embeddedV4(b);
  if (inner) return v4Range(inner);
  return V6_RANGES.find((r) => matches(b, r))?.what ?? null;
}
