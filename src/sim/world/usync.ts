/**
 * Directory answers for the client: `iq xmlns=usync` (devices, lid, contact
 * protocols) and `iq xmlns=encrypt type=get <key>` (prekey bundles of contacts
 * and of the primary phone), so a linked account can send to anyone.
 */
import { getBinaryNodeChild, getBinaryNodeChildren, type BinaryNode } from '@whiskeysockets/baileys';
import { splitJid } from './directory.js';
import type { SimCompanion, StanzaContext } from '../hub.js';
import { lidJid, nodeBytes, pnJid, type Party } from './messages.js';
import type { SignalParty } from './signal.js';

export interface DirectoryLookup {
  /** The party of a user part, creating a contact for an unknown phone number. */
  party(user: string, server: string): Party | undefined;
  /** The linked companion of a phone-number or LID user part. */
  companionOf(user: string): SimCompanion | undefined;
}

function be(n: number, bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  out.writeUIntBE(n, 0, bytes);
  return out;
}

const result = (iq: BinaryNode, content: BinaryNode[]): BinaryNode => ({
  tag: 'iq',
  attrs: { id: iq.attrs.id ?? '', type: 'result', from: 's.whatsapp.net' },
  content,
});

function usyncUser(jid: string | undefined, child: BinaryNode[], protocols: Set<string>, dir: DirectoryLookup): BinaryNode {
  const contactNode = child.find((c) => c.tag === 'contact');
  const phone = nodeBytes(contactNode) ? Buffer.from(nodeBytes(contactNode)!).toString() : undefined;
  const id = jid ?? (phone ? pnJid(phone.replace(/\D/g, '')) : '');
  const { user, server } = splitJid(id);
  const companion = dir.companionOf(user);
  const party = companion ? undefined : dir.party(user, server);
  const lidUser = companion?.lidUser ?? party?.lidUser;
  const content: BinaryNode[] = [];
  if (protocols.has('devices')) {
    const devices: BinaryNode[] = [{ tag: 'device', attrs: { id: '0' } }];
    if (companion) devices.push({ tag: 'device', attrs: { id: String(companion.device), 'key-index': '1' } });
    content.push({
      tag: 'devices',
      attrs: {},
      content: [{ tag: 'device-list', attrs: {}, content: lidUser ? devices : [] }],
    });
  }
  if (protocols.has('lid') && lidUser && server !== 'lid') content.push({ tag: 'lid', attrs: { val: lidJid(lidUser) } });
  if (protocols.has('contact')) content.push({ tag: 'contact', attrs: { type: lidUser ? 'in' : 'out' } });
  return { tag: 'user', attrs: { jid: id }, content };
}

/** Answers `iq xmlns=usync`. */
export function answerUsync(iq: BinaryNode, ctx: StanzaContext, dir: DirectoryLookup): void {
  const usync = getBinaryNodeChild(iq, 'usync');
  const query = getBinaryNodeChild(usync, 'query');
  const protocols = new Set(Array.isArray(query?.content) ? query.content.map((c) => c.tag) : []);
  const users = getBinaryNodeChildren(getBinaryNodeChild(usync, 'list'), 'user').map((u) =>
    usyncUser(u.attrs.jid, Array.isArray(u.content) ? u.content : [], protocols, dir),
  );
  ctx.send(
    result(iq, [
      {
        tag: 'usync',
        attrs: { sid: usync?.attrs.sid ?? '', mode: usync?.attrs.mode ?? 'query', context: usync?.attrs.context ?? 'interactive', last: 'true' },
        content: [{ tag: 'result', attrs: {} }, { tag: 'list', attrs: {}, content: users }],
      },
    ]),
  );
}

/** Answers `iq xmlns=encrypt type=get <key>` with one prekey bundle per device asked for. */
/** A prekey bundle as WhatsApp writes it: registration, type, identity, skey, key. */
export function bundleNodes(b: ReturnType<SignalParty['bundle']>): BinaryNode[] {
  return [
    { tag: 'registration', attrs: {}, content: be(b.registrationId, 4) },
    { tag: 'type', attrs: {}, content: Buffer.from([5]) },
    { tag: 'identity', attrs: {}, content: Buffer.from(b.identityKey) },
    {
      tag: 'skey',
      attrs: {},
      content: [
        { tag: 'id', attrs: {}, content: be(b.signedPreKey.id, 3) },
        { tag: 'value', attrs: {}, content: Buffer.from(b.signedPreKey.publicKey) },
        { tag: 'signature', attrs: {}, content: Buffer.from(b.signedPreKey.signature) },
      ],
    },
    {
      tag: 'key',
      attrs: {},
      content: [
        { tag: 'id', attrs: {}, content: be(b.preKey.id, 3) },
        { tag: 'value', attrs: {}, content: Buffer.from(b.preKey.publicKey) },
      ],
    },
  ];
}

/**
 * What a phone that could not decrypt message `id` sends back: a retry receipt with
 * a fresh prekey bundle, so the sender (Baileys: `sendMessagesAgain`) builds a new
 * session and sends the message again.
 */
export function retryReceipt(party: { signal: SignalParty }, fromJid: string, id: string, count: number, t: number): BinaryNode {
  const [registration, ...keys] = bundleNodes(party.signal.bundle());
  return {
    tag: 'receipt',
    attrs: { from: fromJid, id, type: 'retry', t: String(t) },
    content: [
      { tag: 'retry', attrs: { count: String(count), id, t: String(t), v: '1' } },
      registration!,
      { tag: 'keys', attrs: {}, content: keys },
    ],
  };
}

export function answerKeyFetch(iq: BinaryNode, ctx: StanzaContext, dir: DirectoryLookup): void {
  const users = getBinaryNodeChildren(getBinaryNodeChild(iq, 'key'), 'user').map((u): BinaryNode => {
    const jid = u.attrs.jid ?? '';
    const { user, device, server } = splitJid(jid);
    const party = device === 0 ? dir.party(user, server) : undefined;
    if (!party) {
      return { tag: 'user', attrs: { jid }, content: [{ tag: 'error', attrs: { code: '404', text: 'item-not-found' } }] };
    }
    return { tag: 'user', attrs: { jid }, content: bundleNodes(party.signal.bundle()) };
  });
  ctx.send(result(iq, [{ tag: 'list', attrs: {}, content: users }]));
}

/** Answers `iq xmlns=privacy type=get` with WhatsApp's defaults (read receipts on). */
export function answerPrivacy(iq: BinaryNode, ctx: StanzaContext): void {
  const settings: Record<string, string> = {
    readreceipts: 'all',
    last: 'all',
    online: 'all',
    profile: 'all',
    status: 'all',
    groupadd: 'all',
    calladd: 'all',
  };
  const categories = Object.entries(settings).map(([name, value]): BinaryNode => ({ tag: 'category', attrs: { name, value } }));
  ctx.send(result(iq, [{ tag: 'privacy', attrs: {}, content: categories }]));
}
