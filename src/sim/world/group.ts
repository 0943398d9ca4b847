/**
 * A simulated group: simulated contacts plus the linked account(s) as members.
 * Members send with sender keys (`skmsg`, the distribution message first in a
 * `pkmsg`/`msg`); the account's group sends are opened by every member; the
 * client's `iq xmlns=w:g2` metadata queries are answered from here.
 */
import type { BinaryNode, proto } from '@whiskeysockets/baileys';
import { Inbox, type SimContact } from './contact.js';
import type { SimCompanion, SimHub } from '../hub.js';
import { groupStanza, lidJid, pnJid, type ReceivedMessage } from './messages.js';
import * as out from './outgoing.js';

export interface GroupDeps {
  hub: SimHub;
  now: () => number;
  /** Linked companions that are members (resolved at send time). */
  accounts(): SimCompanion[];
}

export class SimGroup {
  readonly jid: string;
  private readonly feed = new Inbox<ReceivedMessage>();
  /** What the linked account sent to the group (as opened by the first member). */
  readonly inbox = this.feed.items;
  /** How many metadata queries (`iq xmlns=w:g2 type=get` to this group) the simulator answered. */
  metadataQueries = 0;
  /** Ids of this group's notifications the account acknowledged (it handled them). */
  readonly notificationAcks: string[] = [];
  /** `${memberUser}>${companionJid}`: the companion already has that member's sender key. */
  private readonly keyShared = new Set<string>();
  readonly creation: number;

  constructor(
    readonly id: string,
    public subject: string,
    readonly participants: SimContact[],
    private readonly deps: GroupDeps,
  ) {
    this.jid = `${id}@g.us`;
    this.creation = Math.floor(deps.now() / 1000);
  }

  isMember(user: string): boolean {
    return this.participants.some((p) => p.pnUser === user || p.lidUser === user);
  }

  /** `from` sends text to the group (to every linked member account); returns the id. */
  send(from: SimContact, text: string, opts: { mentions?: string[] } = {}): Promise<string> {
    return this.sendMessage(from, out.text(text, opts.mentions));
  }

  /** `from` sends any message to the group; returns the stanza id. */
  async sendMessage(from: SimContact, message: proto.IMessage): Promise<string> {
    if (!this.participants.includes(from)) throw new Error(`sim: ${from.pnUser} is not in group ${this.subject}`);
    const id = this.deps.hub.nextId();
    const t = Math.floor(this.deps.now() / 1000);
    for (const companion of this.deps.accounts()) {
      const shareKey = `${from.pnUser}>${companion.jid}`;
      const withSenderKey = !this.keyShared.has(shareKey);
      const stanza = await groupStanza(from, companion, this.jid, message, { id, t, withSenderKey });
      this.keyShared.add(shareKey);
      this.deps.hub.deliver(companion.user, stanza);
    }
    return id;
  }

  /**
   * `contact` joins the group (added by its first member): each linked member account
   * gets the `w:gp2` `<add>` notification WhatsApp sends, so its metadata is stale.
   */
  add(contact: SimContact): void {
    if (this.participants.includes(contact)) return;
    this.participants.push(contact);
    this.notify({ tag: 'add', attrs: {}, content: [{ tag: 'participant', attrs: { jid: pnJid(contact.pnUser), lid: lidJid(contact.lidUser) } }] });
  }

  /** The group gets a new subject (set by its first member); member accounts are notified (`w:gp2` `<subject>`). */
  rename(subject: string): void {
    this.subject = subject;
    const by = pnJid(this.participants[0]!.pnUser);
    this.notify({ tag: 'subject', attrs: { subject, s_o: by, s_t: String(Math.floor(this.deps.now() / 1000)) } });
  }

  /** A `w:gp2` notification about this group, from its first member, to every member account. */
  private notify(change: BinaryNode): void {
    const t = String(Math.floor(this.deps.now() / 1000));
    const by = this.participants[0]!;
    for (const companion of this.deps.accounts()) {
      this.deps.hub.deliver(companion.user, {
        tag: 'notification',
        attrs: { from: this.jid, type: 'w:gp2', id: this.deps.hub.nextId(), t, participant: pnJid(by.pnUser) },
        content: [change],
      });
    }
  }

  /** The next message the linked account sent to this group. */
  nextMessage(timeoutMs = 5000): Promise<ReceivedMessage> {
    return this.feed.next(timeoutMs, `group message in ${this.subject}`);
  }

  /** Records a message the account sent here (once per stanza id). */
  record(msg: ReceivedMessage): void {
    if (!this.inbox.some((m) => m.id === msg.id)) this.feed.push(msg);
  }

  /** The `<group>` node of metadata answers. */
  metadataNode(): BinaryNode {
    const members: BinaryNode[] = this.participants.map((p) => ({
      tag: 'participant',
      attrs: { jid: pnJid(p.pnUser), lid: lidJid(p.lidUser) },
    }));
    const accounts = this.deps.accounts();
    for (const [i, c] of accounts.entries()) {
      const attrs: Record<string, string> = { jid: pnJid(c.user), lid: lidJid(c.lidUser) };
      if (i === 0) attrs.type = 'superadmin';
      members.push({ tag: 'participant', attrs });
    }
    const creator = accounts[0] ? pnJid(accounts[0].user) : members[0]?.attrs.jid ?? '';
    return {
      tag: 'group',
      attrs: {
        id: this.id,
        subject: this.subject,
        s_t: String(this.creation),
        s_o: creator,
        creation: String(this.creation),
        creator,
        addressing_mode: 'pn',
        size: String(members.length),
      },
      content: members,
    };
  }
}
