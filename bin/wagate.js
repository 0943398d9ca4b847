#!/usr/bin/env node
// The `wagate` command. Runs the compiled CLI (built by `npm ci` through the
// `prepare` script, or `npm run build`).
import { main } from '../dist/src/cli/main.js';

const code = await main(process.argv.slice(2));
if (typeof code === 'number') process.exitCode = code;
