/**
 * The one exit point: parse, dispatch, print the result (text or one JSON document), map
 * errors to exit codes. Ctrl+C raises an AbortSignal the core checks between steps; a second
 * Ctrl+C quits at once (a phase in flight is one transaction, so it is never half-applied).
 */
import { asSentence, ExitCode, redactUrl, toErrorInfo, TOOL_VERSION, urlSecrets, UserError } from '../core/index.js';
import { parseCommandLine, type CommandLine, type CommandName } from './args.js';
import type { CommandHandler, CommandResult, RunState } from './command.js';
import { helpText } from './help.js';
import { Output, type Streams } from './output.js';
import type { Screens } from './screen.js';

const HANDLERS: Record<CommandName, () => Promise<CommandHandler>> = {
  plan: async () => (await import('./commands/plan.js')).planCommand,
  apply: async () => (await import('./commands/apply.js')).applyCommand,
  rollback: async () => (await import('./commands/rollback.js')).rollbackCommand,
  stats: async () => (await import('./commands/stats.js')).statsCommand,
  verify: async () => (await import('./commands/verify.js')).verifyCommand,
  smoke: async () => (await import('./commands/smoke.js')).smokeCommand,
  backup: async () => (await import('./commands/backup.js')).backupCommand,
  restore: async () => (await import('./commands/restore.js')).restoreCommand,
  unlock: async () => (await import('./commands/unlock.js')).unlockCommand,
  demo: async () => (await import('./commands/demo.js')).demoCommand,
  wizard: async () => (await import('./commands/wizard.js')).wizardCommand,
};

/** `screens`: the front ends the entry point hands over (the Ink wizard), loaded when used. */
export async function main(argv: string[], streams: Streams = process, screens: Screens = {}): Promise<number> {
  const output = new Output(streams);
  const controller = new AbortController();
  const state: RunState = {};
  let cli: CommandLine | undefined;
  // SIGTERM (a service manager, kill) and SIGHUP (the terminal went away) stop the run the way
  // Ctrl+C does: between steps, lock released, partial files removed; the exit code says which.
  let received: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      // A second Ctrl+C quits a headless run at once (a phase in flight is one transaction). A
      // second SIGTERM or SIGHUP (a service manager, a closing terminal) changes nothing: the
      // stop under way still ends with its lock released and its partial files removed.
      if (signal === 'SIGINT' && !state.screenActive) process.exit(signalExit(received ?? signal));
      return;
    }
    received = signal;
    controller.abort();
    const again = signal === 'SIGINT' ? ' Ctrl+C again quits now.' : '';
    // Under the Ink screen the notice is the screen's own stopping line (a raw line would tear its frame).
    if (!state.screenActive)
      output.err(`Interrupted by ${signal}: stopping after the current step (a phase in flight commits or rolls back as a whole).${again}`);
  };
  // The exit code a stop ends with says which signal stopped it; the JSON document says the same.
  const exitOf = (code: number) => (received && code === ExitCode.interrupted ? signalExit(received) : code);
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, onSignal);
  try {
    output.addSecret(process.env.TURSO_AUTH_TOKEN);
    // Any URL on the command line or in TURSO_URL may carry a password or a token: printed
    // redacted, its secret parts never (registered before parsing, whose errors echo arguments).
    const urls = [...argv.flatMap((a) => a.split(/=(.*)/s)).filter((a) => a.includes('://')), process.env.TURSO_URL].filter((u): u is string => Boolean(u));
    for (const url of urls) output.addUrl(url, urlSecrets, redactUrl);
    cli = parseCommandLine(argv);
    output.addSecret(cli.authToken);
    // The command line (and a token on it) shows in `ps`; replace the process title.
    if (cli.authToken || urls.some((u) => urlSecrets(u).length > 0)) process.title = 'schema-wizard';
    if (cli.help) {
      output.out(helpText());
      return ExitCode.ok;
    }
    if (cli.version) {
      output.out(TOOL_VERSION);
      return ExitCode.ok;
    }
    if (cli.demo && cli.command !== 'wizard') {
      cli = await (await import('./commands/demo.js')).withDemoDatabase(cli);
    }
    const handler = await HANDLERS[cli.command]();
    const result = await handler(cli, output, controller.signal, state, screens);
    if (result.error !== undefined) return printError(output, cli, result.error, state, exitOf, result.json);
    const code = exitOf(result.exitCode);
    print(output, cli, { ...result, exitCode: code }, state);
    return code;
  } catch (error) {
    return printError(output, cli, error, state, exitOf);
  } finally {
    for (const signal of signals) process.off(signal, onSignal);
  }
}

/** 128 + the signal's number, as shells report it: 130 Ctrl+C, 143 SIGTERM, 129 SIGHUP. */
function signalExit(signal: NodeJS.Signals): number {
  return signal === 'SIGTERM' ? 143 : signal === 'SIGHUP' ? 129 : ExitCode.interrupted;
}

function print(output: Output, cli: CommandLine, result: CommandResult, state: RunState): void {
  if (cli.json) {
    const requests = state.requests?.();
    output.json({
      ok: result.exitCode === 0,
      exitCode: result.exitCode,
      command: cli.command,
      ...result.json,
      ...(requests !== undefined ? { requests } : {}),
    });
  } else if (result.text) {
    output.out(result.text);
  }
}

/** `partial`: what a command returned beside its error (the phases that committed), kept in the JSON. */
function printError(
  output: Output,
  cli: CommandLine | undefined,
  raw: unknown,
  state: RunState,
  exitOf: (code: number) => number,
  partial?: Record<string, unknown>,
): number {
  const error = asSentence(raw) ?? raw;
  const exitCode = exitOf(error instanceof UserError ? error.exitCode : ExitCode.failed);
  const info = toErrorInfo(error);
  if (cli?.json) {
    const report = state.report?.();
    const requests = state.requests?.();
    output.json({
      ok: false,
      exitCode,
      command: cli.command,
      ...partial,
      error: info,
      ...(report ? { report } : {}),
      ...(requests !== undefined ? { requests } : {}),
    });
  }
  output.err(`error: ${info.message}`);
  if (info.hint) output.err(`  fix: ${info.hint}`);
  if (cli?.debug && error instanceof Error && error.stack) {
    output.err(error.stack);
    if (error.cause instanceof Error && error.cause.stack) output.err(`cause: ${error.cause.stack}`);
  } else if (!(error instanceof UserError)) {
    output.err('  (unexpected error: run again with --debug for details)');
  }
  return exitCode;
}
