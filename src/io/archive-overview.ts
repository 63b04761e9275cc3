// What a server folder in the bucket can restore (`pitr backups`): its backups, and per timeline the
// recoverable window, from the end of the oldest completed backup reaching it (on it, or on an ancestor
// before the switch its history file names) to the last commit on the path replay follows to it; and, per
// timeline a later one branched off, the first commit it wrote after the switch (what a restore following
// the newer timeline leaves out). Commits are read from the WAL itself (pg_waldump, walking back from the
// last archived segment of the path, or forward from the switch), never guessed from S3 LastModified.
// Reading happens in a throw-away work area.
import type { ArchiveQueryInput } from '../core/archive-queries';
import {
  byEndTime,
  recoverableWindows,
  summariseBackup,
  timelineScopes,
  type BackupSummary,
  type RecoverableWindow,
  type RunCommit,
  type TimelineScope,
} from '../core/backup-overview';
import type { TimelineHistoryOf } from '../core/timeline-branches';
import { descendsFrom, type Abandonment, type CommitAt, type TimelineStart } from '../core/timeline-reach';
import { parseLsn, parseSegmentName } from '../core/wal-names';
import { assertValidServerName, serverPrefix } from '../core/s3-layout';
import type { UtcMicros } from '../core/timestamp';
import { FailureTypes, RestoreError } from '../shared';
import { listBackupCatalog } from './backup-catalog';
import { readSegmentRecords, type PlannerDeps } from './wal-segments';
import type { ThrowAwayWorkDir } from './throwaway-work-dir';
import { readTimelineHistories } from './timeline-histories';
import { listWalArchive, type ArchivedWalObject } from './wal-archive';

/** The server folder a `pitr backups` query names (core/archive-queries), the queue it came by aside. */
export type ArchiveLocation = Omit<ArchiveQueryInput, 'taskQueue'>;

export interface TimelineOverview extends Pick<TimelineScope, 'timeline' | 'segmentSize' | 'archivedSegments' | 'firstArchived' | 'lastArchived' | 'holes'> {
  /** Its parent and the LSN where it branched off (the last line of its history file); null for a timeline without one. */
  branchedFrom: TimelineStart | null;
  /** Every ancestor, oldest first, each with the LSN where it ended on the way here. */
  ancestors: TimelineStart[];
  /** The total size of archivedSegments as archived (compressed). */
  archivedBytes: number;
  /** Where holes were looked for: the earliest begin_wal of a completed backup reaching it (else its first archived segment). */
  checkedFrom: string;
  /** The last commit found reading back from the last archived segment of its path; null when none was found. */
  lastCommit: UtcMicros | null;
  /** The segment holding it. */
  lastCommitSegment: string | null;
  /** Segments read with pg_waldump. */
  segmentsRead: number;
  /** One per unbroken run of WAL with a backup in it; one when there is no hole. */
  windows: RecoverableWindow[];
  /** Each later timeline that branched off this one, and the first commit this one wrote after the switch. */
  abandoned: Abandonment[];
  notes: string[];
}

export interface ArchiveOverview extends ArchiveLocation {
  /** Oldest first, by end time. */
  backups: BackupSummary[];
  /** Backups whose backup.info cannot be used (too large, or not what Barman writes): left out above, by id. */
  unreadableBackups: { id: string; problem: string }[];
  timelines: TimelineOverview[];
  historyFiles: string[];
  /** History files that cannot be used (too large, not what PostgreSQL writes): their timelines are shown without ancestry. */
  unreadableHistoryFiles: { name: string; problem: string }[];
  /** The newest timeline with a history file (1 without any): the one PostgreSQL follows by default. */
  newestTimeline: number;
}

