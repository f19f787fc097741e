/** The --help text: every command and flag. Kept in step with README.md. */
export const HELP = `schema-wizard: guided, verified, reversible schema optimization of an MCP Memory database
(libSQL file or Turso), following the migration guide's two phases.

Usage
  npx schema-wizard [--db PATH|URL]         the interactive wizard (a terminal is required)
  npx schema-wizard --demo                  the wizard on a generated demo database
  schema-wizard <command> [flags]           headless steps for scripts and CI

Commands
  plan       dry run: what each phase would change, drift, warnings (writes nothing)
  apply      verified backup, then Phase 1 / Phase 2, each one atomic write (needs --yes)
  rollback   undo applied phases from the in-database journal, newest first (needs --yes)
  verify     the guide's checks, data preservation, integrity, query plans (--info: schema info)
  stats      tables, indexes, triggers, rows per table, sizes
  smoke      the five production smoke tests, inside a transaction that is rolled back
  backup     take a verified backup now (.db copy, or .sql dump)
  restore    restore a verified backup (needs --from and --yes)
  unlock     clear the lock a crashed run left behind (needs --yes)
  demo       create a sample v1 database (--out PATH)

Connection
  --db PATH|URL          a file path, file:, libsql:, https:, http:, wss: or ws: URL
                         (default: $TURSO_URL)
  --auth-token TOKEN     token for remote databases (default: $TURSO_AUTH_TOKEN); never printed
  --busy-timeout DUR     wait this long for another writer's lock (default 5s; 500ms, 10s, 2m, 1h; at most 24 days)
  --connect-timeout DUR  give up on a remote server that does not answer (default 10s)

Flags
  --phase P              1, 2 or all (also phase1, "Phase 1"); default all
  --yes, -y              confirm writes (required when not in an interactive terminal)
  --json                 print one JSON document on stdout; progress goes to stderr
  --backup-dir DIR       where automatic backups go (default ./backups)
  --no-backup            apply/rollback without a backup (the report says so loudly)
  --report-dir DIR       wizard: where the maintenance-window report goes (default ./reports)
  --plain                wizard: plain lines and numbered answers, no cursor movement (also TERM=dumb)
  --out PATH             backup: exact backup path; demo: database path
  --format db|sql        backup format (default: db for files, sql for remote)
  --from PATH            restore: the backup to restore
  --replace              restore: allow replacing a non-empty remote database
  --discard-newer        restore/wizard: accept losing rows written since the backup
  --force-other-database restore: accept a backup that does not look like this database's
  --info                 verify: print the schema information instead of checks
  --thorough             verify: integrity_check instead of quick_check
  --health-url URL       smoke: also call the application's health check
  --api-key-env NAME     smoke: send the key in $NAME as X-API-Key (never printed)
  --hash-plaintext-keys  plan/apply/wizard: hash plaintext API keys inside Phase 2's write
                         (cannot be undone except from the backup)
  --keep-plaintext-keys  plan/apply/wizard: apply Phase 2 anyway; those users cannot
                         authenticate until their keys are hashed
  --repair-fts           plan/apply/wizard: recreate a missing FTS table its triggers still
                         write to, and rebuild it, in the first phase's write
  --demo                 run on a freshly generated demo database
  --debug                show stack traces
  --help, -h / --version, -v

Exit codes
  0 done   1 failed (nothing half-applied)   2 usage or bad input   3 verification failed
  130 interrupted (143 SIGTERM, 129 SIGHUP)
`;
