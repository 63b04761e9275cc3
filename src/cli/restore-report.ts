// `pitr status` of a restore that has ended: what its workflow history records (the result of a completed one,
// the failure of another, each step's time and attempts) and, for one that can be resumed, what a resume
// would reuse. The history is read through Temporal, so this works from any machine; the work area is read
// only when the worker that used it ran on this host (the CLI often runs elsewhere).
import { hostname } from 'node:os';
import { restoreWorkDir } from '../activities/deps';
import { formatBytes } from '../core/report-format';
import { formatDuration, identityHost, lastWorker, resumeReuse, type RestoreRecord, type ResumeReuse, type StepRecord } from '../core/restore-record';
import { terminalSafe, terminalSafeMessage } from '../core/untrusted-text';
import { readWorkAreaContents, type WorkAreaContents } from '../io/work-area-contents';
import { workDirLayout } from '../io/work-dir';
import { describeResult } from './restore';
import { formatStatusLine, type RestoreStatus } from './restore-status';

/** Where the work area is, and what it holds when this host is the worker's. */
export interface WorkAreaView extends Partial<WorkAreaContents> {
  path: string;
  /** The worker's host, from its identity in the history (null when the identity does not name one). */
  host: string | null;
  onThisHost: boolean;
  /** The planned backup, whose extraction is looked for. */
  backupId?: string;
}

/** The record's fields; `plan` only for a restore that did not complete (a completed one has it in `result`). */
export interface EndedRestoreReport extends RestoreStatus, Pick<RestoreRecord, 'startedAt' | 'closedAt' | 'durationMs' | 'steps' | 'result' | 'plan' | 'failure'> {
  /** The task queue the steps were sent to: the Barman host's worker. */
  stepsTaskQueue?: string;
  resume?: { fromHistory: ResumeReuse; workArea?: WorkAreaView };
}

export interface ReportOptions {
  /** This host's name (default os.hostname()): the work area is read only on the worker's host. */
  localHost?: string;
  /** PITR_BARMAN_HOME here: where the work area would be when the plan (which records it) never completed. */
  localWorkRoot?: string;
}

export async function endedRestoreReport(status: RestoreStatus, record: RestoreRecord, options: ReportOptions = {}): Promise<EndedRestoreReport> {
  const report: EndedRestoreReport = {
    ...status,
    startedAt: record.startedAt,
    ...(record.closedAt ? { closedAt: record.closedAt } : {}),
    ...(record.durationMs !== undefined ? { durationMs: record.durationMs } : {}),
    ...(record.input?.taskQueue ? { stepsTaskQueue: record.input.taskQueue } : {}),
    steps: record.steps,
    ...(record.result ? { result: record.result } : record.plan ? { plan: record.plan } : {}),
    ...(record.failure ? { failure: record.failure } : {}),
  };
  if (record.outcome === 'completed' || record.outcome === 'running') return report;
  const fromHistory = resumeReuse(record);
  const workArea = await workAreaView(record, options);
  return { ...report, resume: { fromHistory, ...(workArea ? { workArea } : {}) } };
}

async function workAreaView(record: RestoreRecord, options: ReportOptions): Promise<WorkAreaView | undefined> {
  const input = record.input;
  if (!input) return undefined;
  const host = identityHost(lastWorker(record));
  const localHost = options.localHost ?? hostname();
  const onThisHost = host !== null && host === localHost;
  const path = record.plan?.workDir ?? (onThisHost && options.localWorkRoot ? restoreWorkDir({ workRoot: options.localWorkRoot }, input).root : undefined);
  if (!path) return undefined;
  if (!onThisHost) return { path, host, onThisHost };
  const backupId = record.plan?.backupId;
  const contents = await readWorkAreaContents(workDirLayout(path), input.server, backupId);
  return { ...contents, host, onThisHost, ...(backupId ? { backupId } : {}) };
}

