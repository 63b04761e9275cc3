// Undoing a cancelled restore's destination, in an order no retry can turn against the user: first the
// record of what will be undone is written and the claim dropped (durably), then the restore's own
// directory is renamed out of the user's path and deleted, and the user's directory goes back. Every step
// checks directories by identity (device, inode, birth time), so a retry that runs after, or beside, an
// attempt that already put the user's directory back finds nothing of ours at the destination and
// removes nothing there.
import { chmod, chown, rename } from 'node:fs/promises';
import { claimAuthorises, claimOfRun, parseClaim, sameDirectory, type RestoreRun, type TrashRecord } from '../core/destination-claim';
import { FailureTypes, RestoreError } from '../shared';
import { directoryIdentity, dropRecord, readRecord, writeRecord, type DestinationControl } from './destination-control';
import { pathExists } from './path-exists';
import { emptyDirectory, removeTree } from './tree-operations';

export interface AbandonedDestination {
  /** The restore's output was at the destination and is gone. */
  destinationCleared: boolean;
  /** Where the user's directory was put back from, if --force had moved it aside. */
  movedBack: string | null;
}

export async function abandonDestination(destination: string, control: DestinationControl, run: RestoreRun, signal?: AbortSignal): Promise<AbandonedDestination> {
  const trash = (await recordTrash(destination, control, run)) ?? parseTrash(await readRecord(control.trashFile));
  if (!trash) return { destinationCleared: false, movedBack: null };
  const remove = trash.remove;
  if (remove?.created) {
    if (sameDirectory(await directoryIdentity(destination), remove)) await rename(destination, remove.path);
    if (sameDirectory(await directoryIdentity(remove.path), remove)) await removeTree(remove.path, signal);
  } else if (remove && sameDirectory(await directoryIdentity(destination), remove)) {
    // The user's own empty directory (a mount point, say): only what the restore wrote in it goes.
    await emptyDirectory(destination, signal);
    if (remove.previous) {
      await chown(destination, remove.previous.uid, remove.previous.gid);
      await chmod(destination, remove.previous.mode);
    }
  }
  const movedBack = await putBack(destination, trash);
  await dropRecord(control.trashFile);
  return { destinationCleared: remove !== undefined, movedBack };
}

/** Turns this run's claim into a trash record and drops the claim; null when there is no claim of this run. */
async function recordTrash(destination: string, control: DestinationControl, run: RestoreRun): Promise<TrashRecord | null> {
  const claim = parseClaim((await readRecord(control.claimFile)) ?? '');
  if (!claimOfRun(claim, run, destination)) return null;
  const ours = claimAuthorises(claim, run, destination, await directoryIdentity(destination));
  const trash: TrashRecord = {
    // The directory at the destination is another one (someone replaced it): it is not ours to remove.
    remove: ours
      ? {
          path: claim.created ? `${destination}.pitr-cancelled-${run.runId}` : destination,
          device: claim.device,
          inode: claim.inode,
          born: claim.born,
          created: claim.created,
          previous: claim.previous,
        }
      : undefined,
    movedAside: claim.movedAside,
  };
  await writeRecord(control.trashFile, `${JSON.stringify(trash)}\n`);
  await dropRecord(control.claimFile);
  return trash;
}

function parseTrash(text: string | null): TrashRecord | null {
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as TrashRecord;
    return typeof value === 'object' && value !== null ? value : null;
  } catch {
    return null;
  }
}

/** The user's directory back where it was; a failure to do so is reported, with where the directory is kept. */
async function putBack(destination: string, trash: TrashRecord): Promise<string | null> {
  const aside = trash.movedAside;
  if (!aside || !sameDirectory(await directoryIdentity(aside.path), aside)) return null;
  if (await pathExists(destination)) {
    throw new RestoreError(
      FailureTypes.DestinationNotEmpty,
      `the cancelled restore could not put your directory back: ${destination} is taken by something the restore did not create. ` +
        `Your directory is intact at ${aside.path}; move it back yourself once ${destination} is free`,
    );
  }
  await rename(aside.path, destination);
  return aside.path;
}
