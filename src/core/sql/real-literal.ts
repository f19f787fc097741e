/**
 * REALs as SQL text that reads back as the very same double, and a rewrite that makes another
 * writer's decimal literals exact. SQLite's decimal-to-double conversion is not correctly rounded
 * ("0.002877" can come back one bit off), while JavaScript's is: a decimal read here and written
 * as its exact binary form loads bit for bit.
 */

/**
 * A REAL that reads back as the very same double, in libSQL and in stock sqlite3: a non-integral
 * value as its exact binary form, an integer mantissa scaled by powers of two, each step exact in
 * IEEE arithmetic. Small integral values keep "12.0".
 */
export function realLiteral(value: number): string {
  if (Number.isNaN(value)) return 'NULL';
  if (!Number.isFinite(value)) return value > 0 ? '9e999' : '-9e999';
  if (Object.is(value, -0)) return '-0.0';
  if (Number.isInteger(value) && Math.abs(value) <= 2 ** 53) return `${value}.0`;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exponent: number;
  if (biased === 0) {
    exponent = -1074; // subnormal
  } else {
    mantissa |= 1n << 52n;
    exponent = biased - 1075;
  }
  while (mantissa > 0n && (mantissa & 1n) === 0n) {
    mantissa >>= 1n;
    exponent++;
  }
  let expr = `${value < 0 ? '-' : ''}${mantissa}.0`;
  const op = exponent < 0 ? '/' : '*';
  for (let left = Math.abs(exponent); left > 0; left -= 62) expr = `(${expr} ${op} ${1n << BigInt(Math.min(left, 62))})`;
  return expr;
}

const INT64_MAX = 2n ** 63n - 1n;

/**
 * The statement with every number literal after `from` that SQLite would parse as a REAL (a
 * decimal point, an exponent, or an integer too large for 64 bits) replaced by realLiteral of
 * its correctly rounded value. Quoted text, quoted names and X'..' blobs are skipped; integers
 * that fit stay as they are.
 */
export function exactNumbers(sql: string, from = 0): string {
  let out = '';
  let copied = 0;
  let i = from;
  while (i < sql.length) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      const end = closingQuote(sql, i);
      i = end;
      continue;
    }
    const startsNumber = (c >= '0' && c <= '9') || (c === '.' && sql[i + 1] >= '0' && sql[i + 1] <= '9');
    if (!startsNumber || isWordChar(sql[i - 1])) {
      i++;
      continue;
    }
    const m = /^(\d*\.?\d*)([eE][+-]?\d+)?/.exec(sql.slice(i, i + 400));
    const token = m![0];
    // -9223372036854775808 is an INTEGER to SQLite (INT64_MIN), though its digits alone exceed INT64_MAX.
    const negated = /-\s*$/.test(sql.slice(Math.max(copied, i - 40), i));
    const real = token.includes('.') || m![2] !== undefined || BigInt(token) > (negated ? INT64_MAX + 1n : INT64_MAX);
    if (real) {
      out += sql.slice(copied, i) + realLiteral(Number(token));
      copied = i + token.length;
    }
    i += token.length;
  }
  return copied === 0 ? sql : out + sql.slice(copied);
}

/** The index just past the quote that closes the one at `start` (a doubled quote is part of the text). */
function closingQuote(sql: string, start: number): number {
  const q = sql[start];
  let i = start + 1;
  for (;;) {
    const next = sql.indexOf(q, i);
    if (next === -1) return sql.length;
    if (sql[next + 1] === q) i = next + 2;
    else return next + 1;
  }
}

/** A character that continues a name, as SQLite's tokenizer reads one: every character above ASCII does. */
function isWordChar(c: string | undefined): boolean {
  return c !== undefined && (/[A-Za-z0-9_$]/.test(c) || c.charCodeAt(0) >= 0x80);
}
