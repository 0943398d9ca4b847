/**
 * The sandbox (`wagate sandbox`): the real gateway, with the real Baileys
 * transport, against the built-in simulator, in a throwaway state dir. The
 * account is linked automatically (the simulated phone scans the QR) and the
 * user plays contacts and groups; everything the gateway does back — read
 * receipts, ack reactions, typing, replies — is reported as it happens.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { parseConfigText, readConfigText, validateConfig, type WagateConfigInput } from '../config/index.js';
import { startLogin, waitForLink } from '../gateway/login.js';
import { startGateway, type Gateway } from '../gateway/supervisor.js';
import { startSimulator, type Simulator } from '../sim/index.js';
import { configFile } from '../state-layout.js';
import type { SimContact, SimGroup } from '../sim/index.js';
import { toE164 } from '../whatsapp/address.js';
import { createBaileysTransportFactory } from '../whatsapp/index.js';

export const SANDBOX_PHONE = '+15550000001';
export const SANDBOX_CONTACT = '+15551234567';

/** The sandbox's own defaults: everyone may talk to the echo agent, with an ack reaction. */
export const SANDBOX_CONFIG: WagateConfigInput = {
  channels: {
    whatsapp: {
      dmPolicy: 'open',
      allowFrom: ['*'],
      groupPolicy: 'open',
      ackReaction: { emoji: '👀', direct: true, group: 'mentions' },
    },
  },
  logging: { level: 'info' },
};

export type SandboxEvent =
  | { type: 'qr'; qr: string }
  /** `/login-code`: the pairing code the simulated phone is about to enter. */
  | { type: 'code'; code: string }
  | { type: 'linked'; e164: string | null }
  /** A contact wrote: `to` is the gateway's linked number for a DM, the group's name in a group. */
  | { type: 'sent'; from: string; to: string; chat: string; text: string; id: string }
  | { type: 'read'; chat: string; ids: string[] }
  | { type: 'reaction'; chat: string; emoji: string; id: string }
  | { type: 'typing'; chat: string }
  | { type: 'reply'; chat: string; text: string }
  | { type: 'info'; text: string };

export interface SandboxOptions {
  /** State dir to use (kept); default a temp dir removed on close. */
  stateDir?: string;
  logger: Logger;
  onEvent(ev: SandboxEvent): void;
}

export class Sandbox {
  private sim!: Simulator;
  gateway!: Gateway;
  private readonly contacts = new Map<string, SimContact>();
  private readonly groups = new Map<string, SimGroup>();
  private readonly seen = new WeakMap<SimContact, { inbox: number; receipts: number; reactions: number; presence: number }>();
  private poller: NodeJS.Timeout | null = null;
  private tempDir: string | null = null;
  stateDir = '';

  constructor(private readonly opts: SandboxOptions) {}

