// What a server folder in the bucket can restore (`pitr backups`): its backups, and per timeline the
// recoverable window, from the end of the oldest completed backup to the last commit in the archive.
// The last commit is read from the WAL itself (pg_waldump on the last archived segments, walking back
// until one holds a commit), never guessed from S3 LastModified. Reading happens in a throw-away work area.
import {
  byEndTime,
  recoverableWindows,
  summariseBackup,
  timelineScopes,
  type BackupSummary,
  type RecoverableWindow,
  type RunCommit,
} from '../core/backup-overview';
import { assertValidServerName, serverPrefix } from '../core/s3-layout';
import type { UtcMicros } from '../core/timestamp';
import type { WalHole } from '../core/wal-holes';
import { FailureTypes, RestoreError } from '../shared';
import { listBackupCatalog } from './backup-catalog';
import { readSegmentRecords, type PlannerDeps } from './restore-planner';
import type { ThrowAwayWorkDir } from './throwaway-work-dir';
import { listWalArchive, type ArchivedWalObject } from './wal-archive';

export interface ArchiveLocation {
  server: string;
  bucket: string;
  prefix: string;
}

export interface TimelineOverview {
  timeline: number;
  segmentSize: number;
  /** Every archived segment of the timeline. */
  archivedSegments: number;
  /** Their total size as archived (compressed). */
  archivedBytes: number;
  firstArchived: string | null;
  lastArchived: string | null;
  /** Where holes were looked for: the earliest begin_wal of a completed backup (else the first archived segment). */
  checkedFrom: string;
  /** The last commit found reading back from the last archived segment; null when none was found. */
  lastCommit: UtcMicros | null;
  /** The segment holding it. */
  lastCommitSegment: string | null;
  /** Segments read with pg_waldump. */
  segmentsRead: number;
  /** One per unbroken run of WAL with a backup in it; one when there is no hole. */
  windows: RecoverableWindow[];
  holes: WalHole[];
  notes: string[];
}

export interface ArchiveOverview extends ArchiveLocation {
  /** Oldest first, by end time. */
  backups: BackupSummary[];
  /** Backups whose backup.info cannot be used (too large, or not what Barman writes): left out above, by id. */
  unreadableBackups: { id: string; problem: string }[];
  timelines: TimelineOverview[];
  historyFiles: string[];
}

export async function inspectArchive(deps: PlannerDeps, location: ArchiveLocation, area: ThrowAwayWorkDir, signal?: AbortSignal): Promise<ArchiveOverview> {
  const { server, bucket, prefix } = location;
  try {
    assertValidServerName(server);
  } catch (err) {
    throw new RestoreError(FailureTypes.InvalidInput, (err as Error).message);
  }
  const [{ backups, unreadable }, archive] = await Promise.all([listBackupCatalog(deps.s3, bucket, prefix, server, signal), listWalArchive(deps.s3, bucket, prefix, server, signal)]);
  if (backups.length === 0 && unreadable.length === 0 && archive.segments.length === 0) {
    throw new RestoreError(
      FailureTypes.ServerNotFound,
      `nothing under s3://${bucket}/${serverPrefix(prefix, server)}: no backup.info and no archived WAL; check the server name (the folder barman-cloud wrote) and --prefix`,
    );
  }
  const byName = new Map(archive.segments.map((s) => [s.name, s]));
  const scopes = timelineScopes(
    backups.map((b) => b.info),
    archive.segments.map((s) => s.name),
  );
  const timelines: TimelineOverview[] = [];
  for (const scope of scopes) {
    const request = { bucket, server, layout: area.layout, journal: area.journal, signal };
    let segmentsRead = 0;
    const lastCommits: RunCommit[] = [];
    for (const [i, run] of scope.runs.entries()) {
      // Each run with a backup, back to the backup's begin_wal; and the last run in any case (the archive's last commit).
      const stopAt = run.backup?.beginWal ?? (i === scope.runs.length - 1 ? run.first : null);
      if (stopAt === null) {
        lastCommits.push({ commit: null, segment: null });
        continue;
      }
      const chain = run.segments.slice(run.segments.indexOf(stopAt)).map((name) => byName.get(name)!);
      const found = await lastCommitOf(deps, request, chain, scope.pgVersion);
      segmentsRead += found.segmentsRead;
      lastCommits.push({ commit: found.commit, segment: found.segment });
    }
    const verdict = recoverableWindows(scope, lastCommits);
    const notes = [...verdict.notes];
    if (scope.pgVersion === null) notes.unshift('no backup.info names the PostgreSQL version, so the WAL was not read (pg_waldump must match it)');
    const prefix8 = scope.from.slice(0, 8);
    const last = lastCommits.at(-1) ?? { commit: null, segment: null };
    timelines.push({
      timeline: scope.timeline,
      segmentSize: scope.segmentSize,
      archivedSegments: scope.archivedSegments,
      archivedBytes: archive.segments.filter((s) => s.name.startsWith(prefix8)).reduce((sum, s) => sum + s.size, 0),
      firstArchived: scope.firstArchived,
      lastArchived: scope.lastArchived,
      checkedFrom: scope.from,
      lastCommit: last.commit,
      lastCommitSegment: last.segment,
      segmentsRead,
      windows: verdict.windows,
      holes: scope.holes,
      notes,
    });
  }
  return {
    ...location,
    backups: backups.map((b) => summariseBackup(b.info, b.objects)).sort(byEndTime),
    unreadableBackups: unreadable.map((u) => ({ id: u.backupId, problem: u.problem })),
    timelines,
    historyFiles: archive.histories.map((h) => h.name).sort(),
  };
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
