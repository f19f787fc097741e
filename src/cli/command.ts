/** The shape every headless command shares: it returns a value; main prints it and exits. */
import type { Screens } from './screen.js';
import type { Report } from '../core/index.js';
import type { CommandLine } from './args.js';
import type { Output } from './output.js';

export interface CommandResult {
  exitCode: number;
  /** Command-specific fields of the --json document (ok, exitCode and command are added). */
  json: Record<string, unknown>;
  /** What a person reads on stdout without --json. */
  text: string;
  /**
   * What stopped the command, when it returns its partial results as a value (apply, rollback):
   * main prints it as an error and maps it to the exit code; `json` still carries what committed.
   */
  error?: unknown;
}

/** Lets main reach the report of a command that threw half-way, for its error output. */
export interface RunState {
  report?: () => Report;
  /** Round trips to the database (HTTP requests for remote targets). */
  requests?: () => number;
  /** A screen is drawing (the Ink wizard): a signal's notice is shown there, not written over it. */
  screenActive?: boolean;
}

/** `screens`: the front ends handed over by the entry point (only the wizard uses one). */
export type CommandHandler = (cli: CommandLine, output: Output, signal: AbortSignal, state: RunState, screens?: Screens) => Promise<CommandResult>;
