// `pitr plan`: everything a restore would decide and check before copying, and nothing copied. The
// restore's own planner (restore-planner.ts) runs against a throw-away work area, so the WAL it reads
// with pg_waldump never lands in the worker's Barman home or the destination; on top of it come the size
// the base backup takes once extracted, the space both places need against what is free, and the
// destination's state. Without a destination (`pitr plan` without --dest) the space and destination checks are
// left out: there is nothing to measure them against.
import type { PreviewRestoreInput } from '../core/archive-queries';
import { NoBackupForTargetError, type SkippedBackup } from '../core/backup-selection';
import { checkSpace, restoreSpaceNeeds, type SpaceCheck, type SpaceInputs, type SpaceNeeds } from '../core/restore-space';
import { addMicros, type UtcMicros } from '../core/timestamp';
import { FailureTypes, RestoreError, type RestorePlan } from '../shared';
import type { CatalogedBackup } from './backup-catalog';
import { estimateBaseBackupSize, type BaseSizeEstimate } from './base-size-estimate';
import type { LinkableObjects } from './extracted-trees';
import { dryRunCheck, inspectDestination, type DestinationState } from './destination';
import { volumeOf } from './free-space';
import { planRestore, type PlannedRestore } from './restore-planner';
import type { PlannerDeps } from './wal-segments';
import { UnreachableTargetError } from './target-end';
import { withThrowAwayWorkDir } from './throwaway-work-dir';
import { placeTablespaces } from '../core/tablespace-locations';
import { dryRunTablespaceChecks, type TablespaceLocationCheck } from './tablespace-destinations';

/** `pitr plan`'s question (core/archive-queries; the queue it came by aside), answered with this worker's places. */
export interface DryRunRequest extends Omit<PreviewRestoreInput, 'taskQueue'> {
  /** The worker's work area root (PITR_BARMAN_HOME): where the restore would stage the backup and WAL. */
  barmanHome: string;
  /** PITR_DESTINATION_ROOTS of the worker settings. */
  destinationRoots: string[];
  /** What of the chosen backup a restore into the destination would link from another restore on this host. */
  linkable?(backup: CatalogedBackup, backupId: string): Promise<LinkableObjects>;
  signal?: AbortSignal;
  onProgress?(message: string): void;
}

export interface ReachableDryRun {
  reachable: true;
  plan: PlannedRestore['plan'];
  skipped: SkippedBackup[];
  /** Tar objects of the chosen backup (backup.info not counted). */
  tarObjects: number;
  tarBytes: number;
  baseSize: BaseSizeEstimate;
  /** The checks against a destination: absent when the request named none. */
  needs?: SpaceNeeds;
  space?: SpaceCheck;
  destinationState?: DestinationState | null;
  /** Why a restore into the destination would be refused as it is (null: it would not). */
  destinationProblem?: string | null;
  /** Where each tablespace of the backup would go, and the checks a restore makes there (empty or absent: it has none). */
  tablespaces?: TablespaceLocationCheck[];
}

export interface UnreachableDryRun {
  reachable: false;
  /** TargetUnreachable, WalGap or BackupNotFound. */
  type: string;
  message: string;
  /** The last commit on the archived WAL (of the backup the target needs): a target must be earlier. */
  lastArchivedCommit: UtcMicros | null;
  /** The latest target that can be reached: just before the last archived commit. */
  latestReachableTarget: UtcMicros | null;
  /** For a target before every backup: the end of the oldest completed backup. */
  earliestReachableTarget: UtcMicros | null;
}

export type DryRunOutcome = ReachableDryRun | UnreachableDryRun;

