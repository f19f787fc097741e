/**
 * Everything the CLI prints goes through here, so secrets are redacted in one place: the auth
 * token, any API key read for the health check, and the secret parts of any URL given are
 * replaced before a byte reaches a stream; control characters from the database are made visible.
 */
import { printable } from '../core/index.js';

export interface Streams {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

export class Output {
  private readonly secrets = new Set<string>();
  private readonly urlSecrets = new Set<string>();
  private readonly urls = new Map<string, string>();
  constructor(private readonly streams: Streams) {}

  addSecret(secret: string | undefined): void {
    // Very short strings would redact ordinary words; real tokens and keys are long.
    if (secret && secret.length >= 6) this.secrets.add(secret);
  }

  /** A URL given by the operator: the whole URL is printed redacted, and its secret parts never at all. */
  addUrl(url: string | undefined, secretsOf: (url: string) => string[], redacted: (url: string) => string): void {
    if (!url) return;
    const safe = redacted(url);
    if (safe !== url) this.urls.set(url, safe);
    // Longest first, so a password is not half-replaced by a shorter secret inside it.
    for (const secret of secretsOf(url)) this.urlSecrets.add(secret);
  }

  redact(text: string): string {
    let out = text;
    for (const [url, safe] of this.urls) out = out.split(url).join(safe);
    for (const secret of [...this.secrets, ...this.urlSecrets].sort((a, b) => b.length - a.length)) out = out.split(secret).join('[redacted]');
    return printable(out);
  }

  out(text: string): void {
    this.streams.stdout.write(this.redact(text.endsWith('\n') ? text : `${text}\n`));
  }

  err(text: string): void {
    this.streams.stderr.write(this.redact(text.endsWith('\n') ? text : `${text}\n`));
  }

  json(value: unknown): void {
    this.out(toJson(value));
  }
}

/** JSON with BigInt values as numbers when safe, strings otherwise; C1 and DEL escaped (see printable). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v), 2).replace(
    /[\u007f-\u009f]/g,
    (c) => `\\u00${c.charCodeAt(0).toString(16)}`,
  );
}
