/**
 * The WhatsApp Web version our connections announce: the one Baileys bundles
 * (`DEFAULT_CONNECTION_CONFIG.version`; wagate does not fetch the latest). The
 * metrics show it as `wagate_whatsapp_web_version_info`.
 */
import { DEFAULT_CONNECTION_CONFIG } from '@whiskeysockets/baileys';

/** e.g. `2.3000.1043857760`. */
export function bundledWebVersion(): string {
  return DEFAULT_CONNECTION_CONFIG.version.join('.');
}
