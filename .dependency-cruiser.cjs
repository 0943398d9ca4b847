/**
 * What wagate's architecture promises, checked by `npm run lint:deps`
 * (`depcruise src machines --config .dependency-cruiser.cjs`; a CI step in .ci/run).
 * Type-only imports count (tsPreCompilationDeps): a type cycle is still a cycle.
 */
const BAILEYS = 'node_modules/@whiskeysockets/baileys';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'no import cycles (shared types live where their users are: actors/actor.ts, cli/command.ts, gateway/gateway.ts)',
      from: {},
      to: { circular: true },
    },
    {
      name: 'baileys-only-at-the-edge',
      severity: 'error',
      comment: 'only src/whatsapp (the transport; address.ts may deep-import jid-utils) and src/sim import Baileys',
      from: { path: '^(src|machines)/', pathNot: '^src/(whatsapp|sim)/' },
      to: { path: BAILEYS },
    },
    {
      name: 'store-knows-no-baileys',
      severity: 'error',
      comment: 'src/store keeps Baileys creds and keys as opaque JSON; BufferJSON stays in src/whatsapp',
      from: { path: '^src/store/' },
      to: { path: BAILEYS },
    },
    {
      name: 'machines-are-pure',
      severity: 'error',
      comment: 'machines/ imports xstate, its siblings and the error registry only; effects come in through .provide()',
      from: { path: '^machines/' },
      to: { pathNot: ['^machines/', 'node_modules/xstate', '^src/errors\\.ts$'] },
    },
    {
      name: 'actors-are-independent',
      severity: 'error',
      comment: 'an actor imports no other actor (they talk through the bus); actor.ts is the shared contract',
      from: { path: '^src/actors/([^/]+)\\.ts$' },
      to: { path: '^src/actors/([^/]+)\\.ts$', pathNot: ['^src/actors/$1\\.ts$', '^src/actors/actor\\.ts$'] },
    },
    {
      name: 'actors-stay-out-of-gateway-and-cli',
      severity: 'error',
      comment: 'actors import nothing of gateway/ or cli/ (the supervisor starts them with ActorDeps)',
      from: { path: '^src/actors/' },
      to: { path: '^src/(gateway|cli)/' },
    },
    {
      name: 'sim-halves-meet-at-the-hub',
      severity: 'error',
      comment: "the simulator's server and world halves import each other only through src/sim/hub.ts (and key-bundle.ts)",
      from: { path: '^src/sim/(server|world)/' },
      to: { path: '^src/sim/(server|world)/', pathNot: '^src/sim/$1/' },
    },
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
