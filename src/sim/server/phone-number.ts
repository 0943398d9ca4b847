/** Phone user parts, as the simulator keys its accounts. */

/** `+15550000001`, `15550000001:2@s.whatsapp.net` … → `15550000001`. */
export function toUser(userOrE164: string): string {
  return userOrE164.replace(/^\+/, '').replace(/[:@].*$/, '');
}
