/**
 * Runs the maintenance window for the UI: folds the core's events into the report (the core's
 * own pure reducer), and turns each question into pending state that a component answers.
 */
import { useEffect, useRef, useState } from 'react';
import {
  foldEvents,
  printable,
  printableDeep,
  reduceReport,
  type CoreEvent,
  type Decider,
  type Question,
  type Report,
  type WindowResult,
} from '../core/index.js';
import type { Pending } from './components/QuestionView.js';

export interface EventSource {
  /** Events emitted before the UI subscribed. */
  past: CoreEvent[];
  subscribe(listener: (event: CoreEvent) => void): () => void;
}

export interface WindowRun {
  report: Report;
  pending: Pending | null;
  result: WindowResult | null;
  reportPath: string | null;
  error: Error | null;
}

export type StartWindow = (decider: Decider) => Promise<{ result: WindowResult; reportPath: string | null }>;

export function useWindowRun(source: EventSource, start: StartWindow): WindowRun {
  const [report, setReport] = useState<Report>(() => foldEvents('wizard', printableDeep(source.past)));
  const [pending, setPending] = useState<Pending | null>(null);
  const [done, setDone] = useState<{ result: WindowResult; reportPath: string | null } | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const started = useRef(false);
  const asked = useRef(0);

  // Names and messages from the database are shown, never executed (printable).
  useEffect(() => source.subscribe((event) => setReport((r) => reduceReport(r, printableDeep(event)))), [source]);

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    const decider: Decider = {
      by: 'operator',
      ask: (question: Question) =>
        new Promise((resolve) => {
          let answered = false;
          const pending: Pending = {
            id: ++asked.current,
            question: printableDeep(question),
            answer: (value) => {
              // A key that reaches a prompt as it unmounts must not answer (or clear) the next one.
              if (answered) return;
              answered = true;
              setPending((current) => (current === pending ? null : current));
              resolve(value);
            },
          };
          setPending(pending);
        }),
    };
    start(decider).then(
      (finished) => setDone(printableDeep(finished)),
      (e: unknown) => {
        const error = e instanceof Error ? e : new Error(String(e));
        error.message = printable(error.message);
        setError(error);
      },
    );
  }, [start]);

  return { report, pending, result: done?.result ?? null, reportPath: done?.reportPath ?? null, error };
}
