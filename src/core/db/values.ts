/** A driver value read as a number or a string, whichever type the driver handed back (bigint, number, text or null). */
export function num(value: unknown): number {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return Number(value);
  return 0;
}

export function str(value: unknown): string {
  return value === null || value === undefined ? '' : String(value);
}
