/**
 * Everything the CLI prints goes through here, so secrets are redacted in one place: the auth
 * token (and any API key read for the health check) is replaced before a byte reaches a stream.
 */
export interface Streams {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

export class Output {
  private readonly secrets = new Set<string>();
  constructor(private readonly streams: Streams) {}

  addSecret(secret: string | undefined): void {
    // Very short strings would redact ordinary words; real tokens and keys are long.
    if (secret && secret.length >= 6) this.secrets.add(secret);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join('[redacted]');
    return out;
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

/** JSON with BigInt values as numbers when safe, strings otherwise. */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v) => (typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v),
    2,
  );
}
