#!/usr/bin/env node
// The `wagate` command. Runs the compiled CLI (built by `npm ci` through the
// `prepare` script, or `npm run build`).
import { main } from '../dist/src/cli/main.js';

const code = await main(process.argv.slice(2));
// Every command has finished its work and flushed its output (logs are written
// synchronously). Exit now rather than wait for timers a library may leave
// behind (Baileys rc14 keeps a 30 s prekey-upload timer after a first login).
process.exit(typeof code === 'number' ? code : 0);
