/**
 * Writes need consent: --yes, or (in a terminal) the operator typing the database's name.
 * Not interactive and no --yes: refuse with exit 2 naming --yes.
 */
import readline from 'node:readline/promises';
import { ExitCode, UserError, typedConfirmation } from '../core/index.js';

export function isInteractive(): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY && !process.env.CI);
}

export async function confirmWrite(yes: boolean, what: string, name: string): Promise<void> {
  if (yes) return;
  if (!isInteractive()) {
    throw new UserError(`Refusing to ${what} without --yes (not running in an interactive terminal).`, {
      hint: 'Add --yes to confirm, after reviewing `schema-wizard plan`.',
      exitCode: ExitCode.usage,
    });
  }
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`About to ${what}. ${typedConfirmation.prompt(name)}: `);
    if (!typedConfirmation.matches(answer, name))
      throw new UserError('Not confirmed; nothing was changed.', { hint: `Type ${name} exactly, or pass --yes.`, exitCode: ExitCode.usage });
  } finally {
    rl.close();
  }
}
