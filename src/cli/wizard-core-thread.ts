/**
 * Worker thread entry: the wizard's core. It opens the database, runs the maintenance window
 * and writes the report here, so the native driver's synchronous work (a 1.8 GB backup, a phase,
 * verify) never blocks the thread that paints the screen and reads the keyboard. Events and
 * questions go to the screen as messages (wizard-protocol.ts); answers and stop come back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { finishWindow, runWindow, UserError, type Answer, type Decider, type Question, type WorkerError } from '../core/index.js';
import { automaticBackup } from './backup-choice.js';
import { openContext } from './context.js';
import { Output } from './output.js';
import type { FromCore, ToCore } from '../core/protocol.js';
import type { WizardJob } from './wizard-job.js';

const { cli, reportDir } = workerData as WizardJob;
const port = parentPort!;
const send = (message: FromCore) => port.postMessage(message);
const controller = new AbortController();
const waiting = new Map<number, (answer: Answer) => void>();
let nextQuestion = 1;

port.on('message', (message: ToCore) => {
  if (message.type === 'stop') controller.abort();
  else if (message.type === 'answer') {
    waiting.get(message.id)?.(message.answer);
    waiting.delete(message.id);
  }
});

const decider: Decider = {
  by: 'operator',
  ask: (question: Question) =>
    new Promise<Answer>((resolve) => {
      const id = nextQuestion++;
      waiting.set(id, resolve);
      send({ type: 'question', id, question });
    }),
};

function asData(error: unknown): WorkerError {
  if (error instanceof UserError) return { message: error.message, user: { hint: error.hint, exitCode: error.exitCode } };
  return { message: error instanceof Error ? error.message : String(error) };
}

async function main(): Promise<void> {
  // Nothing is printed from this thread: the screen draws the events (a silent sink keeps the
  // context's secret handling as it is).
  const silent = new Output({ stdout: { write: () => true }, stderr: { write: () => true } });
  const ctx = await openContext(cli, silent, controller.signal, {}, { printProgress: false, writes: true, onEvent: (event) => send({ type: 'event', event }) });
  try {
    const result = await runWindow(ctx.session, {
      decider,
      backup: automaticBackup(cli),
      closeDb: ctx.close,
      keys: cli.keys,
      repairFts: cli.repairFts,
    });
    const files = finishWindow(ctx.session.emit, ctx.report, reportDir, result, ctx.session.operator);
    send({ type: 'finished', result, reportPath: files?.markdown ?? null });
  } finally {
    ctx.close();
  }
}

main().catch((error: unknown) => send({ type: 'failed', error: asData(error) }));
