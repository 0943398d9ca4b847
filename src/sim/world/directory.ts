/**
 * The world's phone book: every simulated party (contacts and each account's
 * primary phone) by phone-number user and by LID user, plus the LIDs handed out.
 */
import type { SimCompanion, SimHub } from '../hub.js';
import type { Party } from './messages.js';

export class Directory {
  private readonly byUser = new Map<string, Party>();
  private nextLid = 200000000000001;

  constructor(private readonly hub: SimHub) {}

  /** A fresh LID user part for a new contact. */
  allocateLid(): string {
    return String(this.nextLid++);
  }

  add(party: Party): void {
    this.byUser.set(party.pnUser, party);
    this.byUser.set(party.lidUser, party);
  }

  /** The party of a user part (phone number or LID). */
  get(user: string): Party | undefined {
    return this.byUser.get(user);
  }

  /** The linked companion whose phone number or LID user is `user`. */
  companionOf(user: string): SimCompanion | undefined {
    const direct = this.hub.companions.get(user);
    if (direct) return direct;
    for (const c of this.hub.companions.values()) if (c.lidUser === user) return c;
    return undefined;
  }
}

/** `15551112222:3@s.whatsapp.net` → `{ user: '15551112222', device: 3, server: 's.whatsapp.net' }`. */
export function splitJid(jid: string): { user: string; device: number; server: string } {
  const [userPart = '', server = ''] = jid.split('@');
  const [user = '', device = '0'] = userPart.split(':');
  return { user, device: Number(device) || 0, server };
}
