/**
 * A fake transport for unit tests of the gateway: records every connection
 * attempt and lets the test play WhatsApp (qr, open, close, activity).
 */
import type {
  AccountTransport,
  Connection,
  ConnectionEvent,
  ConnectionListener,
  ConnectionMode,
  ConnectOptions,
  GroupInfo,
  LinkedIdentity,
  MessageRef,
  OutboundMedia,
  SendOptions,
  TransportFactory,
} from '../../src/ports/transport.js';

export class FakeConnection implements Connection {
  closed = false;
  /** Text sends, in order; `id` is the message id asked for (`opts.messageId`), if any. */
  readonly sent: { to: string; text: string; id?: string }[] = [];
  constructor(
    readonly mode: ConnectionMode,
    private readonly listener: ConnectionListener,
  ) {}
  emit(ev: ConnectionEvent): void {
    if (ev.type === 'close') this.closed = true;
    this.listener(ev);
  }
  open(e164 = '+15550000001'): void {
    this.emit({ type: 'open', identity: { jid: `${e164.slice(1)}:1@s.whatsapp.net`, e164 } });
  }
  /** Numbers a pairing code was asked for; the code answered is `pairingCode`. */
  readonly pairingRequests: string[] = [];
  pairingCode = 'ABCD1234';
  async requestPairingCode(phoneDigits: string): Promise<string> {
    this.pairingRequests.push(phoneDigits);
    return this.pairingCode;
  }
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listener({ type: 'close', code: 0, reason: 'closed by us' });
  }
  readonly reactions: { ref: MessageRef; emoji: string }[] = [];
  readonly reads: MessageRef[] = [];
  readonly presence: { chatJid: string; state: string }[] = [];
  groups: Record<string, GroupInfo> = {};
  /** Make the next sends fail with this error (one per entry). */
  failNext: Error[] = [];
  /** Called before each send (text or media); a test may block or fail it there. */
  beforeSend: (() => Promise<void>) | null = null;
  async sendText(to: string, text: string, opts?: SendOptions) {
    if (this.beforeSend) await this.beforeSend();
    const err = this.failNext.shift();
    if (err) throw err;
    this.sent.push({ to, text, ...(opts?.messageId ? { id: opts.messageId } : {}) });
    return { id: opts?.messageId ?? `FAKE${this.sent.length}` };
  }
  /** Media sends, in order (their ids continue the `sent` numbering: FAKEM<n>). */
  readonly media: { to: string; item: OutboundMedia; id?: string }[] = [];
  async sendMedia(to: string, item: OutboundMedia, opts?: SendOptions) {
    if (this.beforeSend) await this.beforeSend();
    const err = this.failNext.shift();
    if (err) throw err;
    this.media.push({ to, item, ...(opts?.messageId ? { id: opts.messageId } : {}) });
    return { id: opts?.messageId ?? `FAKEM${this.media.length}` };
  }
  async react(ref: MessageRef, emoji: string) {
    this.reactions.push({ ref, emoji });
  }
  async markRead(refs: MessageRef[]) {
    this.reads.push(...refs);
  }
  async sendPresence(chatJid: string, state: 'composing' | 'paused') {
    this.presence.push({ chatJid, state });
  }
  unlinked = false;
  async unlink(): Promise<void> {
    this.unlinked = true;
    await this.close();
  }
  probeMs = 7;
  async probe(): Promise<number> {
    return this.probeMs;
  }
  async groupMetadata(jid: string): Promise<GroupInfo> {
    const g = this.groups[jid];
    if (!g) throw new Error(`item-not-found: ${jid}`);
    return g;
  }
}

export class FakeAccountTransport implements AccountTransport {
  readonly connections: FakeConnection[] = [];
  loggedOut = 0;
  /** When set, reading the creds fails with it (an unreadable creds.json). */
  credsError: Error | null = null;
  /** What each `connect` was given (`ConnectOptions`), in order. */
  readonly connectOptions: Array<ConnectOptions | undefined> = [];
  constructor(
    readonly accountId: string,
    public creds: boolean,
  ) {}
  async hasCreds(): Promise<boolean> {
    if (this.credsError) throw this.credsError;
    return this.creds;
  }
  async savedIdentity(): Promise<LinkedIdentity | null> {
    return this.creds ? { jid: `15550000001:1@s.whatsapp.net`, e164: '+15550000001', lid: null, name: null } : null;
  }
  connect(mode: ConnectionMode, listener: ConnectionListener, opts?: ConnectOptions): Connection {
    const c = new FakeConnection(mode, listener);
    this.connections.push(c);
    this.connectOptions.push(opts);
    return c;
  }
  async logout(): Promise<string[]> {
    this.loggedOut += 1;
    this.creds = false;
    return [`/fake/${this.accountId}/creds.json`];
  }
  get current(): FakeConnection {
    const c = this.connections.at(-1);
    if (!c) throw new Error(`no connection attempt for ${this.accountId} yet`);
    return c;
  }
}

export class FakeTransportFactory implements TransportFactory {
  readonly accounts = new Map<string, FakeAccountTransport>();
  /** Per account: saved creds (true), none (false, the default), or the error reading them fails with. */
  constructor(private readonly linked: Record<string, boolean | Error> = {}) {}
  create(accountId: string): FakeAccountTransport {
    const found = this.linked[accountId] ?? false;
    const t = new FakeAccountTransport(accountId, found === true);
    if (found instanceof Error) t.credsError = found;
    this.accounts.set(accountId, t);
    return t;
  }
  get(accountId: string): FakeAccountTransport {
    const t = this.accounts.get(accountId);
    if (!t) throw new Error(`no transport for ${accountId}`);
    return t;
  }
}
