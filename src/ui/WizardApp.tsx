/**
 * The wizard screen. Everything the operator reads goes into <Static>, printed once into the
 * scrollback: finished checklist items, what a question is about, the SQL when asked for, the
 * end box. Only the running item and the current prompt stay live below it, a few lines. Ink
 * clears the whole screen (scrollback included) once the live area reaches the terminal's
 * height, so keeping it short is what keeps the lines printed before the wizard on screen,
 * at 80x24 too. It renders the core's report and answers its questions; it holds no SQL.
 */
import React, { useEffect, useRef, useState } from 'react';
import { Box, Static, Text, useApp, useInput, useStdout } from 'ink';
import { CHECKLIST, endingExitCode, labelOf, UserError, type ChecklistRecord, type Question, type Report } from '../core/index.js';
import { ChecksList } from './components/ChecksList.js';
import { Choice } from './components/Choice.js';
import { EndScreen } from './components/EndScreen.js';
import { KeyRouter, KeysProvider } from './components/keys/key-router.js';
import { ItemLine } from './components/ItemLine.js';
import { DriftList, PhaseSummary, SqlListing } from './components/PlanView.js';
import { plansOf, QuestionContext, QuestionPrompt } from './components/QuestionView.js';
import { RunningItem, WaitLine } from './components/RunningItem.js';
import { SmokeList } from './components/SmokeList.js';
import { StatsCompare } from './components/StatsCompare.js';
import { MAX_WIDTH, tint } from './theme.js';
import { useWindowRun, type EventSource, type StartWindow } from './use-window-run.js';

export interface WizardAppProps {
  source: EventSource;
  start: StartWindow;
  /** Ctrl+C confirmed: stop after the current step. */
  onAbort: () => void;
  onExit: (code: number) => void;
  /** Aborted by SIGTERM/SIGHUP: the screen says it is stopping (the core was told already). */
  stopSignal?: AbortSignal;
}

/** One block printed into the scrollback, in the order things happened. */
type Printed =
  | { kind: 'header' }
  | { kind: 'item'; record: ChecklistRecord; withPlan: boolean }
  | { kind: 'context'; question: Question }
  | { kind: 'sql'; question: Question }
  | { kind: 'end' };

export function WizardApp({ source, start, onAbort, onExit, stopSignal }: WizardAppProps) {
  const run = useWindowRun(source, start);
  const { exit } = useApp();
  const { stdout } = useStdout();
  const [now, setNow] = useState(Date.now());
  const [quitAsked, setQuitAsked] = useState(false);
  const [stopping, setStopping] = useState(false);
  // Every key is read here, once for the app's life, and handed to the prompt on screen (why: keys/key-router.tsx).
  const [keys] = useState(() => new KeyRouter());
  const finished = run.result !== null || run.error !== null;

  useEffect(() => {
    if (finished) return;
    const timer = setInterval(() => setNow(Date.now()), 100);
    return () => clearInterval(timer);
  }, [finished]);

  useEffect(() => {
    if (!stopSignal) return;
    const stopped = () => {
      setQuitAsked(false);
      setStopping(true);
    };
    if (stopSignal.aborted) stopped();
    stopSignal.addEventListener('abort', stopped, { once: true });
    return () => stopSignal.removeEventListener('abort', stopped);
  }, [stopSignal]);

  useInput((input, key) => {
    // Once stopping, a second Ctrl+C changes nothing: the stop is already under way.
    if (key.ctrl && input === 'c' && !finished && !stopping) setQuitAsked(true);
    keys.deliver(input, key);
  });

  useEffect(() => {
    if (!finished) return;
    // One table for every ending (core/window/outcomes.ts); an error that escaped the window keeps its own code.
    onExit(endingExitCode(run));
    // Let the last frame render before Ink unmounts.
    const timer = setTimeout(() => exit(), 50);
    return () => clearTimeout(timer);
  }, [finished]);

  const quit = () => {
    setQuitAsked(false);
    setStopping(true);
    // A question waiting for an answer is answered "quit" (the operator's choice: exit 4 or 5);
    // otherwise a step is running, and the stop ends the window after it (exit 130).
    if (run.pending) run.pending.answer('quit');
    else onAbort();
  };

  const printed = usePrinted(run.report, run.pending?.question ?? null, finished);
  const [sqlFor, setSqlFor] = useState<Question | null>(null);
  const running = run.report.checklist.find((c) => c.status === 'running');
  // The terminal's width, followed on resize (Ink re-renders then); 80 when it cannot be known.
  const width = stdout.columns || MAX_WIDTH;

  const showSql = () => {
    if (!run.pending) return;
    setSqlFor(run.pending.question);
    printed.add({ kind: 'sql', question: run.pending.question });
  };

  return (
    <KeysProvider router={keys}>
      <Box flexDirection="column" width={width}>
        <Static items={printed.entries}>{(entry, i) => <PrintedBlock key={i} entry={entry} run={run} />}</Static>
        {running ? <RunningItem record={running} report={run.report} now={now} waiting={run.pending !== null} /> : null}
        {finished ? null : <WaitLine report={run.report} now={now} />}
        {run.pending && !quitAsked && !stopping ? (
          <QuestionPrompt key={run.pending.id} pending={run.pending} sqlPrinted={sqlFor === run.pending.question} onShowSql={showSql} />
        ) : null}
        {quitAsked ? (
          <Choice
            prompt="Quit? The database stays as it is: phases are atomic, none is ever left half-done."
            options={[
              { label: 'Keep going', value: 'keep' },
              { label: 'Quit (state kept)', value: 'quit' },
            ]}
            onChoose={(v) => (v === 'quit' ? quit() : setQuitAsked(false))}
          />
        ) : null}
        {stopping && !finished ? (
          <Text color={tint('yellow')} wrap="wrap">
            {stoppingLine(running?.item)}
          </Text>
        ) : null}
      </Box>
    </KeysProvider>
  );
}

