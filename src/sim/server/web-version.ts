/**
 * WhatsApp Web's version, as the simulator plays it: `GET /sw.js` on the server's HTTP
 * side answers with a `client_revision` (written as in the real service worker, inside
 * an escaped JSON string), and a login whose `ClientPayload` announces a version below
 * `minimum` is refused with `<failure reason="405">` (Baileys closes with 405, "client
 * outdated"). Baileys sends its version as `userAgent.appVersion {primary, secondary,
 * tertiary}` in every ClientPayload (Utils/validate-connection.js).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_CONNECTION_CONFIG, type proto } from '@whiskeysockets/baileys';

/** By default sw.js serves a revision newer than Baileys' bundled one, so "fetched" is visible. */
export const SIM_CLIENT_REVISION = DEFAULT_CONNECTION_CONFIG.version[2] + 1000;

export class SimWebVersion {
  /** The `client_revision` sw.js serves; null: sw.js answers HTTP 500. */
  revision: number | null = SIM_CLIENT_REVISION;
  /** Logins announcing a version below `[2, 3000, minimum]` are refused with 405; null: none are. */
  minimum: number | null = null;
  /** How many times sw.js was asked for. */
  fetches = 0;
  /** The version (`2.3000.N`) each client hello announced, in order. */
  readonly seen: string[] = [];

  /** Answers `GET /sw.js`; false for any other request. */
  serve(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/sw.js') return false;
    this.fetches += 1;
    if (this.revision === null) {
      res.writeHead(500).end();
      return true;
    }
    const data = JSON.stringify(JSON.stringify({ dynamic_data: { SiteData: { server_revision: this.revision, client_revision: this.revision } } }));
    res.writeHead(200, { 'content-type': 'application/javascript' }).end(`/* wagate simulator */\nself.__swData=JSON.parse(${data});\n`);
    return true;
  }

  /** Record the version a hello announced; true when it is below the minimum (refuse it). */
  refuses(payload: proto.ClientPayload): boolean {
    const v = payload.userAgent?.appVersion;
    const version = [v?.primary ?? 0, v?.secondary ?? 0, v?.tertiary ?? 0];
    this.seen.push(version.join('.'));
    if (this.minimum === null) return false;
    const min = [2, 3000, this.minimum];
    for (let i = 0; i < 3; i++) if (version[i] !== min[i]) return version[i]! < min[i]!;
    return false;
  }
}
