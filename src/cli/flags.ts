/**
 * Every command and flag, once: what parseArgs reads, which command takes which flag (a flag a
 * command does not take is refused), and the words of --help (help.ts draws them from here, so
 * the help can never name a flag the parser does not know, or miss one).
 */
export const COMMANDS = ['wizard', 'plan', 'apply', 'rollback', 'verify', 'stats', 'smoke', 'backup', 'restore', 'unlock', 'demo'] as const;
export type CommandName = (typeof COMMANDS)[number];

export const COMMAND_HELP: Record<Exclude<CommandName, 'wizard'>, string> = {
  plan: 'dry run: what each phase would change, drift, warnings (writes nothing)',
  apply: 'verified backup, then Phase 1 / Phase 2, each one atomic write (needs --yes)',
  rollback: 'undo applied phases from the in-database journal, newest first (needs --yes)',
  verify: "the guide's checks, data preservation, integrity, query plans (--info: schema info)",
  stats: 'tables, indexes, triggers, rows per table, sizes',
  smoke: 'the five production smoke tests, inside a transaction that is rolled back',
  backup: 'take a verified backup now (.db copy, or .sql dump)',
  restore: 'restore a verified backup (needs --from and --yes)',
  unlock: 'clear the lock a crashed run left behind (needs --yes)',
  demo: 'create a sample v1 database (--out PATH)',
};

interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** The value's placeholder in --help (string flags). */
  value?: string;
  help: string;
}

export const FLAGS = {
  db: { type: 'string', value: 'PATH|URL', help: 'a file path, file:, libsql:, https:, http:, wss: or ws: URL (default: $TURSO_URL)' },
  'auth-token': { type: 'string', value: 'TOKEN', help: 'token for remote databases (default: $TURSO_AUTH_TOKEN); never printed' },
  'busy-timeout': { type: 'string', value: 'DUR', help: "wait this long for another writer's lock (default 5s; 500ms, 10s, 2m, 1h; at most 24 days)" },
  'connect-timeout': { type: 'string', value: 'DUR', help: 'give up on a remote server that does not answer (default 10s)' },
  json: { type: 'boolean', help: 'print one JSON document on stdout; progress goes to stderr' },
  demo: { type: 'boolean', help: 'run on a freshly generated demo database' },
  debug: { type: 'boolean', help: 'show stack traces' },
  help: { type: 'boolean', short: 'h', help: 'this text' },
  version: { type: 'boolean', short: 'v', help: "the tool's version" },
  phase: { type: 'string', value: 'P', help: '1, 2 or all (also phase1, "Phase 1"); default all' },
  yes: { type: 'boolean', short: 'y', help: 'confirm writes (required when not in an interactive terminal)' },
  'backup-dir': { type: 'string', value: 'DIR', help: 'where automatic backups go (default ./backups)' },
  'no-backup': { type: 'boolean', help: 'apply/rollback without a backup (the report says so loudly)' },
  'report-dir': { type: 'string', value: 'DIR', help: 'where the maintenance-window report goes (default ./reports)' },
  plain: { type: 'boolean', help: 'plain lines and numbered answers, no cursor movement (also TERM=dumb)' },
  out: { type: 'string', value: 'PATH', help: 'backup: exact backup path; demo: database path' },
  format: { type: 'string', value: 'db|sql', help: 'backup format (default: db for files, sql for remote)' },
  from: { type: 'string', value: 'PATH', help: 'the backup to restore' },
  replace: { type: 'boolean', help: 'allow replacing a non-empty remote database' },
  'discard-newer': { type: 'boolean', help: 'accept losing rows written since the backup' },
  'force-other-database': { type: 'boolean', help: "accept a backup that does not look like this database's" },
  info: { type: 'boolean', help: 'print the schema information instead of checks' },
  thorough: { type: 'boolean', help: "integrity_check instead of quick_check; a remote backup also hashes every row of the server's dump against the server" },
  'health-url': { type: 'string', value: 'URL', help: "also call the application's health check" },
  'api-key-env': { type: 'string', value: 'NAME', help: 'send the key in $NAME as X-API-Key (never printed)' },
  'hash-plaintext-keys': { type: 'boolean', help: "hash plaintext API keys inside Phase 2's write (cannot be undone except from the backup)" },
  'keep-plaintext-keys': { type: 'boolean', help: 'apply Phase 2 anyway; those users cannot authenticate until their keys are hashed' },
  'repair-fts': { type: 'boolean', help: "recreate a missing FTS table its triggers still write to, and rebuild it, in the first phase's write" },
} as const satisfies Record<string, FlagSpec>;

export type FlagName = keyof typeof FLAGS;

/** Flags every command takes (the connection, output and help). */
export const COMMON = [
  'db',
  'auth-token',
  'busy-timeout',
  'connect-timeout',
  'json',
  'demo',
  'debug',
  'help',
  'version',
] as const satisfies readonly FlagName[];
const KEYS = ['hash-plaintext-keys', 'keep-plaintext-keys', 'repair-fts'] as const;

/** What each command takes besides COMMON: a flag another command takes is refused, not ignored. */
export const COMMAND_FLAGS: Record<CommandName, readonly FlagName[]> = {
  wizard: ['yes', 'backup-dir', 'no-backup', 'report-dir', 'plain', ...KEYS],
  plan: ['phase', ...KEYS],
  apply: ['phase', 'yes', 'backup-dir', 'no-backup', ...KEYS],
  rollback: ['phase', 'yes', 'backup-dir', 'no-backup'],
  verify: ['phase', 'info', 'thorough'],
  stats: [],
  smoke: ['health-url', 'api-key-env'],
  backup: ['backup-dir', 'out', 'format', 'thorough'],
  restore: ['from', 'yes', 'replace', 'discard-newer', 'force-other-database'],
  unlock: ['yes'],
  demo: ['out'],
};

/** The options table parseArgs reads. */
export const PARSE_OPTIONS = Object.fromEntries(
  Object.entries(FLAGS).map(([name, spec]) => [name, { type: spec.type, ...('short' in spec ? { short: spec.short } : {}) }]),
) as { [K in FlagName]: { type: (typeof FLAGS)[K]['type']; short?: string } };