/**
 * The scrollback's blocks, appended as the run goes: the header once the core says what it
 * connected to, each item as it finishes, a question's context as it is asked, the end box.
 * <Static> prints each block once, so the list only ever grows.
 */
function usePrinted(report: Report, question: Question | null, finished: boolean) {
  const [entries, setEntries] = useState<Printed[]>([]);
  const seen = useRef({ items: 0, question: null as Question | null, end: false });
  // Only SQL asked for at a question is added this way, after that question's context (and the header) were printed.
  const add = (entry: Printed) => setEntries((list) => [...list, entry]);
  useEffect(() => {
    const done = report.checklist.filter((c) => c.status !== 'running');
    const fresh: Printed[] = [];
    // Items that finished before the question first: the item that asks is still running.
    for (const record of done.slice(seen.current.items))
      fresh.push({
        kind: 'item',
        record,
        withPlan: record.item === 'dry-run' && !entries.some((e) => e.kind === 'context' && e.question.kind === 'review-plan'),
      });
    seen.current.items = done.length;
    if (question && question !== seen.current.question) {
      seen.current.question = question;
      if (question.kind !== 'operator') fresh.push({ kind: 'context', question });
    }
    if (finished && !seen.current.end) {
      seen.current.end = true;
      fresh.push({ kind: 'end' });
    }
    if (fresh.length === 0 && (entries.length > 0 || !report.target)) return;
    setEntries((list) => [...(list.length === 0 ? [{ kind: 'header' } as Printed] : []), ...list, ...fresh]);
  }, [report, question, finished]);
  return { entries, add };
}

function PrintedBlock({ entry, run }: { entry: Printed; run: ReturnType<typeof useWindowRun> }) {
  switch (entry.kind) {
    case 'header':
      return <Header report={run.report} />;
    case 'item':
      return <Finished record={entry.record} report={run.report} withPlan={entry.withPlan} />;
    case 'context':
      return <QuestionContext question={entry.question} />;
    case 'sql':
      return <SqlListing plans={plansOf(entry.question)} />;
    case 'end':
      return run.result ? (
        <EndScreen result={run.result} report={run.report} reportPath={run.reportPath} />
      ) : (
        <Box flexDirection="column" marginTop={1}>
          <Text color={tint('red')} wrap="wrap">
            error: {run.error?.message}
          </Text>
          {run.error instanceof UserError && run.error.hint ? <Text wrap="wrap"> fix: {run.error.hint}</Text> : null}
        </Box>
      );
  }
}

function Header({ report }: { report: Report }) {
  return (
    <Box flexDirection="column" marginBottom={1}>
      <Text bold>schema-wizard · MCP Memory schema optimization</Text>
      <Text dimColor wrap="wrap">
        {report.target ? `${report.target.display} (${report.target.kind})` : ''} · {CHECKLIST.length} steps · Ctrl+C asks before quitting
      </Text>
    </Box>
  );
}

/** A finished item and what it showed: the plan, the checks, the smoke tests, the stats. */
function Finished({ record, report, withPlan }: { record: ChecklistRecord; report: Report; withPlan: boolean }) {
  const verification = report.verifications.filter((v) => v.item === record.item).at(-1);
  return (
    <Box flexDirection="column">
      <ItemLine record={record} />
      {withPlan && report.plan ? (
        <Box flexDirection="column">
          {report.plan.phases.map((p) => (
            <PhaseSummary key={p.phase} plan={p} />
          ))}
          <DriftList drift={report.plan.drift} />
        </Box>
      ) : null}
      {verification ? <ChecksList checks={verification.checks} /> : null}
      {record.item === 'smoke' ? <SmokeList tests={report.smoke} /> : null}
      {record.item === 'stats-after' && report.statsBefore ? <StatsCompare before={report.statsBefore} after={report.statsAfter} /> : null}
    </Box>
  );
}

/** What Ctrl+C will do, said at once: a step is never cut in half. */
export function stoppingLine(item: ChecklistRecord['item'] | undefined): string {
  if (item === 'phase1' || item === 'phase2')
    return `Stopping: ${labelOf(item).replace('Apply ', '')} commits or rolls back as a whole first, then the window stops.`;
  return item ? `Stopping after "${labelOf(item)}" finishes; no phase will start.` : 'Stopping; no phase will start.';
}
