// Each tablespace location of a restore is a destination in its own right: it is written by Barman (rsync)
// just as the data directory is, so it gets the same checks and the same guards, through the same code
// (io/destination, io/destination-control, io/abandon-destination): absent or empty (or moved aside by
// --force, never deleted), outside the work area, inside PITR_DESTINATION_ROOTS, locked by one restore at a
// time (a destination and another restore's tablespace meet on the same lock), claimed by the run that
// writes it, and undone by a cancel. The restore's data directory keeps a record of where its tablespaces
// go, in its own control folder, so that the steps that only know the destination (cancel, release) find
// them.
import type { S3Client } from '@aws-sdk/client-s3';
import type { RestoreRun } from '../core/destination-claim';
import { formatBytes } from '../core/report-format';
import type { TablespacePlacement } from '../core/tablespace-locations';
import { FailureTypes, RestoreError } from '../shared';
import type { CatalogedBackup } from './backup-catalog';
import { estimateBaseBackupSize } from './base-size-estimate';
import { abandonDestination, type AbandonedDestination } from './abandon-destination';
import { claimDestination, dryRunCheck, inspectDestination, type DestinationCheckOptions, type DestinationState } from './destination';
import { volumeOf } from './free-space';
import { destinationControl, dropRecord, lockDestination, readRecord, releaseDestination, writeRecord, type DestinationControl } from './destination-control';

export type TablespaceLocation = Pick<TablespacePlacement, 'name' | 'location'>;

/** `err` with the tablespace it concerns said first: the destination's messages name a path, not what it is for. */
function forTablespace(placement: TablespacePlacement, err: unknown): unknown {
  if (!(err instanceof RestoreError)) return err;
  const chosen =
    placement.source === 'named'
      ? 'named with --tablespace'
      : `its default location, beside the destination; choose another with --tablespace ${placement.name}=DIR`;
  return new RestoreError(err.type, `tablespace ${placement.name} (oid ${placement.oid}) goes to ${placement.location} (${chosen}): ${err.message}`);
}

/** `act` on each location in turn, a failure said of its tablespace (forTablespace). */
async function eachLocation<T>(placements: readonly TablespacePlacement[], act: (placement: TablespacePlacement) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (const placement of placements) {
    try {
      results.push(await act(placement));
    } catch (err) {
      throw forTablespace(placement, err);
    }
  }
  return results;
}

/** The destination's read-only checks on every tablespace location (before anything is copied). */
export function inspectTablespaceLocations(placements: readonly TablespacePlacement[], options: DestinationCheckOptions): Promise<DestinationState[]> {
  return eachLocation(placements, (placement) => inspectDestination(placement.location, options));
}

/**
 * Records where the restore into the destination (`control`) puts its tablespaces, then locks each location
 * for `restoreId`: the record first, so that a release after a failed lock still finds what was locked.
 */
export async function lockTablespaceLocations(workRoot: string, control: DestinationControl, placements: readonly TablespacePlacement[], restoreId: string): Promise<void> {
  const previous = await recordedTablespaceLocations(control);
  const locations: TablespaceLocation[] = placements.map(({ name, location }) => ({ name, location }));
  // Locations of an earlier plan of this restore (a resume with other --tablespace values) stay recorded until released.
  const recorded = [...locations, ...previous.filter((p) => !locations.some((l) => l.location === p.location))];
  if (recorded.length > 0 || previous.length > 0) await writeRecord(control.tablespacesFile, `${JSON.stringify(recorded)}\n`);
  await eachLocation(placements, (placement) => lockDestination(destinationControl(workRoot, placement.location), placement.location, restoreId));
}

/**
 * Takes every tablespace location for the run, as the recover step takes the destination (claimDestination:
 * an empty directory the Barman user owns, an existing one moved aside with --force). Returns where
 * directories were moved to.
 */
export async function claimTablespaceLocations(
  workRoot: string,
  placements: readonly TablespacePlacement[],
  options: Omit<Parameters<typeof claimDestination>[1], 'control'>,
): Promise<string[]> {
  const moved = await eachLocation(placements, (placement) => claimDestination(placement.location, { ...options, control: destinationControl(workRoot, placement.location) }));
  return moved.filter((path) => path !== null);
}

/** After a cancel: each tablespace location undone like the destination (the run's directory removed, the user's put back). */
export async function abandonTablespaceLocations(
  workRoot: string,
  control: DestinationControl,
  run: RestoreRun,
  signal?: AbortSignal,
): Promise<(AbandonedDestination & TablespaceLocation)[]> {
  const results: (AbandonedDestination & TablespaceLocation)[] = [];
  for (const entry of await recordedTablespaceLocations(control)) {
    results.push({ ...entry, ...(await abandonDestination(entry.location, destinationControl(workRoot, entry.location), run, signal)) });
  }
  return results;
}

