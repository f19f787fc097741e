// Turns the results into markdown tables and PASS/MISS verdicts. Verdicts are reported, never
// enforced: timing depends on the machine, so a MISS is information, not a failed run.
import { sizeLabel } from './datasets.mjs';

/** Which stock sqlite3 steps do the same work as each tool step ([] = sqlite3 has no counterpart). */
export const COUNTERPARTS = {
  backup: ['.backup', 'integrity_check (backup)'],
  'apply --phase 1': ['Phase 1 DDL'],
  'verify --phase 1': [],
  'apply --phase 2': ['Phase 2 DDL'],
  verify: ['integrity_check'],
  smoke: [],
};
// Issue 14's baseline: stock sqlite3 doing the verified run's work in one sequence.
const ONE_SHOT_COUNTERPART = ['.backup', 'integrity_check (backup)', 'Phase 1 DDL', 'Phase 2 DDL', 'integrity_check'];

export const TARGETS = {
  oneShot: {
    label: '`apply --phase all --yes` (its verified backup) vs sqlite3 .backup + integrity_check + Phase 1 + Phase 2 + integrity_check',
    limit: 1.0,
    unit: 'x',
  },
  wizard: { label: 'the unattended wizard (`--yes`, the whole checklist) vs the same sqlite3 sequence', limit: 1.3, unit: 'x' },
  lockPhase1: { label: "Phase 1's write-lock window (BEGIN to COMMIT, as `apply` reports it) vs the bare DDL in sqlite3", limit: 1.2, unit: 'x' },
  lockPhase2: { label: "Phase 2's write-lock window vs the bare DDL in sqlite3", limit: 1.2, unit: 'x' },
  peakRss: { label: 'peak RSS of any schema-wizard process', limit: 200, unit: ' MiB' },
  endToEnd: { label: 'end to end, six commands, vs stock sqlite3 (earlier target)', limit: 1.3, unit: 'x' },
  dumpLocal: { label: 'SQL dump, local, vs `sqlite3 .dump` (earlier target)', limit: 1.5, unit: 'x' },
  dumpLoopback: { label: "remote backup over loopback Hrana (the server's dump) vs `sqlite3 .dump`", limit: 2, unit: 'x' },
  coldStart: { label: '`--help` cold start (median)', limit: 300, unit: ' ms' },
};

