/**
 * Builds what a headless command needs: a validated target, an open database, a session whose
 * events both print progress (stderr) and fold into the report that the result renders.
 */
import {
  assertWritableTarget,
  currentOperator,
  initialReport,
  makeEmitter,
  newRunId,
  openDb,
  reduceReport,
  resolveTarget,
  TOOL_VERSION,
  type CoreEvent,
  type Report,
  type Session,
  type Target,
} from '../core/index.js';
import type { CommandLine } from './args.js';
import type { RunState } from './command.js';
import type { Output } from './output.js';
import { progressLine } from './progress.js';

export interface CommandContext {
  session: Session;
  target: Target;
  report(): Report;
  close(): void;
}

export interface ContextOptions {
  /** The command writes: refuse a read-only file before connecting. */
  writes?: boolean;
  /** Also receives every event (the wizard renders them). */
  onEvent?: (event: CoreEvent) => void;
  /** Print one progress line per event on stderr (headless commands); the wizard draws instead. */
  printProgress?: boolean;
}

export async function openContext(
  cli: CommandLine,
  output: Output,
  signal: AbortSignal,
  state: RunState,
  options: ContextOptions = {},
): Promise<CommandContext> {
  const target = resolveTarget({ db: cli.db, authToken: cli.authToken });
  if (options.writes) assertWritableTarget(target);
  output.addSecret(target.authToken);
  let report = initialReport(cli.command);
  const listener = (event: CoreEvent) => {
    report = reduceReport(report, event);
    options.onEvent?.(event);
    const line = options.printProgress === false ? null : progressLine(event);
    if (line !== null) output.err(line);
  };
  const emit = makeEmitter(listener);
  const runId = newRunId();
  emit({ type: 'run-started', runId, command: cli.command, phases: cli.phases });
  state.report = () => report;
  const db = await openDb(target, {
    busyTimeoutMs: cli.busyTimeoutMs,
    connectTimeoutMs: cli.connectTimeoutMs,
    onWait: (wait) => emit({ type: 'waiting', wait }),
  });
  state.requests = () => db.roundTrips;
  emit({ type: 'connected', target: { kind: target.kind, display: target.display, name: target.name } });
  let closed = false;
  return {
    session: { db, emit, runId, command: cli.command, operator: currentOperator(), toolVersion: TOOL_VERSION, signal },
    target,
    report: () => report,
    close: () => {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
