/** How the proof's child processes (file-copy-child.ts, digest-child.ts) end. */

/**
 * Runs `main`, then sets the exit code (0, or 1 with the error's message on stderr) and lets go
 * of stdin so the process can end. The code is set, not forced: process.exit() could drop the
 * last line still in the pipe.
 */
export function runChild(main: () => Promise<void>): void {
  main().then(
    () => {
      process.exitCode = 0;
      process.stdin.destroy();
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
      process.stdin.destroy();
    },
  );
}
