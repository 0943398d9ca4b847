/**
 * The simulated world around the linked accounts: contacts, groups, each
 * account's primary phone, the media host, and the hub handlers for what the
 * client sends them (messages, receipts, chat states, usync / prekey / group /
 * media_conn / privacy iqs).
 */
import { getBinaryNodeChild, type BinaryNode } from '@whiskeysockets/baileys';
import { pino, type Logger } from 'pino';
import { SimContact } from './contact.js';
import { Directory, splitJid } from './directory.js';
import { SimGroup } from './group.js';
import type { SimCompanion, SimHub, StanzaContext, UploadedKeys } from '../hub.js';
import { MediaHost } from './media-host.js';
import { addressedEncs, isOnlySenderKey, openDirect, openGroup } from './messages.js';
import { PrimaryPhone } from './primary-phone.js';
import { answerAppStateSync } from './app-state.js';
import { parseRetryKeys } from '../key-bundle.js';
import { answerKeyFetch, answerPrivacy, answerUsync, retryReceipt, type DirectoryLookup } from './usync.js';

/** How many times a simulated phone asks for one message again (Baileys sends at most 5). */
const MAX_RETRY_RECEIPTS = 3;

export interface WorldOptions {
  logger?: Logger;
  /** Wall clock in ms (default Date.now). */
  now?: () => number;
  /** Interface the media host listens on (default 127.0.0.1). */
  host?: string;
  /** See `SimulatorOptions.initialSync`. */
  initialSync?: 'after-link' | 'never';
}

export interface ContactOptions {
  name?: string;
  /** The account (phone number) this contact talks to by default; else the first linked one. */
  to?: string;
}

export interface GroupOptions {
  subject: string;
  participants: SimContact[];
  /** Member accounts (phone numbers); default: every linked account. */
  accounts?: string[];
}

export interface SimWorld {
  contact(e164: string, opts?: ContactOptions): SimContact;
  group(opts: GroupOptions): SimGroup;
  /** The primary phone (device 0) of a linked account. */
  primaryPhone(user: string): PrimaryPhone;
  readonly media: MediaHost;
  close(): Promise<void>;
}

const digits = (s: string): string => s.replace(/^\+/, '').replace(/[:@].*$/, '');

