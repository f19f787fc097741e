/**
 * The maintenance-window report, as markdown for people and JSON for tools: steps and timings,
 * backup path and hash, the plan, checks, smoke tests, stats before/after, who, where, when.
 * Files are private (0600); the report never holds a token or a key value.
 */
import { OUTCOME_WORDS } from './outcomes.js';
import fs from 'node:fs';
import path from 'node:path';
import { backupBaseName, writePrivateFile } from '../backup/index.js';
import { type Emit, labelOf, type OperatorInfo, type Report, TOOL_VERSION } from '../model/index.js';
import { phaseTitle } from '../sql/index.js';
import type { WindowResult } from './run-window.js';

export interface ReportFiles {
  markdown: string;
  json: string;
}

export function writeWindowReport(dir: string, report: Report, result: WindowResult, operator: OperatorInfo, now = new Date()): ReportFiles {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const base = path.join(path.resolve(dir), backupBaseName(now).replace(/^backup-/, 'schema-wizard-report-'));
  const files = { markdown: `${base}.md`, json: `${base}.json` };
  writePrivateFile(
    files.json,
    `${JSON.stringify({ toolVersion: TOOL_VERSION, outcome: result.outcome, message: result.message, applied: result.applied, operator, report }, null, 2)}\n`,
  );
  writePrivateFile(files.markdown, renderMarkdown(report, result, operator));
  return files;
}

const STATUS: Record<string, string> = {
  success: '✔',
  error: '✖',
  'not-executed': '–',
  running: '…',
  pass: '✔',
  fail: '✖',
  warn: '!',
  pending: '…',
  'pre-existing': '! (pre-existing)',
};

export function renderMarkdown(report: Report, result: WindowResult, operator: OperatorInfo): string {
  const lines: string[] = [];
  lines.push(`# Maintenance window report: ${OUTCOME_WORDS[result.outcome]}`, '');
  lines.push(`- Database: ${report.target?.display ?? 'unknown'} (${report.target?.kind ?? '?'})`);
  lines.push(`- Operator: ${operator.user}@${operator.host} (pid ${operator.pid})`);
  const started = new Date(report.startedAt ?? Date.now());
  const finished = new Date(report.finishedAt ?? Date.now());
  const totalMs = finished.getTime() - started.getTime();
  lines.push(`- Tool: schema-wizard ${TOOL_VERSION}`);
  lines.push(`- Run: ${report.runId}`);
  lines.push(`- Started: ${localTime(started)} (${started.toISOString()} UTC)`);
  lines.push(`- Finished: ${localTime(finished)} (${finished.toISOString()} UTC)`);
  lines.push(
    `- Duration: ${seconds(totalMs)} in all: ${seconds(Math.max(0, totalMs - report.thinkMs))} of work, ${seconds(report.thinkMs)} waiting for the operator's answers`,
  );
  lines.push(`- Phases this run left applied: ${result.applied.length ? result.applied.map(phaseTitle).join(', ') : 'none'}`);
  lines.push(`- Outcome: ${result.message}`);
  lines.push(
    report.backup
      ? `- Backup: \`${report.backup.path}\` (${report.backup.format}, ${report.backup.bytes} bytes, sha256 \`${report.backup.sha256}\`, verified)`
      : `- Backup: **NONE** (${report.backupSkipped ?? 'not taken'})`,
  );
  lines.push(
    '',
    '## Checklist',
    '',
    "Times are the steps' own; the operator's time to answer is shown apart.",
    '',
    '| | Step | Time | Operator | Detail |',
    '|---|---|---|---|---|',
  );
  for (const c of report.checklist) {
    // This file is the last step's work: it is done once it is written.
    const record = c.item === 'complete' && c.status === 'running' ? { ...c, status: 'success' as const, ms: 0, detail: 'this report' } : c;
    const work = record.ms === null ? null : Math.max(0, record.ms - (record.thinkMs ?? 0));
    lines.push(
      `| ${STATUS[record.status]} | ${labelOf(record.item)} | ${work === null ? '' : seconds(work)} | ${record.thinkMs ? seconds(record.thinkMs) : ''} | ${escape(record.error?.message ?? record.detail ?? '')} |`,
    );
  }
  if (report.confirmations.length) {
    lines.push('', '## Confirmations', '');
    for (const c of report.confirmations) lines.push(`- ${c.at}: ${c.statement} (by ${c.by})`);
  }
  if (report.plan) {
    lines.push('', '## Plan', '');
    for (const p of report.plan.phases) {
      lines.push(`### ${p.title} (${p.risk} risk): ${p.status} at the dry run`, '');
      if (p.statements.length) lines.push('```sql', ...p.statements.map((s) => `${s.sql};`), '```');
      for (const w of p.warnings) lines.push(`- warning: ${escape(w)}`);
      for (const d of p.alreadyDone) lines.push(`- skipped: ${escape(d)}`);
      lines.push('');
    }
    if (report.plan.drift.length) lines.push('Drift:', '', ...report.plan.drift.map((d) => `- ${escape(d.message)}`), '');
  }
  if (report.phases.length) lines.push('', '## Phases run', '');
  for (const phase of report.phases) {
    const verb = phase.action === 'apply' ? 'applied' : 'rolled back';
    lines.push(
      `- ${phaseTitle(phase.phase)} ${phase.status === 'success' ? verb : `${phase.action}: ${phase.status}`}, ${phase.executed}/${phase.total} statements, ${Math.round(phase.ms)} ms${phase.lockMs !== undefined ? `, write lock held ${phase.lockMs} ms` : ''}${phase.journalId !== null ? `, journal #${phase.journalId}` : ''}`,
    );
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

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

/** Local wall-clock time with its UTC offset, e.g. 2026-12-02 01:15:04 +01:00. */
function localTime(date: Date): string {
  const pad = (n: number) => String(Math.abs(n)).padStart(2, '0');
  const offset = -date.getTimezoneOffset();
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())} ${offset < 0 ? '-' : '+'}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`;
}

function escape(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The checklist's last item: write the report files and tick it. */
export function finishWindow(emit: Emit, report: () => Report, dir: string, result: WindowResult, operator: OperatorInfo): ReportFiles | null {
  emit({ type: 'item-started', item: 'complete' });
  emit({
    type: 'run-finished',
    outcome: result.outcome === 'complete' ? { status: 'success', detail: result.message } : { status: 'not-executed', reason: result.message },
  });
  try {
    const files = writeWindowReport(dir, report(), result, operator);
    emit({ type: 'item-finished', item: 'complete', outcome: { status: 'success', detail: files.markdown }, ms: 0 });
    return files;
  } catch (error) {
    emit({
      type: 'item-finished',
      item: 'complete',
      outcome: { status: 'error', error: { name: 'Error', message: `could not write the report: ${(error as Error).message}` } },
      ms: 0,
    });
    return null;
  }
}
