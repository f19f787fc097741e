/**
 * The maintenance-window report, as markdown for people and JSON for tools: steps and timings,
 * backup path and hash, the plan, checks, smoke tests, stats before/after, who, where, when.
 * Files are private (0600); the report never holds a token or a key value.
 */
import { OUTCOME_WORDS } from './outcomes.js';
import fs from 'node:fs';
import path from 'node:path';
import { backupBaseName, writePrivateFile } from '../backup/files.js';
import type { Emit } from '../events.js';
import type { OperatorInfo } from '../operator.js';
import type { Report } from '../report.js';
import { labelOf } from './checklist.js';
import type { WindowResult } from './run-window.js';

export interface ReportFiles {
  markdown: string;
  json: string;
}

export function writeWindowReport(dir: string, report: Report, result: WindowResult, operator: OperatorInfo, now = new Date()): ReportFiles {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const base = path.join(path.resolve(dir), backupBaseName(now).replace(/^backup-/, 'schema-wizard-report-'));
  const files = { markdown: `${base}.md`, json: `${base}.json` };
  writePrivateFile(files.json, `${JSON.stringify({ outcome: result.outcome, message: result.message, operator, report }, null, 2)}\n`);
  writePrivateFile(files.markdown, renderMarkdown(report, result, operator));
  return files;
}

const STATUS: Record<string, string> = { success: '✔', error: '✖', 'not-executed': '–', running: '…', pass: '✔', fail: '✖', warn: '!', pending: '…', 'pre-existing': '! (pre-existing)' };

export function renderMarkdown(report: Report, result: WindowResult, operator: OperatorInfo): string {
  const lines: string[] = [];
  lines.push(`# Maintenance window report: ${OUTCOME_WORDS[result.outcome]}`, '');
  lines.push(`- Database: ${report.target?.display ?? 'unknown'} (${report.target?.kind ?? '?'})`);
  lines.push(`- Operator: ${operator.user}@${operator.host} (pid ${operator.pid})`);
  lines.push(`- Run: ${report.runId} from ${report.startedAt} to ${report.finishedAt ?? new Date().toISOString()}`);
  lines.push(`- Outcome: ${result.message}`);
  lines.push(report.backup ? `- Backup: \`${report.backup.path}\` (${report.backup.format}, ${report.backup.bytes} bytes, sha256 \`${report.backup.sha256}\`, verified)` : `- Backup: **NONE** (${report.backupSkipped ?? 'not taken'})`);
  lines.push('', '## Checklist', '', '| | Step | Time | Detail |', '|---|---|---|---|');
  for (const c of report.checklist) {
    lines.push(`| ${STATUS[c.status]} | ${labelOf(c.item)} | ${c.ms === null ? '' : `${(c.ms / 1000).toFixed(2)} s`} | ${escape(c.error?.message ?? c.detail ?? '')} |`);
  }
  if (report.confirmations.length) {
    lines.push('', '## Confirmations', '');
    for (const c of report.confirmations) lines.push(`- ${c.at}: ${c.statement} (by ${c.by})`);
  }
  if (report.plan) {
    lines.push('', '## Plan', '');
    for (const p of report.plan.phases) {
      lines.push(`### ${p.title} (${p.risk} risk): ${p.status}`, '');
      if (p.statements.length) lines.push('```sql', ...p.statements.map((s) => `${s.sql};`), '```');
      for (const w of p.warnings) lines.push(`- warning: ${escape(w)}`);
      for (const d of p.alreadyDone) lines.push(`- skipped: ${escape(d)}`);
      lines.push('');
    }
    if (report.plan.drift.length) lines.push('Drift:', '', ...report.plan.drift.map((d) => `- ${escape(d.message)}`), '');
  }
  for (const phase of report.phases) {
    lines.push(`- ${phase.action} ${phase.phase}: ${phase.status}, ${phase.executed}/${phase.total} statements, ${Math.round(phase.ms)} ms, journal #${phase.journalId ?? '-'}`);
  }
  for (const v of report.verifications) {
    lines.push('', `## ${labelOf(v.item)}: ${v.ok ? 'passed' : 'FAILED'}`, '', '| | Check | Detail |', '|---|---|---|');
    for (const c of v.checks) lines.push(`| ${STATUS[c.status]} | ${escape(c.name)} | ${escape(c.detail)} |`);
  }
  if (report.smoke.length) {
    lines.push('', '## Smoke tests', '', '| | Test | ms | Detail |', '|---|---|---|---|');
    for (const t of report.smoke) lines.push(`| ${STATUS[t.status]} | ${t.name} | ${t.ms} | ${escape(t.detail)} |`);
  }
  if (report.statsBefore) {
    const before = report.statsBefore;
    const after = report.statsAfter;
    lines.push('', '## Stats', '', '| Metric | Before | After |', '|---|---|---|');
    lines.push(`| Tables | ${before.counts.tables} | ${after?.counts.tables ?? ''} |`);
    lines.push(`| Indexes | ${before.counts.indexes} | ${after?.counts.indexes ?? ''} |`);
    lines.push(`| Triggers | ${before.counts.triggers} | ${after?.counts.triggers ?? ''} |`);
    lines.push(`| Rows | ${before.totalRows} | ${after?.totalRows ?? ''} |`);
    lines.push(`| File size (bytes) | ${before.size.bytes} | ${after?.size.bytes ?? ''} |`);
    lines.push(`| In use (bytes) | ${before.size.bytes - before.size.freeBytes} | ${after ? after.size.bytes - after.size.freeBytes : ''} |`);
  }
  if (report.warnings.length) lines.push('', '## Warnings', '', ...report.warnings.map((w) => `- ${escape(w)}`));
  return `${lines.join('\n')}\n`;
}

function escape(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The checklist's last item: write the report files and tick it. */
export function finishWindow(
  emit: Emit,
  report: () => Report,
  dir: string,
  result: WindowResult,
  operator: OperatorInfo,
): ReportFiles | null {
  emit({ type: 'item-started', item: 'complete' });
  emit({ type: 'run-finished', outcome: result.outcome === 'complete' ? { status: 'success', detail: result.message } : { status: 'not-executed', reason: result.message } });
  try {
    const files = writeWindowReport(dir, report(), result, operator);
    emit({ type: 'item-finished', item: 'complete', outcome: { status: 'success', detail: files.markdown }, ms: 0 });
    return files;
  } catch (error) {
    emit({ type: 'item-finished', item: 'complete', outcome: { status: 'error', error: { name: 'Error', message: `could not write the report: ${(error as Error).message}` } }, ms: 0 });
    return null;
  }
}
