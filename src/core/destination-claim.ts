// What a restore may remove from its destination, and when. A restore takes the destination in its
// recover step; a retry of that step must clear the half-written output of the attempt before it, and
// a cancel must remove it. Neither may ever remove anything else: a claim names the run that wrote it
// and the directory that run made (device and inode, which a path does not pin down), so a claim left
// behind by a terminated run, or a directory the user put at the same path since, authorises nothing.

/** One run of a restore: the restore id (workflow id) and the Temporal run id of this attempt at it. */
export interface RestoreRun {
  restoreId: string;
  runId: string;
}

/**
 * A directory's identity on its filesystem; decimal strings, since st_dev/st_ino may pass 2^53. An inode
 * number is reused as soon as it is freed (a directory removed and made again often gets the same one),
 * so the birth time (statx btime, in nanoseconds; 0 where the filesystem keeps none) is part of it.
 */
export interface DirectoryIdentity {
  device: string;
  inode: string;
  born: string;
}

export interface DestinationClaim extends RestoreRun, DirectoryIdentity {
  destination: string;
  /**
   * True when the run made the directory; false when it took an empty directory that was already
   * there (a mount point, a directory with chosen permissions): then only its content is ever removed.
   */
  created: boolean;
  /** Owner and mode of a directory that was already there, given back when a cancel empties it. */
  previous?: { uid: number; gid: number; mode: number };
  /** Where --force moved the directory that was there before (the user's), to be put back by a cancel. */
  movedAside?: DirectoryIdentity & { path: string };
}

/**
 * What a cancel is undoing, recorded before the claim is dropped so that a retried cancel finishes the job
 * by identity: the restore's directory to remove (renamed to `path` out of the user's way, or emptied in
 * place when the user made it), absent when the directory at the destination is no longer the restore's;
 * and the user's directory to put back.
 */
export interface TrashRecord {
  remove?: DirectoryIdentity & { path: string; created: boolean; previous?: DestinationClaim['previous'] };
  movedAside?: DestinationClaim['movedAside'];
}

/** Whether `claim` was written by `run` for `destination`, whatever is at the path now. */
export function claimOfRun(claim: DestinationClaim | null, run: RestoreRun, destination: string): claim is DestinationClaim {
  return claim !== null && claim.restoreId === run.restoreId && claim.runId === run.runId && claim.destination === destination;
}

export function sameDirectory(a: DirectoryIdentity | null, b: DirectoryIdentity): boolean {
  return a !== null && a.device === b.device && a.inode === b.inode && a.born === b.born;
}

/** The claim in a claim file, or null when the text is not one (an older or damaged file authorises nothing). */
export function parseClaim(text: string): DestinationClaim | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const claim = value as Partial<DestinationClaim>;
  const strings = [claim.restoreId, claim.runId, claim.destination, claim.device, claim.inode, claim.born];
  if (!strings.every((s) => typeof s === 'string' && s.length > 0) || typeof claim.created !== 'boolean') return null;
  return claim as DestinationClaim;
}

export function formatClaim(claim: DestinationClaim): string {
  return `${JSON.stringify(claim)}\n`;
}

/**
 * Whether `claim` lets `run` remove what is at `destination` now (found: its identity, or null when nothing
 * is there): only the run that wrote the claim, only at the same path, only the very directory it recorded.
 */
export function claimAuthorises(claim: DestinationClaim | null, run: RestoreRun, destination: string, found: DirectoryIdentity | null): claim is DestinationClaim {
  return claimOfRun(claim, run, destination) && sameDirectory(found, claim);
}
