/**
 * A real pseudo-terminal for the wizard: tmux runs the CLI, the test reads the screen with
 * capture-pane and answers with send-keys, as an operator would.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN } from './cli.js';

export const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });

/** Ends a test's tmux session (and the processes it runs), if it is still there. */
export function killSession(session: string): void {
  try {
    tmux('kill-session', '-t', session);
  } catch {
    // already gone
  }
}

export async function waitForScreen(session: string, predicate: (screen: string) => boolean, what: string, timeoutMs = 30_000): Promise<string> {
  const started = Date.now();
  for (;;) {
    const screen = tmux('capture-pane', '-p', '-t', session);
    if (predicate(screen)) return screen;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}; screen:\n${screen}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Everything the pane holds, scrollback included, wrapped lines joined (-J). */
export function wholeHistory(session: string): string {
  return tmux('capture-pane', '-p', '-J', '-S', '-', '-E', '-', '-t', session);
}

/** The highlighted option on screen (the last "❯ " line). */
export function highlightedOn(screen: string): string | null {
  const lines = screen.split('\n').filter((l) => l.startsWith('❯ '));
  return lines.length ? lines[lines.length - 1].slice(2).trim() : null;
}

export interface WizardPane {
  session: string;
  dir: string;
  /** The exit code, once the wizard has ended ('' before). */
  exitCode(): string;
  waitForExit(timeoutMs?: number): Promise<string>;
  /** Down until the option starting with `label` is highlighted, then Enter. */
  choose(label: string): Promise<void>;
  kill(): void;
}

/**
 * Starts the wizard on `file` in a detached tmux session of `cols`x`rows`. `before` is shell
 * run first in the same pane (lines that must still be in the scrollback at the end).
 */
export function startWizard(file: string, dir: string, opts: { cols: number; rows: number; env?: string; before?: string; args?: string }): WizardPane {
  const exitFile = path.join(dir, 'exit-code');
  const session = `sw-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`;
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = `${opts.before ? `${opts.before}; ` : ''}env -u CI ${opts.env ?? 'NO_COLOR=1'} ${process.execPath} ${BIN} --db ${q(file)} --report-dir ${q(dir)} --backup-dir ${q(path.join(dir, 'b'))} ${opts.args ?? ''}; echo $? > ${q(exitFile)}; sleep 60`;
  tmux('new-session', '-d', '-s', session, '-x', String(opts.cols), '-y', String(opts.rows), command);
  const exitCode = () => (fs.existsSync(exitFile) ? fs.readFileSync(exitFile, 'utf8').trim() : '');
  return {
    session,
    dir,
    exitCode,
    waitForExit: (timeoutMs = 60_000) => waitForScreen(session, () => exitCode() !== '', 'the exit', timeoutMs),
    async choose(label) {
      for (let step = 0; step < 10; step++) {
        const now = highlightedOn(await waitForScreen(session, (s) => highlightedOn(s) !== null, `a prompt offering ${label}`));
        if (now!.startsWith(label)) break;
        const screen = tmux('capture-pane', '-p', '-t', session);
        await sendUntilChanged(session, 'Down', screen);
      }
      const before = tmux('capture-pane', '-p', '-t', session);
      if (!highlightedOn(before)?.startsWith(label)) throw new Error(`no option "${label}" on screen:\n${before}`);
      await sendUntilChanged(session, 'Enter', before);
    },
    kill: () => killSession(session),
  };
}

/**
 * Answers every prompt with its default (typing the database's name where asked) until the
 * screen matches `until` or the wizard exits. Returns the screen that matched.
 */
export async function acceptDefaultsUntil(pane: WizardPane, until: RegExp, timeoutMs = 60_000): Promise<string> {
  for (let step = 0; step < 40; step++) {
    const screen = await waitForScreen(pane.session, (s) => until.test(s) || /❯ |Type .+ to confirm/.test(s) || pane.exitCode() !== '', 'a prompt', timeoutMs);
    if (until.test(screen) || pane.exitCode() !== '') return screen;
    let current = screen;
    const typed = /Type (.+?) to confirm/.exec(screen);
    if (typed) {
      tmux('send-keys', '-t', pane.session, '-l', typed[1]);
      current = await waitForScreen(pane.session, (s) => s.includes(`› ${typed[1]}`), 'the typed name');
    }
    await sendUntilChanged(pane.session, 'Enter', current);
  }
  throw new Error('too many prompts');
}

/**
 * Sends a key and waits for the screen to change; a key that changed nothing within 1.5 s is sent
 * again. The wizard's prompts read keys from their first frame (key-router.tsx), so this is only
 * a safety net for a loaded machine; an answered prompt changes the screen at once.
 */
export async function sendUntilChanged(session: string, key: string, before: string): Promise<string> {
  for (let attempt = 0; attempt < 10; attempt++) {
    tmux('send-keys', '-t', session, key);
    try {
      return await waitForScreen(session, (s) => s !== before, 'the screen to change', 1_500);
    } catch {
      // unchanged: the key arrived before the prompt listened
    }
  }
  throw new Error(`${key} changed nothing:\n${before}`);
}