export async function inspectArchive(deps: PlannerDeps, location: ArchiveLocation, area: ThrowAwayWorkDir, signal?: AbortSignal): Promise<ArchiveOverview> {
  const { server, bucket, prefix } = location;
  assertValidServerName(server);
  const [{ backups, unreadable }, archive] = await Promise.all([listBackupCatalog(deps.s3, bucket, prefix, server, signal), listWalArchive(deps.s3, bucket, prefix, server, signal)]);
  if (backups.length === 0 && unreadable.length === 0 && archive.segments.length === 0) {
    throw new RestoreError(
      FailureTypes.ServerNotFound,
      `nothing under s3://${bucket}/${serverPrefix(prefix, server)}: no backup.info and no archived WAL; check the server name (the folder barman-cloud wrote) and --prefix`,
    );
  }
  const byName = new Map(archive.segments.map((s) => [s.name, s]));
  const { histories, unreadable: unreadableHistories } = await readHistories(deps, bucket, area, archive.histories, signal);
  const scopes = timelineScopes(
    backups.map((b) => b.info),
    archive.segments.map((s) => s.name),
    histories,
  );
  const newestTimeline = Math.max(1, ...histories.map((h) => h.timeline));
  const request = { bucket, server, layout: area.layout, journal: area.journal, signal };
  const timelines: TimelineOverview[] = [];
  for (const scope of scopes) {
    let segmentsRead = 0;
    const lastCommits: RunCommit[] = [];
    for (const [i, run] of scope.runs.entries()) {
      // Each run with a backup, back to the backup's begin position; and the last run in any case (the path's last commit).
      // By position: the run's segment there may be named on a later timeline than the backup's begin_wal.
      const stopAt = run.backup?.beginWal ?? (i === scope.runs.length - 1 ? run.first : null);
      if (stopAt === null) {
        lastCommits.push({ commit: null, segment: null });
        continue;
      }
      const position = (name: string) => name.slice(8);
      const chain = run.segments.slice(run.segments.findIndex((name) => position(name) === position(stopAt))).map((name) => byName.get(name)!);
      const found = await lastCommitOf(deps, request, chain, scope.pgVersion);
      segmentsRead += found.segmentsRead;
      lastCommits.push({ commit: found.commit, segment: found.segment });
    }
    const abandoned: Abandonment[] = [];
    for (const branch of scope.branchesOff) {
      const found = await firstCommitFrom(
        deps,
        request,
        branch.segmentsAfter.map((name) => byName.get(name)!),
        branch.switchLsn,
        scope.pgVersion,
      );
      segmentsRead += found.segmentsRead;
      abandoned.push({
        parentTimeline: scope.timeline,
        timeline: branch.timeline,
        switchLsn: branch.switchLsn,
        firstCommitAfter: found.commit,
        unread: scope.pgVersion === null ? 'no backup.info names the PostgreSQL version pg_waldump must match' : null,
        newestTimeline,
        newestDescends: descendsFrom(newestTimeline, branch.timeline, histories),
      });
    }
    const verdict = recoverableWindows(scope, lastCommits);
    const notes = [...verdict.notes];
    if (scope.pgVersion === null) notes.unshift('no backup.info names the PostgreSQL version, so the WAL was not read (pg_waldump must match it)');
    const last = lastCommits.at(-1) ?? { commit: null, segment: null };
    timelines.push({
      timeline: scope.timeline,
      branchedFrom: scope.path.ancestors.at(-1) ?? null,
      ancestors: scope.path.ancestors,
      segmentSize: scope.segmentSize,
      archivedSegments: scope.archivedSegments,
      archivedBytes: archive.segments.filter((s) => parseSegmentName(s.name).timeline === scope.timeline).reduce((sum, s) => sum + s.size, 0),
      firstArchived: scope.firstArchived,
      lastArchived: scope.lastArchived,
      checkedFrom: scope.from,
      lastCommit: last.commit,
      lastCommitSegment: last.segment,
      segmentsRead,
      windows: verdict.windows,
      holes: scope.holes,
      abandoned,
      notes,
    });
  }
  return {
    ...location,
    backups: backups.map((b) => summariseBackup(b.info, b.objects)).sort(byEndTime),
    unreadableBackups: unreadable.map((u) => ({ id: u.backupId, problem: u.problem })),
    timelines,
    historyFiles: archive.histories.map((h) => h.name).sort(),
    unreadableHistoryFiles: unreadableHistories,
    newestTimeline,
  };
}

/**
 * The archive's history files, parsed one by one: a file that cannot be used (too large, not what
 * PostgreSQL writes) is named instead of failing the whole overview, and its timeline is shown without
 * ancestry. A restore that needs it still refuses it (src/io/timeline-histories.ts).
 */
async function readHistories(
  deps: PlannerDeps,
  bucket: string,
  area: ThrowAwayWorkDir,
  objects: readonly ArchivedWalObject[],
  signal?: AbortSignal,
): Promise<{ histories: TimelineHistoryOf[]; unreadable: { name: string; problem: string }[] }> {
  const histories: TimelineHistoryOf[] = [];
  const unreadable: { name: string; problem: string }[] = [];
  for (const object of objects) {
    try {
      histories.push(...(await readTimelineHistories(deps.s3, { bucket, layout: area.layout, signal }, [object])));
    } catch (err) {
      if (!(err instanceof RestoreError) || err.type !== FailureTypes.CorruptArchive) throw err;
      unreadable.push({ name: object.name, problem: err.message });
    }
  }
  return { histories: histories.sort((a, b) => a.timeline - b.timeline), unreadable };
}

/**
 * Walks forward through `chain` (the parent's segments from the one holding the switch point) until one holds
 * a commit at or after `switchLsn`: the first commit the parent wrote that the child's history does not hold.
 */
async function firstCommitFrom(
  deps: PlannerDeps,
  request: Parameters<typeof readSegmentRecords>[1],
  chain: ArchivedWalObject[],
  switchLsn: string,
  pgMajor: number | null,
): Promise<{ commit: CommitAt | null; segmentsRead: number }> {
  let segmentsRead = 0;
  if (pgMajor === null) return { commit: null, segmentsRead };
  const switchAt = parseLsn(switchLsn);
  for (const wal of chain) {
    segmentsRead += 1;
    const commit = (await readSegmentRecords(deps, request, wal, pgMajor)).find((r) => r.kind === 'COMMIT' && parseLsn(r.lsn) >= switchAt);
    if (commit) return { commit: { time: commit.time, lsn: commit.lsn, segment: wal.name }, segmentsRead };
  }
  return { commit: null, segmentsRead };
}

/** Walks back from the last segment of `chain` until one holds a commit (each read in the throw-away area). */
async function lastCommitOf(
  deps: PlannerDeps,
  request: Parameters<typeof readSegmentRecords>[1],
  chain: ArchivedWalObject[],
  pgMajor: number | null,
): Promise<{ commit: UtcMicros | null; segment: string | null; segmentsRead: number }> {
  let segmentsRead = 0;
  if (pgMajor === null) return { commit: null, segment: null, segmentsRead };
  for (let index = chain.length - 1; index >= 0; index--) {
    segmentsRead += 1;
    const commits = (await readSegmentRecords(deps, request, chain[index]!, pgMajor)).filter((r) => r.kind === 'COMMIT');
    if (commits.length > 0) return { commit: commits.at(-1)!.time, segment: chain[index]!.name, segmentsRead };
  }
  return { commit: null, segment: null, segmentsRead };
}
