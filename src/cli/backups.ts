// `pitr backups`: what a server folder in the bucket can restore. Its backups (times with offset, WAL
// range, timeline, size and compression of the tar objects) and, per timeline, where it branched off its
// parent, the recoverable window (end of the oldest completed backup reaching it, on it or on an ancestor
// before the switch, to the last commit read from the archived WAL along its path), any hole in that WAL,
// and where a later timeline abandoned it. Answered by the worker of the server's Barman host (through
// Temporal), which reads the archive with its S3 credentials and pg_waldump: this process needs only Temporal.
import { parseArgs } from 'node:util';
import type { BackupSummary } from '../core/backup-overview';
import { formatBytes, formatTable, isoOffsetTime } from '../core/report-format';
import { serverPrefix } from '../core/s3-layout';
import { toBarmanTime, type UtcMicros } from '../core/timestamp';
import type { ArchiveOverview, TimelineOverview } from '../io/archive-overview';
import { withPitrClient } from '../pitr-client';
import { noWorkerNote, withInterrupt } from './interrupt';
import { terminalSafe, terminalSafeJson } from '../core/untrusted-text';
import { abandonmentMessage } from '../core/timeline-reach';
import { required } from './usage-error';

export const BACKUPS_USAGE = `pitr backups --server NAME [--bucket B] [--prefix P] [--task-queue Q] [--json]
      the backups in the bucket and, per timeline, the recoverable window (also through timeline
      switches from backups on earlier timelines), any gap in the WAL, and where a later timeline
      abandoned it (the worker of the server's Barman host reads the archived WAL: this machine needs only Temporal)`;

export async function runBackups(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      server: { type: 'string' },
      bucket: { type: 'string' },
      prefix: { type: 'string' },
      'task-queue': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const location = { server: required(values.server, '--server', BACKUPS_USAGE), bucket: values.bucket, prefix: values.prefix, taskQueue: values['task-queue'] };
  return withPitrClient(async (client) => {
    const overview = await withInterrupt((signal) => client.backups(location, { signal, onNoWorker: noWorkerNote }));
    console.log(values.json ? terminalSafeJson(JSON.stringify(backupsJson(overview), null, 2)) : formatBackups(overview).join('\n'));
    return 0;
  });
}

const time = (t: UtcMicros | null) => (t ? isoOffsetTime(t) : null);

export function backupsJson(overview: ArchiveOverview): object {
  return {
    server: overview.server,
    bucket: overview.bucket,
    prefix: overview.prefix,
    backups: overview.backups.map((b) => ({ ...b, beginTime: time(b.beginTime), endTime: time(b.endTime) })),
    // Each timeline as inspectArchive builds it, in its key order, with its times in ISO form and its holes as gaps.
    timelines: overview.timelines.map(({ holes, abandoned, notes, ...t }) => ({
      ...t,
      lastCommit: time(t.lastCommit),
      windows: t.windows.map((w) => ({ from: time(w.from), fromBackup: w.fromBackup, fromTimeline: w.fromTimeline, to: time(w.to), toSegment: w.toSegment })),
      gaps: holes,
      abandoned: abandoned.map((a) => ({
        byTimeline: a.timeline,
        switchLsn: a.switchLsn,
        firstCommitAfter: time(a.firstCommitAfter?.time ?? null),
        firstCommitAfterLsn: a.firstCommitAfter?.lsn ?? null,
        firstCommitAfterSegment: a.firstCommitAfter?.segment ?? null,
        unread: a.unread,
      })),
      notes,
    })),
    historyFiles: overview.historyFiles,
    unreadableHistoryFiles: overview.unreadableHistoryFiles,
    newestTimeline: overview.newestTimeline,
    unreadableBackups: overview.unreadableBackups,
  };
}

