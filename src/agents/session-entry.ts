/** One turn of an agent session, as the session store keeps it (append-only JSONL). */
export interface SessionEntry {
  role: 'user' | 'assistant';
  text: string;
  /** ms since the epoch. */
  at: number;
  /** WhatsApp message id of a user turn. */
  messageId?: string;
  chatJid?: string;
  /** Who wrote a user turn: `Name (+E164)`, the E.164, or the JID. */
  sender?: string;
}
