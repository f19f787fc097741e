/** Colours, unless NO_COLOR is set (https://no-color.org): then every colour prop is undefined. */
export const colorsEnabled = !('NO_COLOR' in process.env) || process.env.NO_COLOR === '';

export function tint(color: string): string | undefined {
  return colorsEnabled ? color : undefined;
}

export const MARKS = {
  success: '✔',
  error: '✖',
  'not-executed': '–',
  running: '…',
  pass: '✔',
  fail: '✖',
  warn: '!',
  pending: '…',
  'pre-existing': '!',
} as const;

export const MARK_COLORS: Record<string, string> = {
  success: 'green',
  pass: 'green',
  error: 'red',
  fail: 'red',
  warn: 'yellow',
  'not-executed': 'gray',
  pending: 'gray',
  running: 'cyan',
  'pre-existing': 'yellow',
};

/** The wizard never draws wider than this (80-column terminals). */
export const MAX_WIDTH = 80;