export function formatEndedReport(report: EndedRestoreReport): string {
  const lines = [`${report.id}: ${formatStatusLine(report)}`];
  if (report.result) lines.push(describeResult(report.result));
  const how = report.status === 'COMPLETED' ? 'took' : `${report.status.toLowerCase().replace('_', ' ')} after`;
  if (report.durationMs !== undefined) {
    lines.push(`  ${how} ${formatDuration(report.durationMs)}, from ${report.startedAt} to ${report.closedAt} on task queue ${terminalSafe(report.stepsTaskQueue ?? '?')}`);
  }
  if (report.failure) lines.push(`  failure ${report.failure.type ?? '(no type)'}: ${terminalSafeMessage(report.failure.message)}`);
  if (!report.result && report.plan) {
    const p = report.plan;
    lines.push(`  planned: backup ${p.backupId} (ended ${p.backupEndTime}), WAL ${p.beginWal}..${p.endWal} (${p.walSegments} segments)`);
  }
  if (report.steps.length > 0) {
    lines.push('  steps (from scheduling to end, retries included):');
    const width = Math.max(...report.steps.map((s) => s.name.length));
    // The worker is named where it changes: one host's worker runs every step, unless it was replaced midway.
    report.steps.forEach((step, i) => lines.push(`    ${formatStep(step, width, step.worker !== report.steps[i - 1]?.worker)}`));
  }
  if (report.resume) lines.push(...formatResume(report.id, report.resume));
  return lines.join('\n');
}


function formatStep(step: StepRecord, width: number, nameWorker: boolean): string {
  const duration = step.durationMs !== undefined ? formatDuration(step.durationMs) : 'not ended';
  const attempts = step.attempts > 1 || step.failure ? `, ${step.attempts} attempt${step.attempts === 1 ? '' : 's'}` : '';
  const failure = step.failure ? `: ${step.failure.type ?? 'failed'}` : '';
  const worker = step.worker ? (nameWorker ? `  (worker ${terminalSafe(step.worker)})` : '') : step.outcome === 'unfinished' ? '  (no worker picked it up)' : '';
  return `${step.name.padEnd(width)}  ${step.outcome.padEnd(9)}  ${duration}${attempts}${failure}${worker}`;
}

function formatResume(id: string, resume: NonNullable<EndedRestoreReport['resume']>): string[] {
  const { fromHistory: h, workArea } = resume;
  const reused = [
    ...(h.baseBackup ? [`the base backup ${h.baseBackup.backupId} (${h.baseBackup.objects} objects, ${formatBytes(h.baseBackup.bytes)})`] : []),
    ...(h.wal ? [`${h.wal.files} WAL files (${formatBytes(h.wal.bytes)}, ${h.wal.first}..${h.wal.last})`] : []),
  ];
  const lines = [
    reused.length > 0
      ? `  pitr resume would reuse: ${reused.join(' and ')}, as the history records them; ${h.note}: ${h.runsAgain.join(', ')}`
      : `  pitr resume would reuse: ${h.note}`,
  ];
  if (workArea) lines.push(`  ${formatWorkArea(workArea)}`);
  lines.push(`  resume with: pitr resume '${terminalSafe(id)}'`);
  return lines;
}

function formatWorkArea(area: WorkAreaView): string {
  if (!area.onThisHost) {
    return `work area ${area.path} on the worker's host${area.host ? ` ${terminalSafe(area.host)}` : ''}, not this one: not read from here (pitr status there shows what is on disk)`;
  }
  const where = `work area ${area.path} (on this host):`;
  if (area.unreadable) return `${where} not readable by this user (${area.unreadable}); run pitr status as the worker's user to see what is on disk`;
  if (!area.exists) return `${where} gone (removed by a cancel or by hand): a resume downloads everything again`;
  const extracted = area.extractedBackup === null ? '' : `; backup ${area.backupId} ${area.extractedBackup ? 'extracted' : 'not extracted'}`;
  return (
    `${where} downloads journal: ${area.baseObjects} base backup object${area.baseObjects === 1 ? '' : 's'} (${formatBytes(area.baseBytes ?? 0)}) ` +
    `and ${area.walSegments} WAL segment${area.walSegments === 1 ? '' : 's'} (${formatBytes(area.walBytes ?? 0)})${extracted}`
  );
}
