/**
 * App-state sync answers: the simulated account has no app-state patches, so
 * every `iq xmlns=w:sync:app:state` gets each asked collection back at the
 * version the client named, with no patches and no more to come.
 */
import { getBinaryNodeChild, getBinaryNodeChildren, type BinaryNode } from '@whiskeysockets/baileys';
import type { StanzaContext } from '../hub.js';

export function answerAppStateSync(iq: BinaryNode, ctx: StanzaContext): void {
  const asked = getBinaryNodeChildren(getBinaryNodeChild(iq, 'sync'), 'collection');
  const collections = asked.map((c): BinaryNode => {
    const sent = getBinaryNodeChild(c, 'patch') ? 1 : 0;
    const version = String(Number(c.attrs.version ?? '0') + sent);
    return { tag: 'collection', attrs: { name: c.attrs.name ?? '', version, has_more_patches: 'false' } };
  });
  ctx.send({
    tag: 'iq',
    attrs: { id: iq.attrs.id ?? '', type: 'result', from: 's.whatsapp.net' },
    content: [{ tag: 'sync', attrs: {}, content: collections }],
  });
}
