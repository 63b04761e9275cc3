// Each tablespace location of a restore is a destination in its own right: it is written by Barman (rsync)
// just as the data directory is, so it gets the same checks and the same guards, through the same code
// (io/destination, io/destination-control, io/abandon-destination): absent or empty (or moved aside by
// --force, never deleted), outside the work area, inside PITR_DESTINATION_ROOTS, locked by one restore at a
// time (a destination and another restore's tablespace meet on the same lock), claimed by the run that
// writes it, and undone by a cancel. The restore's data directory keeps a record of where its tablespaces
// go, in its own control folder, so that the steps that only know the destination (cancel, release) find
// them.
import type { RestoreRun } from '../core/destination-claim';
import type { TablespacePlacement } from '../core/tablespace-locations';
import { RestoreError } from '../shared';
import { abandonDestination, type AbandonedDestination } from './abandon-destination';
import { claimDestination, inspectDestination, type DestinationCheckOptions, type DestinationState } from './destination';
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

/** The destination's read-only checks on every tablespace location (before anything is copied). */
export async function inspectTablespaceLocations(placements: readonly TablespacePlacement[], options: DestinationCheckOptions): Promise<DestinationState[]> {
  const states: DestinationState[] = [];
  for (const placement of placements) {
    try {
      states.push(await inspectDestination(placement.location, options));
    } catch (err) {
      throw forTablespace(placement, err);
    }
  }
  return states;
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
  for (const placement of placements) {
    try {
      await lockDestination(destinationControl(workRoot, placement.location), placement.location, restoreId);
    } catch (err) {
      throw forTablespace(placement, err);
    }
  }
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
  const movedAside: string[] = [];
  for (const placement of placements) {
    try {
      const moved = await claimDestination(placement.location, { ...options, control: destinationControl(workRoot, placement.location) });
      if (moved) movedAside.push(moved);
    } catch (err) {
      throw forTablespace(placement, err);
    }
  }
  return movedAside;
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