/** Ends the restore's hold on its tablespace locations (locks and claims), then forgets them. */
export async function releaseTablespaceLocations(workRoot: string, control: DestinationControl, restoreId: string): Promise<void> {
  for (const entry of await recordedTablespaceLocations(control)) {
    await releaseDestination(destinationControl(workRoot, entry.location), restoreId);
  }
  await dropRecord(control.tablespacesFile);
}

/** The tablespace locations recorded for the destination (`control`); empty when none (or the record is not one). */
export async function recordedTablespaceLocations(control: DestinationControl): Promise<TablespaceLocation[]> {
  const text = await readRecord(control.tablespacesFile);
  if (text === null) return [];
  try {
    const value = JSON.parse(text) as unknown;
    if (!Array.isArray(value)) return [];
    return value.filter(
      (e): e is TablespaceLocation => typeof e === 'object' && e !== null && typeof (e as TablespaceLocation).name === 'string' && typeof (e as TablespaceLocation).location === 'string',
    );
  } catch {
    return [];
  }
}

/** Disk a tablespace location needs and has. */
export interface TablespaceSpace extends TablespaceLocation {
  /** The tablespace's size once extracted, estimated from its tars as the base backup's is. */
  requiredBytes: number;
  freeBytes: number;
  measuredAt: string;
  /**
   * On the destination's filesystem: the destination's need (the whole base backup, tablespaces included)
   * already counts it, so it is not counted twice.
   */
  onDestinationFilesystem: boolean;
  enough: boolean;
}

/** The space each tablespace location needs against what is free where it would be created. */
export async function tablespaceSpace(
  s3: S3Client,
  bucket: string,
  backup: Pick<CatalogedBackup, 'objects'>,
  placements: readonly TablespacePlacement[],
  destination: string,
  signal?: AbortSignal,
): Promise<TablespaceSpace[]> {
  if (placements.length === 0) return [];
  const destinationVolume = await volumeOf(destination);
  const result: TablespaceSpace[] = [];
  for (const placement of placements) {
    const objects = backup.objects.filter((o) => o.kind === 'tablespace' && o.tablespaceOid === placement.oid);
    const [size, volume] = await Promise.all([estimateBaseBackupSize(s3, bucket, objects, signal), volumeOf(placement.location)]);
    const shared = volume.device === destinationVolume.device;
    result.push({
      name: placement.name,
      location: placement.location,
      requiredBytes: size.bytes,
      freeBytes: volume.freeBytes,
      measuredAt: volume.measuredAt,
      onDestinationFilesystem: shared,
      enough: shared || size.bytes <= volume.freeBytes,
    });
  }
  return result;
}

/** A non-retryable InsufficientSpace naming every tablespace location that lacks space; nothing when all fit. */
export function assertTablespaceSpace(space: readonly TablespaceSpace[]): void {
  const short = space.filter((s) => !s.enough);
  if (short.length === 0) return;
  throw new RestoreError(
    FailureTypes.InsufficientSpace,
    `not enough disk space for this restore's tablespaces: ${short
      .map((s) => `tablespace ${s.name} at ${s.location} needs ${formatBytes(s.requiredBytes)}, ${formatBytes(s.freeBytes)} free at ${s.measuredAt}`)
      .join('; ')}. Free space there, or choose another folder with --tablespace NAME=DIR, and start again; --force skips this check`,
  );
}

/** A tablespace location as `pitr plan` reports it: where, why there, and whether a restore would accept it as it is. */
export interface TablespaceLocationCheck extends TablespacePlacement {
  state: DestinationState | null;
  /** Why a restore would refuse the location as it is (null: it would not). */
  problem: string | null;
  space: TablespaceSpace;
}

/** The plan step's checks on each location, read-only, for `pitr plan`: a non-empty location is reported, not refused. */
export async function dryRunTablespaceChecks(
  s3: S3Client,
  bucket: string,
  backup: Pick<CatalogedBackup, 'objects'>,
  placements: readonly TablespacePlacement[],
  destination: string,
  options: Omit<DestinationCheckOptions, 'force'>,
  signal?: AbortSignal,
): Promise<TablespaceLocationCheck[]> {
  const space = await tablespaceSpace(s3, bucket, backup, placements, destination, signal);
  const checks: TablespaceLocationCheck[] = [];
  for (const [i, placement] of placements.entries()) {
    const { state, problem } = await dryRunCheck(
      async () => (await inspectTablespaceLocations([placement], { ...options, force: true }))[0]!,
      `tablespace ${placement.name} goes to ${placement.location}, which is not empty`,
    );
    checks.push({ ...placement, state, problem, space: space[i]! });
  }
  return checks;
}
