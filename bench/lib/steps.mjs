// The measurements of one size. Each function works on its own copy of the cached database.
import fs from 'node:fs';
import path from 'node:path';
import { CLI, StepFailed, sqlite, sqliteIntegrity, startHrana, timed, tool } from './exec.mjs';
import { writeRun } from './writes.mjs';
import { copyOf } from './datasets.mjs';

/** Keep what the tables show; stdout/stderr would bloat the JSON. */
const keep = (r) => ({ ms: r.ms, timeS: r.timeS, rssKiB: r.rssKiB });

/** The tool's headless full run, one CLI process per step, on copy `db`. */
export async function toolSteps(db, work, log) {
  const backupDir = path.join(work, 'tool-backups');
  const steps = [
    ['backup', ['backup', '--db', db, '--backup-dir', backupDir]],
    ['apply --phase 1', ['apply', '--phase', '1', '--yes', '--no-backup', '--db', db]],
    ['verify --phase 1', ['verify', '--phase', '1', '--db', db]],
    ['apply --phase 2', ['apply', '--phase', '2', '--yes', '--no-backup', '--db', db]],
    ['verify', ['verify', '--db', db]],
    ['smoke', ['smoke', '--db', db]],
  ];
  const out = {};
  for (const [name, args] of steps) {
    log(`  schema-wizard ${name}`);
    out[name] = keep(await tool(args));
  }
  fs.rmSync(backupDir, { recursive: true, force: true });
  return out;
}

/**
 * One `apply --phase all --yes` (its own verified backup, both phases), with each phase's
 * write-lock window (BEGIN to COMMIT) as the tool reports it.
 */
export async function toolOneShot(db, work, log) {
  const backupDir = path.join(work, 'oneshot-backups');
  log('  schema-wizard apply --phase all --yes (one shot)');
  const r = await tool(['apply', '--phase', 'all', '--yes', '--keep-plaintext-keys', '--db', db, '--backup-dir', backupDir]);
  fs.rmSync(backupDir, { recursive: true, force: true });
  return { ...keep(r), lockMs: lockWindows(r.json.report.phases) };
}

const lockWindows = (phases) => Object.fromEntries(phases.map((p) => [p.phase, p.lockMs ?? null]));

/**
 * The unattended wizard (`--yes`), the whole checklist: backup, dry run, Phase 1, verify, Phase 2,
 * verify, smoke tests, stats, the report. Its report file gives the lock windows.
 */
export async function toolWizard(db, work, log) {
  const dir = path.join(work, 'wizard');
  log('  schema-wizard --yes (the unattended wizard)');
  const r = await timed(process.execPath, [CLI, '--db', db, '--yes', '--keep-plaintext-keys', '--backup-dir', path.join(dir, 'backups'), '--report-dir', dir]);
  const reportFile = fs.existsSync(dir) ? fs.readdirSync(dir).find((f) => f.endsWith('.json')) : undefined;
  if (r.code !== 0 || !reportFile)
    throw new StepFailed(`schema-wizard --yes failed (exit ${r.code})\n    ${r.stderr.trim().split('\n').slice(-5).join('\n    ')}`, keep(r));
  const report = JSON.parse(fs.readFileSync(path.join(dir, reportFile), 'utf8'));
  fs.rmSync(dir, { recursive: true, force: true });
  return { ...keep(r), lockMs: lockWindows(report.phases ?? report.report?.phases ?? []) };
}

/**
 * The whole remote `apply --phase all --yes` (its backup through the server's dump, both
 * phases) on a copy of `v1`, through the loopback server answering each request `delayMs` late.
 */
export async function remoteApply(v1, work, delays, log) {
  const out = {};
  for (const delayMs of delays) {
    const db = copyOf(v1, path.join(work, `remote-${delayMs}.db`));
    const token = `bench-${process.pid}`;
    const server = await startHrana(db, token, { delayMs });
    log(`  schema-wizard apply --phase all --yes over loopback Hrana, ${delayMs} ms per request`);
    try {
      const backupDir = path.join(work, `remote-backups-${delayMs}`);
      const r = await tool(['apply', '--phase', 'all', '--yes', '--keep-plaintext-keys', '--db', server.url, '--auth-token', token, '--backup-dir', backupDir]);
      fs.rmSync(backupDir, { recursive: true, force: true });
      out[delayMs] = { ...keep(r), requests: r.json.requests, read: r.json.backup?.read ?? null, lockMs: lockWindows(r.json.report.phases) };
    } finally {
      await server.stop();
      fs.rmSync(db, { force: true });
    }
  }
  return out;
}

/** The exact DDL the tool would run, per phase, read from `plan --json` (not timed). */
export async function planSql(db) {
  const { json } = await tool(['plan', '--db', db]);
  const sql = {};
  for (const phase of json.plan.phases) sql[phase.phase] = phase.statements.map((s) => s.sql);
  if (!sql.phase1?.length || !sql.phase2?.length) throw new Error(`plan of ${db} has nothing to do: not a v1 database?`);
  return sql;
}

