/**
 * `wagate`: the command line. Each command group lives in its own file; this
 * one builds the commander program and runs it with a CliIO, returning the
 * exit code (tests call `main(argv, io)` in-process).
 */
import { Command, CommanderError } from 'commander';
import { registerChannelsCommands } from './channels.js';
import { registerDashboardCommand } from './dashboard.js';
import { registerDebugCommands } from './debug.js';
import { registerDoctorCommand } from './doctor.js';
import { registerGatewayCommand } from './gateway.js';
import { registerSandboxCommand } from './sandbox.js';
import { registerLogsCommand } from './logs.js';
import { registerPairingCommands } from './pairing.js';
import { registerMessageCommands } from './message.js';
import { registerSessionsCommands } from './sessions.js';
import { registerImportCommands } from './import-openclaw.js';
import { processIO, reportError, type CliIO } from './io.js';

export const VERSION = '0.1.0';

export function buildProgram(io: CliIO, setExit: (code: number) => void): Command {
  const program = new Command('wagate')
    .description('WhatsApp Web gateway for a personal AI assistant')
    .version(VERSION)
    .option('--config <path>', 'config file (default: $WAGATE_CONFIG or <state>/wagate.json)')
    .showHelpAfterError('(run `wagate --help` for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  const deps = { io, setExit };
  registerGatewayCommand(program, deps);
  registerSandboxCommand(program, deps);
  registerChannelsCommands(program, deps);
  registerDebugCommands(program, deps);
  registerDashboardCommand(program, deps);
  registerDoctorCommand(program, deps);
  registerLogsCommand(program, deps);
  registerPairingCommands(program, deps);
  registerMessageCommands(program, deps);
  registerSessionsCommands(program, deps);
  registerImportCommands(program, deps);
  for (const cmd of program.commands) cmd.exitOverride().configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  return program;
}

export async function main(argv: string[], givenIO?: CliIO): Promise<number> {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  if (!givenIO) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  const io = givenIO ?? processIO(controller.signal);
  let exit = 0;
  try {
    const program = buildProgram(io, (c) => (exit = c));
    await program.parseAsync(argv, { from: 'user' });
    return exit;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end with exit code 0; usage errors were printed by commander.
      return err.exitCode;
    }
    return reportError(io, err, argv.includes('--json'));
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