export function formatBackups(overview: ArchiveOverview): string[] {
  const root = `s3://${overview.bucket}/${serverPrefix(overview.prefix, overview.server)}`;
  const count = overview.backups.length;
  const lines = [`${count} backup${count === 1 ? '' : 's'} of ${overview.server} in ${root} (oldest first; times in UTC)`, ''];
  if (count > 0) lines.push(...backupTable(overview.backups), '');
  for (const b of overview.backups) if (b.error) lines.push(`${b.id} ${b.status}: ${b.error}`);
  for (const b of overview.backups) if (b.unrestorable) lines.push(`${b.id} not restorable by pitr, ${b.unrestorable}`);
  for (const u of overview.unreadableBackups) lines.push(`${u.id} skipped: its backup.info cannot be used: ${u.problem}`);
  for (const h of overview.unreadableHistoryFiles) lines.push(`${h.name} skipped: ${h.problem}`);
  for (const t of overview.timelines) lines.push(...timelineLines(t));
  // Status, error and notes come from backup.info files in the bucket: no control character reaches the terminal.
  return lines.map(terminalSafe);
}

function backupTable(backups: BackupSummary[]): string[] {
  return formatTable(
    [
      { header: 'BACKUP ID' },
      { header: 'STATUS' },
      { header: 'BEGIN TIME' },
      { header: 'END TIME' },
      { header: 'BEGIN WAL' },
      { header: 'END WAL' },
      { header: 'TLI', align: 'right' },
      { header: 'SIZE', align: 'right' },
      { header: 'COMPRESSION' },
    ],
    backups.map((b) => [
      b.id,
      b.status,
      b.beginTime ? toBarmanTime(b.beginTime) : '-',
      b.endTime ? toBarmanTime(b.endTime) : '-',
      b.beginWal ?? '-',
      b.endWal ?? '-',
      b.timeline === null ? '-' : String(b.timeline),
      formatBytes(b.tarBytes),
      b.compression ?? '-',
    ]),
  );
}

function timelineLines(t: TimelineOverview): string[] {
  const range = t.firstArchived ? `${t.firstArchived}..${t.lastArchived}` : 'none';
  const lines = [`${timelineTitle(t)}: WAL archived ${range} (${t.archivedSegments} segments, ${formatBytes(t.archivedBytes)})`];
  for (const w of t.windows) {
    const onPath = w.fromTimeline === t.timeline ? '' : ` on timeline ${w.fromTimeline}`;
    const along = t.ancestors.length > 0 ? ` on timeline ${t.timeline}'s path` : '';
    lines.push(
      `  recoverable window: ${toBarmanTime(w.from)} (end of backup ${w.fromBackup}${onPath})`,
      `                   to ${toBarmanTime(w.to)} (last archived commit${along}${w.toSegment ? `, in ${w.toSegment}` : ''}; a target must be earlier)`,
    );
  }
  if (t.windows.length === 0) {
    lines.push(`  recoverable window: none${t.lastCommit ? ` (last archived commit ${toBarmanTime(t.lastCommit)})` : ''}`);
  }
  if (t.holes.length === 0) {
    lines.push(`  WAL gaps: none from ${t.checkedFrom} to ${t.lastArchived ?? t.checkedFrom}`);
  } else {
    for (const hole of t.holes) {
      const span = hole.missingSegments === 1 ? `${hole.firstMissing}` : `${hole.firstMissing} (${hole.missingSegments} segments, to ${hole.lastMissing})`;
      lines.push(`  WAL gap: missing ${span}${hole.after ? `, after ${hole.after}` : ''}; the archive resumes at ${hole.resumesAt}`);
    }
  }
  for (const a of t.abandoned) lines.push(`  ${abandonmentMessage(a)}`);
  for (const note of t.notes) lines.push(`  note: ${note}`);
  return lines;
}

/** `timeline 3 (branched from timeline 2 at 0/5000100, which branched from timeline 1 at 0/40002B8)`. */
function timelineTitle(t: TimelineOverview): string {
  if (t.ancestors.length === 0) return `timeline ${t.timeline}`;
  const steps = [...t.ancestors].reverse().map((a, i) => `${i === 0 ? 'branched' : 'which branched'} from timeline ${a.timeline} at ${a.switchLsn}`);
  return `timeline ${t.timeline} (${steps.join(', ')})`;
}
