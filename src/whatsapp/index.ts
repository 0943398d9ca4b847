/**
 * src/whatsapp: the only code that imports Baileys. The gateway gets a
 * TransportFactory from here.
 */
import type { Logger } from 'pino';
import { defaultAccountId, resolveAccount, stateDir, type WagateConfig } from '../config/index.js';
import { subLogger } from '../log.js';
import type { AccountTransport, TransportDeps, TransportFactory } from '../ports/transport.js';
import { resolveAuthDir } from './auth-layout.js';
import { BaileysAccountTransport } from './baileys-transport.js';
import { routeLibsignalConsole } from './libsignal-console.js';
import { WebVersionResolver } from './web-version.js';
import type { Store } from '../store/port.js';

export interface BaileysFactoryOptions {
  config: WagateConfig;
  env: Record<string, string | undefined>;
  logger: Logger;
  keepAliveIntervalMs?: number;
}

export function createBaileysTransportFactory(opts: BaileysFactoryOptions): TransportFactory {
  routeLibsignalConsole(opts.logger);
  const state = stateDir(opts.env);
  const def = defaultAccountId(opts.config);
  // One WhatsApp Web version resolver per store: every account shares its fetch and cache.
  const resolvers = new WeakMap<Store, WebVersionResolver>();
  const versions = (store: Store): WebVersionResolver => {
    let r = resolvers.get(store);
    if (!r) resolvers.set(store, (r = webVersionResolver(opts, store)));
    return r;
  };
  return {
    create(accountId: string, deps: TransportDeps): AccountTransport {
      const acc = resolveAccount(opts.config, accountId, { env: opts.env });
      // The closures below keep only what they need, not the whole resolved account (200 accounts: issue 12).
      const authDir = opts.config.channels.whatsapp.accounts?.[accountId]?.authDir ? acc.authDir : undefined;
      const isDefault = accountId === def;
      return new BaileysAccountTransport({
        accountId,
        store: deps.store,
        url: opts.config.web.url,
        deviceName: opts.config.web.deviceName,
        ...(acc.proxy ? { proxy: acc.proxy } : {}),
        webVersions: versions(deps.store),
        ...(acc.rejectCalls ? { rejectCalls: acc.rejectCallMessage ? { message: acc.rejectCallMessage } : {} } : {}),
        logger: subLogger(opts.logger, 'whatsapp', accountId),
        keepAliveIntervalMs: opts.keepAliveIntervalMs,
        authDir: async () => (await resolveAuthDir({ stateDir: state, accountId, authDir, isDefault })).dir,
      });
    },
  };
}

/** The WhatsApp Web version resolver the config asks for (`web.version`, `web.versionUrl`). */
export function webVersionResolver(opts: Pick<BaileysFactoryOptions, 'config' | 'logger'>, store: Store): WebVersionResolver {
  const { version, versionUrl } = opts.config.web;
  return new WebVersionResolver({ configured: version, url: versionUrl, store, logger: subLogger(opts.logger, 'whatsapp') });
}

export { bundledWebVersion, versionInUse } from './web-version.js';
export { jidToE164, toChatJid, parseAddress, parseChat, isGroupJid, isLidJid, isBroadcastJid, isSelf } from './address.js';
