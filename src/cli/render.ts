/** Plain-text renderings of plans, reports and stats for the headless commands (stdout). */
import { formatBytes, formatMs, phaseTitle, WRITE_OUTCOME_UNKNOWN, type Impact, type Plan, type Report, type Stats } from '../core/index.js';

export function renderPlan(plan: Plan, showSql = true): string {
  const lines: string[] = [];
  for (const p of plan.phases) {
    lines.push(`${p.title} (risk: ${p.risk}): ${describeStatus(p.status)}`);
    lines.push(`  ${p.description}`);
    if (p.statements.length > 0) {
      lines.push(`  ${p.statements.length} statement${p.statements.length === 1 ? '' : 's'}, applied as one atomic write:`);
      if (showSql) p.statements.forEach((s, i) => lines.push(`    ${String(i + 1).padStart(2)}. ${s.sql};`));
    }
    for (const done of p.alreadyDone) lines.push(`  skip: ${done}`);
    for (const n of p.notes) lines.push(`  note: ${n}`);
    for (const w of p.warnings) lines.push(`  warning: ${w}`);
    for (const c of p.conflicts) lines.push(`  BLOCKED: ${c}`);
    if (p.decision) {
      const k = p.decision.keys;
      lines.push(
        `  WAITS FOR A DECISION: ${k.count} user${k.count === 1 ? '' : 's'} hold${k.count === 1 ? 's' : ''} a plaintext API key in users.${k.column}; renaming the column would lock ${k.count === 1 ? 'that user' : 'them'} out.`,
      );
      lines.push('    apply needs --hash-plaintext-keys (hash them in this phase) or --keep-plaintext-keys (rename anyway).');
    }
    lines.push('');
  }
  if (plan.drift.length > 0) {
    lines.push('Drift from the v1 reference schema:');
    for (const d of plan.drift) lines.push(`  - ${d.message}`);
  } else {
    lines.push('No drift from the v1 reference schema.');
  }
  return lines.join('\n');
}

function describeStatus(status: string): string {
  switch (status) {
    case 'pending':
      return 'to apply';
    case 'partial':
      return 'partly applied; the rest will be applied';
    case 'applied':
      return 'already applied, nothing to do';
    default:
      return 'BLOCKED, nothing will be changed';
  }
}

export function renderRunSummary(report: Report): string {
  const lines: string[] = [];
  if (report.target) lines.push(`Database: ${report.target.display}`);
  if (report.backup) lines.push(`Backup: ${report.backup.path} (sha256 ${report.backup.sha256.slice(0, 16)}…, verified)`);
  if (report.backupSkipped) lines.push(`!! NO BACKUP WAS TAKEN: ${report.backupSkipped}`);
  for (const p of report.phases) {
    const title = phaseTitle(p.phase);
    const verb = p.action === 'apply' ? 'applied' : 'rolled back';
    const lock = p.lockMs !== undefined ? `; write lock held ${formatMs(p.lockMs)}` : '';
    if (p.status === 'success') lines.push(`${title}: ${verb}, ${p.executed} statements in ${formatMs(p.ms)} (journal #${p.journalId}${lock})`);
    else if (p.status === 'not-executed') lines.push(`${title}: ${p.detail ?? 'not executed'}`);
    else if (p.status === 'error' && p.error?.code === WRITE_OUTCOME_UNKNOWN) lines.push(`${title}: FAILED, outcome unknown: ${p.error.message}`);
    else if (p.status === 'error') lines.push(`${title}: FAILED and rolled back as a whole: ${p.error?.message}`);
  }
  for (const c of report.rowChecks) lines.push(`Rows (${phaseTitle(c.phase)}): ${c.ok ? 'ok' : 'MISMATCH'}: ${c.detail}`);
  for (const w of report.warnings) lines.push(`Warning: ${w}`);
  return lines.join('\n');
}

export function renderStats(stats: Stats): string {
  const lines = [
    `Tables: ${stats.counts.tables} (${stats.counts.plainTables} plain + ${stats.counts.virtualTables} virtual)`,
    `Indexes: ${stats.counts.indexes}`,
    `Triggers: ${stats.counts.triggers}`,
    `Views: ${stats.counts.views}`,
    `FTS shadow tables (not counted): ${stats.ftsShadowTables.join(', ') || 'none'}`,
    `Internal tables (not counted): ${stats.internalTables.join(', ') || 'none'}`,
    `Size: ${formatBytes(stats.size.bytes)} (${stats.size.pageCount} pages of ${stats.size.pageSize} bytes; ${formatBytes(stats.size.freeBytes)} free until VACUUM)`,
    '',
    'Rows per table:',
    ...Object.entries(stats.rows)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([t, n]) => `  ${t.padEnd(28)} ${String(n).padStart(10)}`),
    '',
    'Indexes by table:',
    ...stats.indexes.map((i) => `  ${i.table.padEnd(20)} ${i.name.padEnd(32)} ${i.bytes === null ? '' : formatBytes(i.bytes)}`),
  ];
  return lines.join('\n');
}

const MARK: Record<string, string> = { pass: '✔', fail: '✖', warn: '!', pending: '…' };

export function renderChecks(checks: { name: string; phase: string; status: string; detail: string }[]): string {
  return checks.map((c) => `${MARK[c.status] ?? '?'} [${c.phase}] ${c.name}: ${c.detail}`).join('\n');
}

export function renderImpact(impact: Impact): string {
  const lines = [
    `Performance impact (before: measured at ${impact.measuredBeforeAt}; after: now)`,
    '| Metric | Before | After | Change | Guide claimed |',
    '|---|---|---|---|---|',
  ];
  for (const r of impact.rows) {
    const sign = r.change > 0 ? '+' : '';
    lines.push(`| ${r.metric} | ${r.before} | ${r.after} | ${sign}${r.change} (${sign}${r.percent}%) | ${r.guideClaim} |`);
  }
  for (const n of impact.notMeasured) lines.push(`| ${n.metric} | not measured by stats | | see ${n.where} | ${n.guideClaim} |`);
  return lines.join('\n');
}
