/**
 * What outbound media may read (SPEC §7, README "Security → Agent media").
 *
 * - Media an agent produces: local paths must lie, after every symlink and `..` is
 *   resolved (realpath), inside one of the media roots — `<state>/media/` plus
 *   `agents.defaults.mediaRoots` — and URLs may not reach loopback, private,
 *   link-local or metadata addresses unless `agents.defaults.mediaAllowPrivateUrls`.
 * - The local owner's `send` (control token holder, `wagate message send`): any
 *   path and any URL.
 * - Nobody, whatever the roots say: the gateway's own secrets — the credentials
 *   dir, `gateway.token`, the `whatsapp-*` stores, the config file, agent sessions,
 *   a `wagate.db`, each account's authDir — and `/proc` (the gateway's environment).
 *   The state-dir entries among them are `STATE_SECRETS` of src/state-layout.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AccountConfig, WagateConfig } from '../config/index.js';
import { resolveAgents } from '../config/index.js';
import { resolveUserPath } from '../config/paths.js';
import { sessionsDirFor } from '../agents/session-store.js';
import { isStateSecret, mediaDir } from '../state-layout.js';
import type { DownloadOptions } from './download.js';

export interface MediaAccess {
  /** Where local media may come from; null = anywhere (the local owner). */
  roots: readonly string[] | null;
  /** The state dir: its credentials, token and stores are never read. */
  stateDir: string;
  /** More files or dirs that are never read (config file, authDirs, session dirs). */
  secrets: readonly string[];
  /** URLs may reach loopback, private, link-local and metadata addresses. */
  allowPrivateUrls: boolean;
  /** Relative agent paths are taken relative to this (the first root); null = the process cwd. */
  base?: string | null;
  /** DNS and address ranges (tests). */
  lookup?: DownloadOptions['lookup'];
  blockedRange?: DownloadOptions['blockedRange'];
}

export interface AccessContext {
  config: WagateConfig;
  stateDir: string;
  configPath?: string;
  accounts?: Iterable<Pick<AccountConfig, 'authDir'>>;
}

/** `<state>/media` plus `agents.defaults.mediaRoots` (`~` expands; relative to the state dir). */
export function mediaRoots(config: WagateConfig, stateDir: string): string[] {
  return [mediaDir(stateDir), ...config.agents.defaults.mediaRoots.map((r) => resolveUserPath(r, stateDir))];
}

function secretPaths(ctx: AccessContext): string[] {
  const out = ctx.configPath ? [ctx.configPath] : [];
  for (const a of ctx.accounts ?? []) out.push(a.authDir);
  for (const agent of resolveAgents(ctx.config)) out.push(sessionsDirFor(ctx.config, ctx.stateDir, agent.id));
  return out;
}

/** Media an agent produced (an agent reply or a command agent's JSON). */
export function agentMediaAccess(ctx: AccessContext): MediaAccess {
  const roots = mediaRoots(ctx.config, ctx.stateDir);
  return {
    roots,
    base: roots[0] ?? null,
    stateDir: ctx.stateDir,
    secrets: secretPaths(ctx),
    allowPrivateUrls: ctx.config.agents.defaults.mediaAllowPrivateUrls,
  };
}

/** The local owner's `send`: any path and URL, never the gateway's secrets. */
export function ownerMediaAccess(ctx: AccessContext): MediaAccess {
  return { roots: null, stateDir: ctx.stateDir, secrets: secretPaths(ctx), allowPrivateUrls: true };
}

/** realpath, or the resolved path when it does not exist (yet). */
function real(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

function within(file: string, dir: string): boolean {
  const rel = path.relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Why `file` (a realpath) is one of the gateway's secrets, or null. */
export function secretReason(file: string, access: MediaAccess): string | null {
  if (within(file, '/proc')) return "it is under /proc (the gateway's own process)";
  for (const state of new Set([real(access.stateDir), path.resolve(access.stateDir)])) {
    if (within(file, state) && isStateSecret(path.relative(state, file))) {
      return "it is one of the gateway's credentials, token, config or stores";
    }
  }
  for (const s of access.secrets) {
    for (const p of new Set([real(s), path.resolve(s)])) {
      if (within(file, p)) return "it is one of the gateway's credentials, token, config or stores";
    }
  }
  return null;
}

/** Why `file` (a realpath) may not be read under `access`, or null when it may. */
export function pathRefusal(file: string, access: MediaAccess): string | null {
  const secret = secretReason(file, access);
  if (secret) return `refused: ${secret}; it is never sent`;
  if (access.roots && !access.roots.some((r) => within(file, real(r)))) {
    return `refused: agent media must be inside ${access.roots.join(', ')} (agents.defaults.mediaRoots adds folders)`;
  }
  return null;
}
