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
import { bundledWebVersion } from './web-version.js';

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
  return {
    webVersion: bundledWebVersion(),
    create(accountId: string, deps: TransportDeps): AccountTransport {
      const acc = resolveAccount(opts.config, accountId, { env: opts.env });
      const configuredDir = opts.config.channels.whatsapp.accounts?.[accountId]?.authDir;
      return new BaileysAccountTransport({
        accountId,
        store: deps.store,
        url: opts.config.web.url,
        deviceName: opts.config.web.deviceName,
        ...(acc.proxy ? { proxy: acc.proxy } : {}),
        ...(acc.rejectCalls ? { rejectCalls: acc.rejectCallMessage ? { message: acc.rejectCallMessage } : {} } : {}),
        logger: subLogger(opts.logger, 'whatsapp', accountId),
        keepAliveIntervalMs: opts.keepAliveIntervalMs,
        authDir: async () =>
          (await resolveAuthDir({ stateDir: state, accountId, authDir: configuredDir ? acc.authDir : undefined, isDefault: accountId === def })).dir,
      });
    },
  };
}

export { jidToE164, toChatJid, parseAddress, parseChat, isGroupJid, isLidJid, isBroadcastJid, isSelf } from './address.js';