const sum = (values) => values.reduce((a, b) => a + b, 0);
const mib = (kib) => kib / 1024;
const sec = (ms) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 1000).toFixed(2)} s`);
const ratio = (r) => (Number.isFinite(r) ? `${r.toFixed(2)}x` : '—');
const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
const pct = (before, after) => `${after >= before ? '+' : ''}${(((after - before) / before) * 100).toFixed(1)}%`;
// A value that could not be measured (NaN) is never a PASS.
const verdict = (value, limit) => (Number.isFinite(value) ? (value <= limit ? 'PASS' : 'MISS') : 'NOT MEASURED');

/** Derived numbers of one size: sums, ratios, peak RSS and target verdicts. */
export function summarize(size) {
  const toolMs = sum(Object.values(size.tool).map((s) => s.ms));
  const sqliteMs = sum(Object.values(size.sqlite3).map((s) => s.ms));
  const remote = Object.fromEntries(Object.entries(size.remote ?? {}).map(([delay, r]) => [`remote apply (${delay} ms)`, r]));
  const toolProcesses = {
    ...size.tool,
    'apply --phase all --yes': size.oneShot,
    'wizard --yes': size.wizard,
    'backup --format sql': size.dumps.local,
    'backup (loopback)': size.dumps.loopback,
    ...remote,
  };
  const [peakStep, peak] = Object.entries(toolProcesses).reduce((best, [name, s]) => (s.rssKiB > best[1].rssKiB ? [name, s] : best), ['', { rssKiB: 0 }]);
  const oneShotSqliteMs = sum(ONE_SHOT_COUNTERPART.map((k) => size.sqlite3[k].ms));
  const lockRatio = (phase, ddl) => (size.oneShot.lockMs?.[phase] ?? NaN) / size.sqlite3[ddl].statementsMs;
  const values = {
    oneShot: size.oneShot.ms / oneShotSqliteMs,
    wizard: size.wizard.ms / oneShotSqliteMs,
    lockPhase1: lockRatio('phase1', 'Phase 1 DDL'),
    lockPhase2: lockRatio('phase2', 'Phase 2 DDL'),
    endToEnd: toolMs / sqliteMs,
    peakRss: mib(peak.rssKiB),
    dumpLocal: size.dumps.local.ms / size.dumps.sqlite3.ms,
    dumpLoopback: size.dumps.loopback.ms / size.dumps.sqlite3.ms,
  };
  const verdicts = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, verdict(v, TARGETS[k].limit)]));
  // A failed backup's time is a lower bound (it failed at its final check): it cannot pass.
  if (size.dumps.local.failed) verdicts.dumpLocal = 'FAILED';
  if (size.dumps.loopback.failed) verdicts.dumpLoopback = 'FAILED';
  return { toolMs, sqliteMs, oneShotRatio: values.oneShot, oneShotSqliteMs, peakStep, values, verdicts };
}

function sizeSection(size) {
  const s = size.summary;
  const lines = [`### ${sizeLabel(size.memories)} memories`, ''];
  const o = size.options;
  lines.push(
    `${o.memories} memories (1536-d TEXT embeddings), ${o.entities} entities, ${o.interactions} interactions, ${o.usage} api_usage_tracking rows, ${o.users} users, ${o.learnedPatterns} learned_patterns rows; seed ${o.seed}; v1 file ${mb(size.storage.before.fileBytes)}; 1-min load average ${size.load.before.toFixed(2)} before, ${size.load.after.toFixed(2)} after.`,
    '',
  );
  lines.push('| Step | schema-wizard | peak RSS | stock sqlite3 doing the same | sqlite3 | ratio |', '|---|---:|---:|---|---:|---:|');
  for (const [name, t] of Object.entries(size.tool)) {
    const parts = COUNTERPARTS[name];
    const ms = sum(parts.map((p) => size.sqlite3[p].ms));
    lines.push(
      `| \`${name}\` | ${sec(t.ms)} | ${mib(t.rssKiB).toFixed(0)} MiB | ${parts.length ? parts.join(' + ') : '(none)'} | ${parts.length ? sec(ms) : '—'} | ${parts.length ? ratio(t.ms / ms) : '—'} |`,
    );
  }
  const peakSteps = Math.max(...Object.values(size.tool).map((t) => t.rssKiB));
  lines.push(
    `| **end to end (6 steps)** | **${sec(s.toolMs)}** | ${mib(peakSteps).toFixed(0)} MiB | all 5 above | **${sec(s.sqliteMs)}** | **${ratio(s.values.endToEnd)}** |`,
  );
  lines.push(
    `| \`apply --phase all --yes\` (one shot, own verified backup) | ${sec(size.oneShot.ms)} | ${mib(size.oneShot.rssKiB).toFixed(0)} MiB | .backup + integrity_check + Phase 1 + Phase 2 + integrity_check | ${sec(s.oneShotSqliteMs)} | ${ratio(s.oneShotRatio)} |`,
    `| the unattended wizard (\`--yes\`, whole checklist) | ${sec(size.wizard.ms)} | ${mib(size.wizard.rssKiB).toFixed(0)} MiB | the same | ${sec(s.oneShotSqliteMs)} | ${ratio(s.values.wizard)} |`,
    '',
  );
  const lockMs = (ms) => (ms === null || ms === undefined ? '—' : `${ms.toFixed(1)} ms`);
  lines.push(
    '| Write-lock window (BEGIN to COMMIT) | `apply --phase all --yes` | the wizard | bare DDL in sqlite3 (`.timer on`) | ratio (apply) |',
    '|---|---:|---:|---:|---:|',
  );
  for (const [phase, ddl, key] of [
    ['phase1', 'Phase 1 DDL', 'lockPhase1'],
    ['phase2', 'Phase 2 DDL', 'lockPhase2'],
  ]) {
    lines.push(
      `| ${ddl.replace(' DDL', '')} | ${lockMs(size.oneShot.lockMs?.[phase])} | ${lockMs(size.wizard.lockMs?.[phase])} | ${lockMs(size.sqlite3[ddl].statementsMs)} | ${ratio(s.values[key])} |`,
    );
  }
  lines.push('');
  const remote = Object.entries(size.remote ?? {});
  if (remote.length > 0) {
    lines.push('| Remote `apply --phase all --yes` (loopback Hrana, its backup) | wall time | peak RSS | requests | backup read |', '|---|---:|---:|---:|---|');
    for (const [delay, r] of remote)
      lines.push(
        `| ${delay} ms per request | ${sec(r.ms)} | ${mib(r.rssKiB).toFixed(0)} MiB | ${r.requests}${r.read === 'server-dump' ? ' + 1 dump' : ''} | ${r.read ?? '—'} |`,
      );
    lines.push('');
  }

  const d = size.dumps;
  lines.push('| SQL dump | time | peak RSS | file | vs `sqlite3 .dump` |', '|---|---:|---:|---:|---:|');
  lines.push(`| \`sqlite3 DB .dump > file\` | ${sec(d.sqlite3.ms)} | ${mib(d.sqlite3.rssKiB).toFixed(0)} MiB | ${mb(d.sqlite3.bytes)} | 1.00x |`);
  lines.push(
    `| reference: \`sqlite3 .dump\` + reload + integrity_check (a verified dump in C) | ${sec(d.sqlite3Verified.ms)} | ${mib(d.sqlite3Verified.rssKiB).toFixed(0)} MiB | — | ${ratio(d.sqlite3Verified.ms / d.sqlite3.ms)} |`,
  );
  const dumpRow = (label, r, value) =>
    `| ${label} | ${sec(r.ms)}${r.failed ? ` **FAILED**: ${r.failed}` : ''} | ${mib(r.rssKiB).toFixed(0)} MiB | ${r.bytes === null ? '—' : mb(r.bytes)} | ${ratio(value)}${r.failed ? ' (at failure)' : ''} |`;
  lines.push(dumpRow('`backup --format sql` (local, verified)', d.local, s.values.dumpLocal));
  lines.push(dumpRow('`backup --db http://127.0.0.1:N` (loopback Hrana, verified)', d.loopback, s.values.dumpLoopback), '');

  const w = size.writes;
  const fmt = (x) => `${Math.round(x.min)} / ${Math.round(x.median)} / ${Math.round(x.max)}`;
  lines.push(
    `| Write throughput (rows/s, min / median / max of ${w.before.values.length}) | before (v1) | after (migrated) | change (median) |`,
    '|---|---:|---:|---:|',
  );
  lines.push(
    `| ${w.rowsPerRun} rows per run (memories + api_usage_tracking) | ${fmt(w.before)} | ${fmt(w.after)} | ${pct(w.before.median, w.after.median)} |`,
    '',
  );

  const b = size.storage.before;
  const a = size.storage.after;
  lines.push('| Storage | before (v1) | after (migrated) | change |', '|---|---:|---:|---:|');
  lines.push(`| file size | ${b.fileBytes} | ${a.fileBytes} | ${pct(b.fileBytes, a.fileBytes)} |`);
  lines.push(
    `| page_count x page_size | ${b.pageCount} x ${b.pageSize} = ${b.pages} | ${a.pageCount} x ${a.pageSize} = ${a.pages} | ${pct(b.pages, a.pages)} |`,
  );
  lines.push(`| used = (page_count - freelist_count) x page_size | ${b.usedBytes} | ${a.usedBytes} | ${pct(b.usedBytes, a.usedBytes)} |`, '');
  return lines.join('\n');
}

