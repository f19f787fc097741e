/** Polls an Ink frame until it shows what a test waits for: no fixed sleeps. */
export async function waitForFrame(lastFrame: () => string | undefined, predicate: (frame: string) => boolean, what: string, timeoutMs = 20_000): Promise<string> {
  const started = Date.now();
  for (;;) {
    const frame = lastFrame() ?? '';
    if (predicate(frame)) return frame;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}; last frame:\n${frame}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const ENTER = '\r';
export const ESC = '\u001b';
export const DOWN = '\u001b[B';

/**
 * Sends a key and waits for the frame to change. An Ink input handler attaches just after its
 * component renders (and re-attaches after each re-render), so a key that changed nothing
 * within a second was dropped and is sent again.
 */
export async function press(ui: { lastFrame: () => string | undefined; stdin: { write: (data: string) => void } }, key: string): Promise<void> {
  const before = ui.lastFrame();
  for (let attempt = 0; attempt < 20; attempt++) {
    ui.stdin.write(key);
    try {
      await waitForFrame(ui.lastFrame, (f) => f !== before, 'the next frame', 1000);
      return;
    } catch {
      // unchanged: the handler was not listening yet
    }
  }
  throw new Error(`key ${JSON.stringify(key)} changed nothing:\n${before}`);
}