export async function createWorld(hub: SimHub, opts: WorldOptions = {}): Promise<SimWorld> {
  const log = opts.logger ?? pino({ level: 'silent' });
  const now = opts.now ?? Date.now;
  const dir = new Directory(hub);
  const phones = new Map<string, PrimaryPhone>();
  const groups = new Map<string, SimGroup>();
  const media = new MediaHost(opts.host);
  await media.start();
  let nextGroup = 120363000000000001n;

  const target = (to?: string): SimCompanion => {
    const c = to ? dir.companionOf(digits(to)) : hub.companions.values().next().value;
    if (!c) throw new Error(to ? `sim: ${to} is not a linked account` : 'sim: no linked account yet');
    return c;
  };

  const phoneOf = (companion: SimCompanion): PrimaryPhone => {
    let phone = phones.get(companion.user);
    if (!phone) {
      phone = new PrimaryPhone(companion.user, companion.lidUser);
      phones.set(companion.user, phone);
      dir.add(phone);
    }
    return phone;
  };

  const contact = (e164: string, o: ContactOptions = {}): SimContact => {
    const user = digits(e164);
    const existing = dir.get(user);
    if (existing instanceof SimContact) return existing;
    const c = new SimContact(user, dir.allocateLid(), o.name, { hub, media, now, target }, o.to);
    dir.add(c);
    return c;
  };

  const lookup: DirectoryLookup = {
    companionOf: (user) => dir.companionOf(user),
    party: (user, server) => {
      const companion = dir.companionOf(user);
      if (companion) return phoneOf(companion);
      return dir.get(user) ?? (server === 's.whatsapp.net' ? contact(user) : undefined);
    },
  };

  const groupAccounts = (accounts?: string[]) => (): SimCompanion[] =>
    accounts
      ? accounts.map((a) => dir.companionOf(digits(a))).filter((c): c is SimCompanion => !!c)
      : [...hub.companions.values()];

  const group = (o: GroupOptions): SimGroup => {
    const id = String(nextGroup++);
    const g = new SimGroup(id, o.subject, o.participants, { hub, now, accounts: groupAccounts(o.accounts) });
    groups.set(g.jid, g);
    return g;
  };

  /** Retry receipts sent per message id (a real phone gives up after a few). */
  const retries = new Map<string, number>();
  async function onMessage(node: BinaryNode, ctx: StanzaContext): Promise<boolean> {
    const to = node.attrs.to ?? '';
    const id = node.attrs.id ?? '';
    const from = ctx.companion.jid;
    const at = now();
    const { user, server } = splitJid(to);
    try {
      if (server === 'g.us') {
        const g = groups.get(to);
        // sender keys first (pkmsg/msg per member device), then the skmsg for every member
        for (const { jid, enc } of addressedEncs(node)) {
          const party = dir.get(splitJid(jid).user);
          if (party) await openDirect(party, from, enc);
        }
        const sk = getBinaryNodeChild(node, 'enc');
        if (g && sk) {
          for (const member of g.participants) {
            const message = await openGroup(member, to, from, sk);
            const rec = { id, message, from, chat: to, at };
            member.receive(rec);
            g.record(rec);
          }
        }
      } else {
        // Each recipient device on its own: one copy that cannot be opened (say, the
        // phone's) must not cost the others theirs.
        for (const { jid, enc } of addressedEncs(node)) {
          const party = dir.get(splitJid(jid).user);
          if (!party) continue;
          try {
            const message = await openDirect(party, from, enc);
            if (isOnlySenderKey(message)) continue;
            const chat = party.kind === 'phone' ? `${user}@${server}` : to;
            party.receive({ id, message, from, chat, at });
            retries.delete(id);
          } catch (err) {
            // As a real phone does: ask the sender to try again with a fresh session.
            const count = (retries.get(id) ?? 0) + 1;
            retries.set(id, count);
            log.warn({ err: (err as Error).message, id, to, device: jid, count }, 'sim world: could not open a message copy; asking for a retry');
            if (party instanceof SimContact && count <= MAX_RETRY_RECEIPTS) {
              ctx.send(retryReceipt(party, party.jid, id, count, Math.floor(now() / 1000)));
            }
          }
        }
      }
    } catch (err) {
      log.warn({ err, id, to }, 'sim world: could not open a message from the client');
    }
    ctx.send({ tag: 'ack', attrs: { id, class: 'message', from: to, t: String(Math.floor(at / 1000)) } });
    return true;
  }

  function onReceipt(node: BinaryNode, ctx: StanzaContext): boolean {
    const to = node.attrs.to ?? '';
    const target = splitJid(node.attrs.participant ?? to).user;
    const party = dir.get(target);
    if (party instanceof SimContact) {
      const ids = [node.attrs.id ?? ''];
      const list = getBinaryNodeChild(node, 'list');
      if (Array.isArray(list?.content)) for (const item of list.content) if (item.attrs.id) ids.push(item.attrs.id);
      const type = node.attrs.type;
      party.receipts.push({ ids, type: !type || type === 'inactive' ? 'delivery' : type, at: now() });
      if (type === 'retry' && !node.attrs.participant) resend(party, node, ctx);
    }
    return false; // the hub acks it
  }

  /**
   * A phone answers a retry receipt by sending the message again on a new session: built
   * from the receipt's key bundle (Baileys includes one from the second retry on), else —
   * like whatsmeow — from the prekeys the server holds for the companion.
   */
  function resend(contact: SimContact, receipt: BinaryNode, ctx: StanzaContext): void {
    const id = receipt.attrs.id ?? '';
    const keys: UploadedKeys | undefined = getBinaryNodeChild(receipt, 'keys') ? parseRetryKeys(receipt) : ctx.companion.keys;
    if (!keys) {
      log.warn({ id }, 'sim world: a retry receipt, but no keys to build a new session with; not resending');
      return;
    }
    contact.resendAfterRetry(id, ctx.companion, keys).catch((err: unknown) => log.warn({ err, id }, 'sim world: resending after a retry receipt failed'));
  }

  /** The account answered a call: a `<reject call-id>` is recorded on the caller. */
  function onCall(node: BinaryNode, ctx: StanzaContext): boolean {
    const party = dir.get(splitJid(node.attrs.to ?? '').user);
    const reject = getBinaryNodeChild(node, 'reject');
    if (party instanceof SimContact && reject?.attrs['call-id']) party.rejectedCalls.push(reject.attrs['call-id']);
    ctx.send({ tag: 'ack', attrs: { id: node.attrs.id ?? '', class: 'call', from: node.attrs.to ?? '', t: String(Math.floor(now() / 1000)) } });
    return true;
  }

  function onChatstate(node: BinaryNode): boolean {
    const party = dir.get(splitJid(node.attrs.to ?? '').user);
    const state = Array.isArray(node.content) ? node.content[0] : undefined;
    if (party instanceof SimContact && state) {
      party.presence.push({ state: state.attrs.media === 'audio' ? 'recording' : state.tag, at: now() });
    }
    return true;
  }

  function onIq(node: BinaryNode, ctx: StanzaContext): boolean {
    const { xmlns, type } = node.attrs;
    const first = Array.isArray(node.content) ? node.content[0]?.tag : undefined;
    if (xmlns === 'usync') return answerUsync(node, ctx, lookup), true;
    if (xmlns === 'encrypt' && type === 'get' && first === 'key') return answerKeyFetch(node, ctx, lookup), true;
    if (xmlns === 'privacy' && type === 'get') return answerPrivacy(node, ctx), true;
    if (xmlns === 'w:sync:app:state') return answerAppStateSync(node, ctx), true;
    if (xmlns === 'w:m' && first === 'media_conn') {
      ctx.send({
        tag: 'iq',
        attrs: { id: node.attrs.id ?? '', type: 'result', from: 's.whatsapp.net' },
        content: [
          {
            tag: 'media_conn',
            attrs: { auth: 'sim-media-auth', ttl: '3600', auth_ttl: '3600', max_buckets: '1' },
            content: [{ tag: 'host', attrs: { hostname: media.uploadHost, maxContentLengthBytes: '104857600' } }],
          },
        ],
      });
      return true;
    }
    if (xmlns === 'w:g2' && type === 'get') return answerGroupQuery(node, ctx), true;
    return false;
  }

  function answerGroupQuery(node: BinaryNode, ctx: StanzaContext): void {
    const to = node.attrs.to ?? '';
    const base = { id: node.attrs.id ?? '', type: 'result', from: to };
    if (getBinaryNodeChild(node, 'participating')) {
      const mine = [...groups.values()].filter((g) => isAccountIn(g, ctx.companion));
      ctx.send({ tag: 'iq', attrs: base, content: [{ tag: 'groups', attrs: {}, content: mine.map((g) => g.metadataNode()) }] });
      return;
    }
    const g = groups.get(to);
    if (g) g.metadataQueries += 1;
    const content: BinaryNode[] = g
      ? [g.metadataNode()]
      : [{ tag: 'error', attrs: { code: '404', text: 'item-not-found' } }];
    ctx.send({ tag: 'iq', attrs: { ...base, type: g ? 'result' : 'error' }, content });
  }

  const isAccountIn = (g: SimGroup, c: SimCompanion): boolean =>
    (g.metadataNode().content as BinaryNode[]).some((p) => p.attrs.jid === `${c.user}@s.whatsapp.net`);

  /** The account acknowledged a stanza: retry receipts are recorded on their contact, group notifications on their group. */
  function onAck(node: BinaryNode): boolean {
    const { class: cls, type, to, id } = node.attrs;
    const party = dir.get(splitJid(to ?? '').user);
    if (cls === 'receipt' && type === 'retry' && party instanceof SimContact && id) party.retryAcks.push(id);
    if (cls === 'notification' && id) groups.get(to ?? '')?.notificationAcks.push(id);
    return false;
  }

  hub.onStanza('iq', onIq);
  hub.onStanza('ack', onAck);
  hub.onStanza('message', onMessage);
  hub.onStanza('receipt', onReceipt);
  hub.onStanza('chatstate', onChatstate);
  hub.onStanza('call', onCall);
  hub.onCompanionLogin(async (companion, { firstLogin }) => {
    const phone = phoneOf(companion);
    phone.attach(hub, companion);
    if (firstLogin && opts.initialSync !== 'never') await phone.afterLink(hub, companion, now());
  });

  return {
    contact,
    group,
    primaryPhone: (user) => {
      const c = dir.companionOf(digits(user));
      if (!c) throw new Error(`sim: ${user} is not a linked account`);
      return phoneOf(c);
    },
    media,
    close: () => media.close(),
  };
}