export function renderMarkdown(results) {
  const lines = ['## schema-wizard benchmark', ''];
  const m = results.machine;
  lines.push(
    `${results.date}; build ${m.commit ?? 'unknown (not a git checkout)'}; ${m.cpus} CPUs (${m.cpuModel}), ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB RAM; node ${m.node}; sqlite3 ${m.sqlite3}; ${results.runs} runs for repeated measurements.`,
    '',
  );
  for (const size of results.sizes) lines.push(sizeSection(size));
  const c = results.coldStart;
  const k = results.plaintextKeys;
  if (k) {
    lines.push(
      `Plaintext API keys, \`apply --phase 2 --hash-plaintext-keys\` on ${k.users} users who all hold one: ${(k.ms / 1000).toFixed(1)} s, peak RSS ${k.rssMiB.toFixed(0)} MiB, ` +
        `${k.hashedReported} reported hashed, ${k.plaintextLeft} left unhashed, journal row ${k.journalBytes} bytes (it does not grow with the number of users).`,
      '',
    );
  }
  const L = results.largeValue;
  if (L) {
    const one = (r) => `${(r.ms / 1000).toFixed(1)} s, peak RSS ${r.rssMiB.toFixed(0)} MiB`;
    lines.push(
      `One ${L.megabytes} MB BLOB in learned_patterns (file ${(L.fileBytes / 2 ** 20).toFixed(0)} MiB): \`apply --phase all --yes\` with its verified backup ${one(L.apply)} ` +
        `(limit 300 MiB: ${L.applyWithinLimit ? 'PASS' : 'MISS'}); \`rollback --phase all\` ${one(L.rollback)}; \`backup --format sql\` ${one(L.dump)}.`,
      '',
    );
  }
  lines.push(
    `Cold start, \`node bin/schema-wizard.js --help\` x ${c.values.length}: min ${c.min.toFixed(0)} ms / median ${c.median.toFixed(0)} ms / max ${c.max.toFixed(0)} ms (peak RSS ${mib(c.rssKiB).toFixed(0)} MiB).`,
    '',
  );

  lines.push('### Targets', '', 'Set at 100k (peak RSS: at every size); smaller sizes are shown for the trend. Reported, never enforced.', '');
  lines.push(`| Target | limit | ${results.sizes.map((s) => sizeLabel(s.memories)).join(' | ')} |`, `|---|---:|${results.sizes.map(() => '---:|').join('')}`);
  for (const key of ['oneShot', 'wizard', 'lockPhase1', 'lockPhase2', 'peakRss', 'dumpLoopback', 'endToEnd', 'dumpLocal']) {
    const t = TARGETS[key];
    const cells = results.sizes.map((s) => {
      const v = s.summary.values[key];
      return `${t.unit === 'x' ? ratio(v) : `${v.toFixed(0)}${t.unit}`} ${s.summary.verdicts[key]}${key === 'peakRss' ? ` (${s.summary.peakStep})` : ''}`;
    });
    lines.push(`| ${t.label} | ${t.limit}${t.unit} | ${cells.join(' | ')} |`);
  }
  // Cold start does not depend on the database: one measurement, shown under every size.
  const cold = `${c.median.toFixed(0)} ms ${verdict(c.median, TARGETS.coldStart.limit)}`;
  lines.push(`| ${TARGETS.coldStart.label} | ${TARGETS.coldStart.limit} ms | ${results.sizes.map(() => cold).join(' | ')} |`, '');
  if (results.failures.length > 0) lines.push('### Failed commands', '', ...results.failures.map((f) => `- ${f.split('\n')[0]}`), '');
  return lines.join('\n');
}
