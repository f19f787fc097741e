/**
 * Argument parsing with node:util parseArgs (strict: an unknown flag is an error). Returns a
 * typed command line or throws a UserError naming the fix.
 */
import { parseArgs } from 'node:util';
import { COMMAND_FLAGS, COMMANDS, COMMON, FLAGS, PARSE_OPTIONS, type CommandName, type FlagName } from './flags.js';
import { ExitCode, parsePhase, UserError, type KeyPolicy, type PhaseId } from '../core/index.js';

export { COMMANDS, type CommandName } from './flags.js';

export interface CommandLine {
  command: CommandName;
  db?: string;
  authToken?: string;
  phases: PhaseId[];
  phaseGiven: boolean;
  json: boolean;
  yes: boolean;
  debug: boolean;
  busyTimeoutMs: number;
  connectTimeoutMs: number;
  backupDir: string;
  reportDir?: string;
  noBackup: boolean;
  out?: string;
  format?: 'db' | 'sql';
  from?: string;
  replace: boolean;
  info: boolean;
  thorough: boolean;
  healthUrl?: string;
  apiKeyEnv?: string;
  /** --hash-plaintext-keys / --keep-plaintext-keys; unset: Phase 2 refuses when plaintext keys exist. */
  keys?: KeyPolicy;
  repairFts: boolean;
  discardNewer: boolean;
  forceOtherDatabase: boolean;
  /** --plain (or TERM=dumb): the wizard as plain lines and numbered answers, no cursor movement. */
  plain: boolean;
  demo: boolean;
  help: boolean;
  version: boolean;
}

export function parseCommandLine(argv: string[]): CommandLine {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: PARSE_OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UserError(cleanParseError((error as Error).message), {
      hint: 'Run `schema-wizard --help` for the commands and flags.',
      exitCode: ExitCode.usage,
    });
  }
  const { values, positionals } = parsed;
  refuseRepeatedFlags(argv);
  const [first, ...rest] = positionals;
  if (rest.length > 0) {
    throw new UserError(`Unexpected argument: ${rest[0]}`, { hint: 'Run `schema-wizard --help`.' });
  }
  let command: CommandName = 'wizard';
  if (first !== undefined) {
    if (!(COMMANDS as readonly string[]).includes(first)) {
      throw new UserError(`Unknown command: ${first}`, {
        hint: `Commands: ${COMMANDS.filter((c) => c !== 'wizard').join(', ')}. Run \`schema-wizard --help\`.`,
      });
    }
    command = first as CommandName;
  }
  const allowed = new Set<string>([...COMMON, ...COMMAND_FLAGS[command]]);
  const foreign = Object.keys(values).filter((flag) => !allowed.has(flag));
  if (foreign.length > 0) {
    const takers = (Object.keys(COMMAND_FLAGS) as CommandName[]).filter((c) => COMMAND_FLAGS[c].includes(foreign[0] as FlagName));
    throw new UserError(
      `${command === 'wizard' ? 'The wizard' : `\`${command}\``} does not take --${foreign[0]}${takers.length ? ` (${takers.join(', ')} ${takers.length === 1 ? 'does' : 'do'})` : ''}.`,
      {
        hint: `Drop --${foreign[0]}, or run the command that takes it. \`schema-wizard --help\` lists each command's flags.`,
        exitCode: ExitCode.usage,
      },
    );
  }
  const phases = parsePhase(values.phase);
  if (phases === null) {
    throw new UserError(`Unknown phase: ${values.phase}`, { hint: 'Use --phase 1, 2 or all (also "Phase 1", phase2).' });
  }
  const format = values.format;
  if (format !== undefined && format !== 'db' && format !== 'sql') {
    throw new UserError(`Unknown backup format: ${format}`, { hint: 'Use --format db or --format sql.' });
  }
  if (values['hash-plaintext-keys'] && values['keep-plaintext-keys']) {
    throw new UserError('--hash-plaintext-keys and --keep-plaintext-keys contradict each other.', {
      hint: 'Give one: hash the plaintext keys in Phase 2, or keep them (those users cannot authenticate).',
      exitCode: ExitCode.usage,
    });
  }
  if (values['api-key-env'] !== undefined && values['health-url'] === undefined) {
    throw new UserError('--api-key-env needs --health-url.', { hint: 'Give the health check URL with --health-url URL.' });
  }
  return {
    command,
    db: values.db,
    authToken: values['auth-token'],
    phases,
    phaseGiven: values.phase !== undefined,
    json: values.json ?? false,
    yes: values.yes ?? false,
    debug: values.debug ?? false,
    busyTimeoutMs: parseDuration(values['busy-timeout']),
    connectTimeoutMs: parseDuration(values['connect-timeout'], 10_000),
    backupDir: values['backup-dir'] ?? 'backups',
    reportDir: values['report-dir'],
    noBackup: values['no-backup'] ?? false,
    out: values.out,
    format,
    from: values.from,
    replace: values.replace ?? false,
    info: values.info ?? false,
    thorough: values.thorough ?? false,
    healthUrl: values['health-url'],
    apiKeyEnv: values['api-key-env'],
    keys: values['hash-plaintext-keys'] ? 'hash' : values['keep-plaintext-keys'] ? 'keep' : undefined,
    repairFts: values['repair-fts'] ?? false,
    discardNewer: values['discard-newer'] ?? false,
    plain: values.plain ?? false,
    forceOtherDatabase: values['force-other-database'] ?? false,
    demo: values.demo ?? false,
    help: values.help ?? false,
    version: values.version ?? false,
  };
}