/** Stock sqlite3 doing the same work on copy `db`: backup + check, both phases (one transaction each), check. */
export async function sqliteSteps(db, work, sql, log) {
  // Read from a file under `.timer on`, which then reports each statement's own time: their sum
  // is the bare DDL's write-lock window (BEGIN to COMMIT), without the process start.
  const tx = (phase, statements) => {
    const script = path.join(work, `${phase}.sql`);
    fs.writeFileSync(script, `BEGIN;\n${statements.map((s) => `${s};`).join('\n')}\nCOMMIT;\n`);
    return sqlite(db, `.read '${script}'`, { cmd: '.timer on' });
  };
  const backupFile = path.join(work, 'sqlite3-backup.db');
  log('  sqlite3 .backup, integrity_check, Phase 1, Phase 2, integrity_check');
  const out = {
    '.backup': keep(await sqlite(db, `.backup '${backupFile}'`)),
    'integrity_check (backup)': keep(await sqliteIntegrity(backupFile)),
    'Phase 1 DDL': withStatementTime(await tx('phase1', sql.phase1)),
    'Phase 2 DDL': withStatementTime(await tx('phase2', sql.phase2)),
    integrity_check: keep(await sqliteIntegrity(db)),
  };
  fs.rmSync(backupFile, { force: true });
  return out;
}

/** The process's timing plus `statementsMs`: the sum of `.timer on`'s "Run Time: real S" lines. */
function withStatementTime(r) {
  const times = [...r.stdout.matchAll(/^Run Time: real ([0-9.]+)/gm)].map((m) => Number(m[1]) * 1000);
  if (times.length === 0) throw new StepFailed('sqlite3 printed no .timer lines', keep(r));
  return { ...keep(r), statementsMs: times.reduce((a, b) => a + b, 0) };
}

/**
 * Runs a tool backup that is measured on its own: if it fails, the failure is recorded with the
 * time it took (the run will exit 1) and the other measurements go on.
 */
async function attemptBackup(args, failures) {
  try {
    const r = await tool(args);
    return { ...keep(r), bytes: r.json.backup.bytes };
  } catch (error) {
    if (!(error instanceof StepFailed)) throw error;
    failures.push(error.message);
    return { ...error.result, bytes: null, failed: error.reason };
  }
}

/** SQL dumps: the tool's verified `backup --format sql` locally and over loopback Hrana, vs `sqlite3 .dump`. */
export async function dumps(db, work, log, failures) {
  const file = (name) => path.join(work, name);
  log('  sqlite3 .dump');
  const stock = await sqlite(db, '.dump', { stdoutFile: file('sqlite3.sql') });
  const stockBytes = fs.statSync(file('sqlite3.sql')).size;
  // Reference, not a target: what a *verified* dump costs in C (dump, reload, integrity_check),
  // since the tool's backup reloads its dump into a scratch database before it counts.
  log('  sqlite3 reload of the dump + integrity_check (reference)');
  const reload = await sqlite(file('reload.db'), `.read '${file('sqlite3.sql')}'`);
  const reloadCheck = await sqliteIntegrity(file('reload.db'));
  fs.rmSync(file('sqlite3.sql'));
  fs.rmSync(file('reload.db'));
  log('  schema-wizard backup --format sql (local)');
  const local = await attemptBackup(['backup', '--format', 'sql', '--db', db, '--out', file('tool-local.sql')], failures);
  log('  schema-wizard backup over loopback Hrana');
  const token = `bench-${process.pid}`;
  const server = await startHrana(db, token);
  let remote;
  try {
    remote = await attemptBackup(['backup', '--db', server.url, '--auth-token', token, '--out', file('tool-remote.sql')], failures);
  } finally {
    await server.stop();
  }
  const result = {
    sqlite3: { ...keep(stock), bytes: stockBytes },
    sqlite3Verified: { ms: stock.ms + reload.ms + reloadCheck.ms, rssKiB: Math.max(stock.rssKiB, reload.rssKiB, reloadCheck.rssKiB) },
    local,
    loopback: remote,
  };
  for (const f of ['tool-local.sql', 'tool-remote.sql']) for (const ext of ['', '.json', '.sha256']) fs.rmSync(file(f + ext), { force: true });
  return result;
}

/** Write throughput before (v1 copy) and after (migrated copy), runs interleaved so drift hits both. */
export async function writeThroughput(beforeDb, afterDb, runs, log) {
  log(`  write throughput, ${runs} runs each (interleaved)`);
  const before = [];
  const after = [];
  for (let run = 0; run < runs; run++) {
    before.push(await writeRun(beforeDb, run, 'before'));
    after.push(await writeRun(afterDb, run, 'after'));
  }
  return { before: spread(before.map((r) => r.rowsPerSec)), after: spread(after.map((r) => r.rowsPerSec)), rowsPerRun: before[0].rows };
}

/** `schema-wizard --help`, a cold node process each time. */
export async function coldStart(runs, log) {
  log(`cold start: schema-wizard --help x ${runs}`);
  const ms = [];
  let rssKiB = 0;
  for (let i = 0; i < runs; i++) {
    const r = await timed(process.execPath, [CLI, '--help']);
    if (r.code !== 0) throw new Error(`schema-wizard --help exited ${r.code}`);
    ms.push(r.ms);
    rssKiB = Math.max(rssKiB, r.rssKiB);
  }
  return { ...spread(ms), rssKiB };
}

export function spread(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { min: s[0], median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, max: s[s.length - 1], values };
}