export async function dryRunRestore(deps: PlannerDeps, request: DryRunRequest): Promise<DryRunOutcome> {
  const { destination } = request;
  const destinationChecks = destination === undefined ? undefined : await destinationCheck(destination, request.barmanHome, request.destinationRoots);
  return withThrowAwayWorkDir(async ({ layout, journal }) => {
    let planned: PlannedRestore;
    try {
      planned = await planRestore(deps, { ...request, target: { kind: 'time', utc: request.targetTime, given: request.targetTime }, layout, journal });
    } catch (err) {
      const unreachable = asUnreachable(err);
      if (unreachable) return unreachable;
      throw err;
    }
    const { plan, backup, skipped } = planned;
    const common = { reachable: true as const, plan, skipped: skipped ?? [], tarObjects: backup.objects.length };
    if (destination === undefined || destinationChecks === undefined) {
      const baseSize = await estimateBaseBackupSize(deps.s3, request.bucket, backup.objects, request.signal);
      return { ...common, tarBytes: backup.objects.reduce((sum, o) => sum + o.size, 0), baseSize };
    }
    const linked = await request.linkable?.(backup, plan.backupId);
    const { tarBytes, baseSize, needs, space } = await assessSpace(deps, request.bucket, backup, plan, { destination, barmanHome: request.barmanHome, linked }, request.signal);
    // Where the restore would put each tablespace, and what it would find there (a name the backup lacks is refused here too).
    const placements = placeTablespaces(plan.backupId, backup.info.tablespaces, request.tablespaces, destination);
    const tablespaces = await dryRunTablespaceChecks(deps.s3, request.bucket, backup, placements, destination, { workRoot: request.barmanHome, roots: request.destinationRoots }, request.signal);
    return { ...common, tarBytes, baseSize, needs, space, ...destinationChecks, tablespaces };
  });
}

/** What assessSpace measures, as a dry run reports it (with a destination, so all present). */
export type SpaceAssessment = Required<Pick<ReachableDryRun, 'tarBytes' | 'baseSize' | 'needs' | 'space'>>;

/** The disk a restore of `plan` needs in the destination and in the Barman home, against what is free. */
export async function assessSpace(
  deps: Pick<PlannerDeps, 's3'>,
  bucket: string,
  backup: CatalogedBackup,
  plan: Pick<RestorePlan, 'walSegments' | 'segmentSize' | 'walBytes'>,
  where: { destination: string; barmanHome: string; linked?: LinkableObjects },
  signal?: AbortSignal,
): Promise<SpaceAssessment> {
  const baseSize = await estimateBaseBackupSize(deps.s3, bucket, backup.objects, signal);
  const tarBytes = backup.objects.reduce((sum, o) => sum + o.size, 0);
  const needs = restoreSpaceNeeds({
    baseTarBytes: tarBytes,
    baseBytes: baseSize.bytes,
    walSegments: plan.walSegments,
    segmentSize: plan.segmentSize,
    walArchivedBytes: plan.walBytes,
    ...(where.linked?.directories ? { linked: linkedBytes(where.linked, backup, baseSize) } : {}),
  });
  const [destinationVolume, homeVolume] = await Promise.all([volumeOf(where.destination), volumeOf(where.barmanHome)]);
  return { tarBytes, baseSize, needs, space: checkSpace(needs, destinationVolume, homeVolume) };
}

/** The linked tarballs' stored bytes, and the extracted bytes the estimate gives them: what the restore needs no space for. */
function linkedBytes(linked: LinkableObjects, backup: CatalogedBackup, baseSize: BaseSizeEstimate): NonNullable<SpaceInputs['linked']> {
  const keys = new Set(linked.keys);
  return {
    directories: linked.directories,
    tarBytes: backup.objects.filter((o) => keys.has(o.key)).reduce((sum, o) => sum + o.size, 0),
    bytes: baseSize.objects.filter((o) => keys.has(o.key)).reduce((sum, o) => sum + o.extractedBytes, 0),
  };
}

function asUnreachable(err: unknown): UnreachableDryRun | null {
  if (!(err instanceof RestoreError)) return null;
  const refusal: UnreachableDryRun = { reachable: false, type: err.type, message: err.message, lastArchivedCommit: null, latestReachableTarget: null, earliestReachableTarget: null };
  if (err instanceof NoBackupForTargetError) return { ...refusal, earliestReachableTarget: err.earliestReachable };
  if (err instanceof UnreachableTargetError) {
    return { ...refusal, lastArchivedCommit: err.lastCommit, latestReachableTarget: err.lastCommit === null ? null : addMicros(err.lastCommit, -1) };
  }
  return err.type === FailureTypes.WalGap || err.type === FailureTypes.TargetUnreachable ? refusal : null;
}

/** The checks the restore's plan step makes on the destination, read-only; a non-empty one is reported, not refused. */
async function destinationCheck(destination: string, barmanHome: string, roots: string[]): Promise<{ destinationState: DestinationState | null; destinationProblem: string | null }> {
  const { state, problem } = await dryRunCheck(() => inspectDestination(destination, { workRoot: barmanHome, force: true, roots }), `${destination} is not empty`);
  return { destinationState: state, destinationProblem: problem };
}
