/**
 * Cross-field rules checked after the schema (SPEC §2, §3, §5, §6):
 * account ids are path-safe; `dmPolicy: "open"` needs "*" in the merged allowFrom;
 * `web.reconnect.maxMs ≥ initialMs`; mention patterns compile; agent ids are unique;
 * bindings name existing accounts and agents, at most one per account;
 * heartbeat target "whatsapp" needs `to`; a configured control token has at
 * least 16 characters when `gateway.bind` is not loopback; `metrics.public`
 * needs a loopback `gateway.bind`; `store.url` goes with `store.kind` "postgres".
 */
import { isLoopback, weakTokenProblem } from '../gateway/bind-policy.js';
import { accountIds, mergeAccount } from './accounts.js';
import { resolveAgents } from './agents.js';
import type { ConfigProblem } from './format-error.js';
import { quoteList } from './format-error.js';
import { formatKeyPath, type KeyPath } from './key-path.js';
import { ID_EXPECTED, ID_PATTERN } from './schema-common.js';
import type { WagateConfig } from './schema.js';

const WA: KeyPath = ['channels', 'whatsapp'];

export function checkRules(config: WagateConfig): ConfigProblem[] {
  return [
    ...checkAccountIds(config),
    ...checkOpenPolicy(config),
    ...checkReconnect(config),
    ...checkMentionPatterns(config),
    ...checkAgents(config),
    ...checkBindings(config),
    ...checkGatewayToken(config),
    ...checkPublicMetrics(config),
    ...checkStore(config),
  ];
}

function checkAccountIds(config: WagateConfig): ConfigProblem[] {
  return Object.keys(config.channels.whatsapp.accounts ?? {})
    .filter((id) => !ID_PATTERN.test(id))
    .map((id) => ({ path: [...WA, 'accounts', id], found: 'not a valid account id', expected: ID_EXPECTED }));
}

function checkOpenPolicy(config: WagateConfig): ConfigProblem[] {
  const root = config.channels.whatsapp;
  const entries = root.accounts ?? {};
  const out: ConfigProblem[] = [];
  for (const id of accountIds(config)) {
    const entry = entries[id];
    const acc = mergeAccount(config, id, entry, { env: {}, homedir: '/' });
    if (acc.dmPolicy !== 'open' || acc.allowFrom.includes('*')) continue;
    const allowPath: KeyPath = entry?.allowFrom ? [...WA, 'accounts', id, 'allowFrom'] : [...WA, 'allowFrom'];
    const policyPath: KeyPath = entry?.dmPolicy ? [...WA, 'accounts', id, 'dmPolicy'] : [...WA, 'dmPolicy'];
    if (out.some((p) => formatKeyPath(p.path) === formatKeyPath(allowPath))) continue;
    out.push({
      path: allowPath,
      found: acc.allowFrom.length ? JSON.stringify(acc.allowFrom) : 'empty',
      expected: `a list containing "*", because ${formatKeyPath(policyPath)} is "open" (or use dmPolicy "allowlist")`,
    });
  }
  return out;
}

function checkReconnect(config: WagateConfig): ConfigProblem[] {
  const r = config.web.reconnect;
  if (r.maxMs >= r.initialMs) return [];
  return [{ path: ['web', 'reconnect', 'maxMs'], expected: `a value ≥ web.reconnect.initialMs (${r.initialMs})` }];
}

function regexProblem(path: KeyPath, source: string): ConfigProblem | null {
  try {
    new RegExp(source, 'i');
    return null;
  } catch (err) {
    return { path, expected: `a valid regular expression (${(err as Error).message})` };
  }
}

function checkMentionPatterns(config: WagateConfig): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  config.agents.list.forEach((agent, i) => {
    (agent.groupChat.mentionPatterns ?? []).forEach((p, j) => {
      const prob = regexProblem(['agents', 'list', i, 'groupChat', 'mentionPatterns', j], p);
      if (prob) out.push(prob);
    });
  });
  (config.messages.groupChat.mentionPatterns ?? []).forEach((p, j) => {
    const prob = regexProblem(['messages', 'groupChat', 'mentionPatterns', j], p);
    if (prob) out.push(prob);
  });
  return out;
}

function checkAgents(config: WagateConfig): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const seen = new Set<string>();
  config.agents.list.forEach((a, i) => {
    if (seen.has(a.id)) out.push({ path: ['agents', 'list', i, 'id'], expected: 'an id not used by another agent' });
    seen.add(a.id);
  });
  resolveAgents(config).forEach((a, i) => {
    if (a.heartbeat.target === 'whatsapp' && !a.heartbeat.to) {
      const path: KeyPath = config.agents.list.length
        ? ['agents', 'list', i, 'heartbeat', 'to']
        : ['agents', 'defaults', 'heartbeat', 'to'];
      out.push({ path, expected: 'a recipient (E.164 or JID) because heartbeat.target is "whatsapp"' });
    }
  });
  return out;
}

function checkBindings(config: WagateConfig): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const accounts = accountIds(config);
  const agents = resolveAgents(config).map((a) => a.id);
  const bound = new Set<string>();
  config.bindings.forEach((b, i) => {
    if (!accounts.includes(b.accountId)) {
      out.push({ path: ['bindings', i, 'accountId'], expected: `a configured account: ${quoteList(accounts)}` });
    } else if (bound.has(b.accountId)) {
      out.push({ path: ['bindings', i, 'accountId'], expected: 'an account not bound by an earlier binding' });
    }
    bound.add(b.accountId);
    if (!agents.includes(b.agentId)) {
      out.push({ path: ['bindings', i, 'agentId'], expected: `an agent id from agents.list: ${quoteList(agents)}` });
    }
  });
  return out;
}

function checkGatewayToken(config: WagateConfig): ConfigProblem[] {
  const { bind, auth } = config.gateway;
  if (!weakTokenProblem(bind, auth.token)) return [];
  return [
    {
      path: ['gateway', 'auth', 'token'],
      found: `a token of ${auth.token?.length ?? 0} characters`,
      expected: `at least 16 characters because gateway.bind "${bind}" is not loopback (or bind 127.0.0.1)`,
    },
  ];
}

function checkPublicMetrics(config: WagateConfig): ConfigProblem[] {
  const { bind } = config.gateway;
  if (!config.metrics.public || isLoopback(bind)) return [];
  return [
    {
      path: ['metrics', 'public'],
      found: 'true',
      expected: `false because gateway.bind "${bind}" is not loopback: beyond loopback /metrics needs the control token (or bind 127.0.0.1)`,
    },
  ];
}

function checkStore(config: WagateConfig): ConfigProblem[] {
  if (config.cluster && config.store.kind === 'sqlite') {
    return [{ path: ['cluster'], found: 'set', expected: 'no cluster with store.kind "sqlite": several nodes share one PostgreSQL (store.url or $WAGATE_STORE_URL)' }];
  }
  if (config.store.kind !== 'sqlite' || config.store.url === undefined) return [];
  return [{ path: ['store', 'url'], found: 'set', expected: 'no URL with store.kind "sqlite" (or store.kind "postgres" to use that database)' }];
}
