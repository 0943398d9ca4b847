/**
 * The few Baileys values the auth store needs, imported from their own modules the way
 * Baileys' `useMultiFileAuthState` does, not from the package root: opening a store
 * (the CLI's status/logout, the crash-test child) then skips loading the socket stack,
 * ~0.1 CPU-s per process. Baileys is pinned; the compatibility test in
 * `test/whatsapp/auth-store-layout.test.ts` checks these against the root exports.
 */
export { BufferJSON } from '@whiskeysockets/baileys/lib/Utils/generics.js';
export { initAuthCreds } from '@whiskeysockets/baileys/lib/Utils/auth-utils.js';
export { proto } from '@whiskeysockets/baileys/WAProto/index.js';