  async start(): Promise<void> {
    this.sim = await startSimulator({ port: 0, host: '127.0.0.1' });
    this.stateDir = this.opts.stateDir ?? (this.tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wagate-sandbox-')));
    fs.mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
    const configPath = configFile(this.stateDir);
    const text = readConfigText(configPath);
    const raw = (text === null ? SANDBOX_CONFIG : parseConfigText(text, configPath)) as WagateConfigInput;
    // The sandbox always talks to its own simulator, and never takes the real gateway's port.
    const config = validateConfig({ ...raw, web: { ...(raw.web ?? {}), url: this.sim.url, versionUrl: this.sim.versionUrl } }, configPath);
    const env = { ...process.env, WAGATE_HOME: this.stateDir };
    this.gateway = await startGateway({
      config,
      configPath,
      stateDir: this.stateDir,
      env,
      transport: createBaileysTransportFactory({ config, env, logger: this.opts.logger }),
      logger: this.opts.logger,
      port: 0,
    });
    this.poller = setInterval(() => this.poll(), 50);
  }

  /** Link the default account: the QR is reported, then the simulated phone scans it. */
  async link(): Promise<void> {
    const [accountId] = this.gateway.accounts.keys();
    if (!accountId) throw new Error('the sandbox config enables no account');
    const rt = this.gateway.accounts.get(accountId)!;
    let scanned = false;
    const start = startLogin(rt);
    const identity =
      start.status === 'already-linked'
        ? await waitForLink(rt, this.gateway.bus, { timeoutMs: 30_000 })
        : await waitForLink(rt, this.gateway.bus, {
            timeoutMs: 30_000,
            onQr: (qr) => {
              this.opts.onEvent({ type: 'qr', qr });
              if (!scanned) {
                scanned = true;
                void this.sim.phone(SANDBOX_PHONE).scanQr(qr);
              }
            },
          });
    this.opts.onEvent({ type: 'linked', e164: identity.e164 });
  }

  /**
   * `/login-code`: unlink the sandbox account, then link it again by pairing code
   * (as `wagate channels login --phone`); the simulated phone enters the code.
   */
  async linkByCode(): Promise<void> {
    const [accountId] = this.gateway.accounts.keys();
    const rt = this.gateway.accounts.get(accountId!)!;
    await rt.logout();
    let entered: Promise<unknown> | null = null;
    startLogin(rt, { phone: SANDBOX_PHONE });
    const identity = await waitForLink(rt, this.gateway.bus, {
      timeoutMs: 30_000,
      onCode: (code) => {
        this.opts.onEvent({ type: 'code', code });
        entered ??= this.sim.phone(SANDBOX_PHONE).enterPairingCode(code.replace('-', ''));
      },
    });
    await entered;
    this.opts.onEvent({ type: 'linked', e164: identity.e164 });
  }

  contact(e164: string): SimContact {
    let c = this.contacts.get(e164);
    if (!c) {
      c = this.sim.contact(e164, { name: e164 === SANDBOX_CONTACT ? 'Alice' : undefined });
      this.contacts.set(e164, c);
      this.seen.set(c, { inbox: 0, receipts: 0, reactions: 0, presence: 0 });
    }
    return c;
  }

  /** The group named `name` (created with the default contact on first use). */
  group(name: string): SimGroup {
    let g = this.groups.get(name);
    if (!g) {
      g = this.sim.group({ subject: name, participants: [this.contact(SANDBOX_CONTACT)] });
      this.groups.set(name, g);
    }
    return g;
  }

  /** Run one sandbox command line (see HELP). */
  async run(line: string): Promise<void> {
    const text = line.trim();
    if (!text) return;
    const as = /^\/as\s+(\S+)\s+([\s\S]+)$/.exec(text);
    const asNumber = as ? toE164(as[1]!) : null;
    const grp = /^\/group\s+(\S+)\s+([\s\S]+)$/.exec(text);
    if (as && asNumber) return this.say(asNumber, as[2]!);
    if (grp) return this.sayInGroup(grp[1]!, grp[2]!);
    if (text === '/login-code') return this.linkByCode();
    if (text.startsWith('/')) {
      this.opts.onEvent({ type: 'info', text: `unknown sandbox command: ${text.split(/\s/)[0]} (try /help)` });
      return;
    }
    return this.say(SANDBOX_CONTACT, text);
  }

  /** The gateway account's linked number (what a contact writes to). */
  private gatewayNumber(): string {
    const me = [...this.gateway.accounts.values()][0]?.context.identity;
    if (me?.e164) return me.e164;
    return me ? `+${me.jid.split(/[:@]/)[0]}` : SANDBOX_PHONE;
  }

  private async say(e164: string, text: string): Promise<void> {
    const id = await this.contact(e164).send(text);
    this.opts.onEvent({ type: 'sent', from: e164, to: this.gatewayNumber(), chat: e164, text, id });
  }

  private async sayInGroup(name: string, text: string): Promise<void> {
    const me = [...this.gateway.accounts.values()][0]?.context.identity;
    const botUser = me?.jid.split(/[:@]/)[0];
    const mentions = text.includes('@bot') && botUser ? [`${botUser}@s.whatsapp.net`] : [];
    const body = botUser ? text.replace(/@bot\b/g, `@${botUser}`) : text;
    const alice = this.contact(SANDBOX_CONTACT);
    const id = await this.group(name).send(alice, body, { mentions });
    this.opts.onEvent({ type: 'sent', from: SANDBOX_CONTACT, to: name, chat: name, text: body, id });
  }

  /** Report what the gateway did back to the simulated contacts. */
  private poll(): void {
    for (const [e164, c] of this.contacts) {
      const s = this.seen.get(c)!;
      for (; s.receipts < c.receipts.length; s.receipts++) {
        const r = c.receipts[s.receipts]!;
        if (r.type === 'read') this.opts.onEvent({ type: 'read', chat: e164, ids: r.ids });
      }
      for (; s.reactions < c.reactions.length; s.reactions++) {
        const r = c.reactions[s.reactions]!;
        this.opts.onEvent({ type: 'reaction', chat: e164, emoji: r.emoji, id: r.id });
      }
      for (; s.presence < c.presence.length; s.presence++) {
        if (c.presence[s.presence]!.state === 'composing') this.opts.onEvent({ type: 'typing', chat: e164 });
      }
      for (; s.inbox < c.inbox.length; s.inbox++) {
        const m = c.inbox[s.inbox]!;
        const text = m.message.conversation ?? m.message.extendedTextMessage?.text;
        if (text === undefined || text === null) continue;
        const group = [...this.groups.entries()].find(([, g]) => g.jid === m.chat);
        this.opts.onEvent({ type: 'reply', chat: group ? group[0] : e164, text });
      }
    }
  }

  async close(): Promise<void> {
    if (this.poller) clearInterval(this.poller);
    this.poll();
    await this.gateway?.stop('sandbox closing');
    await this.sim?.close();
    if (this.tempDir) fs.rmSync(this.tempDir, { recursive: true, force: true });
  }
}

export const HELP = [
  'Type a message and press Enter: Alice (+15551234567) sends it to the gateway.',
  '  /as +15557654321 hi        another contact writes',
  '  /group team @bot question  Alice writes in group "team" (@bot mentions the gateway)',
  '  /login-code                link the account again by pairing code (the phone enters it)',
  '  /help                      this text;   /quit  leave',
].join('\n');
