/** Polls an Ink frame until it shows what a test waits for: no fixed sleeps. */
export async function waitForFrame(
  lastFrame: () => string | undefined,
  predicate: (frame: string) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<string> {
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
 * Sends a key and waits for the frame to change. The wizard's prompts take keys from their first
 * frame (src/ui/components/keys/key-router.tsx); a component rendered alone uses Ink's useInput,
 * which attaches just after it renders, so a key that changed nothing within a second was dropped
 * and is sent again. (flow.test.tsx proves the wizard needs no second send.)
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

/**
 * Types text into a prompt that echoes it after `echo` ("› "), sending it again only while
 * nothing of it has arrived (the handler was not listening yet). Other repaints do not count.
 */
export async function typeInto(
  ui: { lastFrame: () => string | undefined; stdin: { write: (data: string) => void } },
  text: string,
  echo = '› ',
): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    ui.stdin.write(text);
    try {
      await waitForFrame(ui.lastFrame, (f) => f.includes(`${echo}${text}`), `"${text}" echoed`, 1000);
      return;
    } catch {
      if ((ui.lastFrame() ?? '').includes(`${echo}${text.slice(0, 1)}`)) throw new Error(`"${text}" arrived garbled:\n${ui.lastFrame()}`);
    }
  }
  throw new Error(`"${text}" never reached the prompt:\n${ui.lastFrame()}`);
}

/** The highlighted option of the prompt on screen (the last "❯ " line). */
export function highlighted(frame: string): string | null {
  const lines = frame.split('\n').filter((l) => l.startsWith('❯ '));
  return lines.length ? lines[lines.length - 1].slice(2).trim() : null;
}

/**
 * Moves the cursor down to the option that starts with `label` and waits until it is
 * highlighted; each Down is sent again until the highlight moves (a dropped key), so a repaint
 * for another reason (a block printed above) never counts as the key's effect.
 */
export async function highlight(ui: { lastFrame: () => string | undefined; stdin: { write: (data: string) => void } }, label: string): Promise<void> {
  for (let step = 0; step < 10; step++) {
    const now = highlighted(await waitForFrame(ui.lastFrame, (f) => highlighted(f) !== null, 'a prompt'));
    if (now!.startsWith(label)) return;
    let moved = false;
    for (let attempt = 0; attempt < 20 && !moved; attempt++) {
      ui.stdin.write(DOWN);
      moved = await waitForFrame(ui.lastFrame, (f) => highlighted(f) !== now, 'the highlight to move', 1000).then(
        () => true,
        () => false,
      );
    }
    if (!moved) throw new Error(`the highlight never left "${now}":\n${ui.lastFrame()}`);
  }
  throw new Error(`no option "${label}":\n${ui.lastFrame()}`);
}