/** The longest wait a timer can hold (2^31 - 1 ms); a longer one would fire at once. */
const MAX_DURATION_MS = 2 ** 31 - 1;

/** "5", "5s", "500ms", "2m" -> milliseconds. */
export function parseDuration(value: string | undefined, fallbackMs = 5_000): number {
  if (value === undefined) return fallbackMs;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value.trim());
  if (!m) throw new UserError(`Not a duration: ${value}`, { hint: 'Use seconds (--busy-timeout 10) or a unit: 500ms, 10s, 2m, 1h, 1d.' });
  const n = Number(m[1]);
  const unit = (m[2] ?? 's') as 'ms' | 's' | 'm' | 'h' | 'd';
  const ms = Math.round(n * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit]);
  if (ms > MAX_DURATION_MS)
    throw new UserError(`Duration too long: ${value}`, {
      hint: 'Use at most 24 days (2147483647ms); a busy database is better stopped than waited for that long.',
    });
  return ms;
}

/** A flag given twice is a typo or a misunderstanding (--phase 1 --phase 2 would apply only Phase 2): refused. */
function refuseRepeatedFlags(argv: string[]): void {
  const seen = new Set<string>();
  for (const arg of argv) {
    if (arg === '--') break;
    const name = /^--([a-z][a-z-]*)(?:=|$)/.exec(arg)?.[1] ?? (/^-([a-z])$/.exec(arg)?.[1] === 'y' ? 'yes' : undefined);
    if (!name) continue;
    if (seen.has(name)) {
      throw new UserError(`Flag --${name} was given more than once.`, {
        hint: name === 'phase' ? 'Give one --phase: 1, 2 or all (both phases).' : `Give --${name} once.`,
        exitCode: ExitCode.usage,
      });
    }
    seen.add(name);
  }
}

function cleanParseError(message: string): string {
  // parseArgs messages carry a multi-line suggestion; keep the first sentence.
  const first = message.split('\n')[0].replace(/^TypeError \[[A-Z_]+\]: /, '');
  const unknown = /Unknown option '([^']+)'/.exec(first);
  if (unknown) {
    const near = closestFlag(unknown[1].replace(/^-+/, ''));
    return `Unknown flag: ${unknown[1]}${near ? ` (did you mean --${near}?)` : ''}`;
  }
  const missing = /Option '.*?(--[\w-]+)[^']*' argument missing/.exec(first);
  if (missing) return `Flag ${missing[1]} needs a value.`;
  return first;
}

/** The known flag within two edits of what was typed, if exactly one is closest. */
function closestFlag(typed: string): string | null {
  let best: { flag: string; distance: number } | null = null;
  for (const flag of Object.keys(FLAGS)) {
    const d = editDistance(typed, flag);
    if (d <= 2 && (!best || d < best.distance)) best = { flag, distance: d };
  }
  return best?.flag ?? null;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}
