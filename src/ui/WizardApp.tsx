/**
 * The wizard screen: finished checklist items go into <Static> (the scrollback keeps the
 * history), the running item and the current question stay live below them. It renders the
 * core's report and answers its questions; it holds no SQL.
 */
import React, { useEffect, useState } from 'react';
import { Box, Static, Text, useApp, useInput, useStdout } from 'ink';
import { ExitCode, UserError } from '../core/errors.js';
import type { ChecklistRecord, Report } from '../core/report.js';
import { CHECKLIST, labelOf } from '../core/window/checklist.js';
import { windowExitCode } from '../core/window/outcomes.js';
import { ChecksList } from './components/ChecksList.js';
import { Choice } from './components/Choice.js';
import { EndScreen } from './components/EndScreen.js';
import { ItemLine } from './components/ItemLine.js';
import { DriftList, PhaseSummary } from './components/PlanView.js';
import { QuestionView } from './components/QuestionView.js';
import { RunningItem } from './components/RunningItem.js';
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
}

type StaticEntry = { key: string; record?: ChecklistRecord };

export function WizardApp({ source, start, onAbort, onExit }: WizardAppProps) {
  const run = useWindowRun(source, start);
  const { exit } = useApp();
  const { stdout } = useStdout();
  const [now, setNow] = useState(Date.now());
  const [quitAsked, setQuitAsked] = useState(false);
  const [stopping, setStopping] = useState(false);
  const finished = run.result !== null || run.error !== null;

  useEffect(() => {
    if (finished) return;
    const timer = setInterval(() => setNow(Date.now()), 100);
    return () => clearInterval(timer);
  }, [finished]);

  useInput((input, key) => {
    if (key.ctrl && input === 'c' && !finished) setQuitAsked(true);
  });

  useEffect(() => {
    if (!finished) return;
    // One table for every ending (core/window/outcomes.ts); an error that escaped the window keeps its own code.
    const code = run.error ? (run.error instanceof UserError ? run.error.exitCode : ExitCode.failed) : stopping && run.result!.outcome === 'interrupted' ? ExitCode.interrupted : windowExitCode(run.result!);
    onExit(code);
    // Let the last frame render before Ink unmounts.
    const timer = setTimeout(() => exit(), 50);
    return () => clearTimeout(timer);
  }, [finished]);

  const quit = () => {
    setQuitAsked(false);
    setStopping(true);
    onAbort();
    // A question waiting for an answer is answered "quit": the window stops where it is.
    run.pending?.answer('quit' as never);
  };

  // <Static> prints each entry once: the header waits for the core to say what it connected to.
  const finishedItems = run.report.checklist.filter((c) => c.status !== 'running').map((record, i) => ({ key: `${record.item}-${i}`, record }));
  const entries: StaticEntry[] = run.report.target || finishedItems.length > 0 ? [{ key: 'header' }, ...finishedItems] : [];
  const running = run.report.checklist.find((c) => c.status === 'running');
  // The terminal's width, followed on resize (Ink re-renders then); 80 when it cannot be known.
  const width = stdout.columns || MAX_WIDTH;

  return (
    <Box flexDirection="column" width={width}>
      <Static items={entries}>{(entry) => (entry.record ? <Finished key={entry.key} record={entry.record} report={run.report} /> : <Header key="header" report={run.report} />)}</Static>
      {running ? <RunningItem record={running} report={run.report} now={now} waiting={run.pending !== null} /> : null}
      {run.pending && !quitAsked ? <QuestionView key={JSON.stringify(run.pending.question).slice(0, 200)} pending={run.pending} /> : null}
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
      {stopping && !finished ? <Text color={tint('yellow')} wrap="wrap">{stoppingLine(running?.item)}</Text> : null}
      {run.result ? <EndScreen result={run.result} report={run.report} reportPath={run.reportPath} /> : null}
      {run.error ? (
        <Box flexDirection="column" marginTop={1}>
          <Text color={tint('red')} wrap="wrap">
            error: {run.error.message}
          </Text>
          {run.error instanceof UserError && run.error.hint ? <Text wrap="wrap">  fix: {run.error.hint}</Text> : null}
        </Box>
      ) : null}
    </Box>
  );
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
function Finished({ record, report }: { record: ChecklistRecord; report: Report }) {
  const verification = report.verifications.filter((v) => v.item === record.item).at(-1);
  return (
    <Box flexDirection="column">
      <ItemLine record={record} />
      {record.item === 'dry-run' && record.status === 'success' && report.plan ? (
        <Box flexDirection="column">
          {report.plan.phases.map((p) => (
            <PhaseSummary key={p.phase} plan={p} showSql={false} />
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
  if (item === 'phase1' || item === 'phase2') return `Stopping: ${labelOf(item).replace('Apply ', '')} commits or rolls back as a whole first, then the window stops.`;
  return item ? `Stopping after "${labelOf(item)}" finishes; no phase will start.` : 'Stopping; no phase will start.';
}
