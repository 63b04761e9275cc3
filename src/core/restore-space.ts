// Disk space a restore needs, and whether the free space suffices. Two places fill up:
//  - the worker's work area in the Barman home (PITR_BARMAN_HOME): the downloaded tarballs (kept until
//    the restore is verified), the extracted base backup, and the WAL as archived (still compressed);
//  - the destination: barman recover copies the base backup there, and the WAL replay needs into
//    <dest>/barman_wal, decompressed (whole segments).
// When both are on one filesystem, their sum must fit its free space.
import { formatBytes } from './report-format';

export interface SpaceInputs {
  /** Tar objects of the backup as stored (compressed). */
  baseTarBytes: number;
  /** Uncompressed size of the base backup (often an estimate). */
  baseBytes: number;
  walSegments: number;
  segmentSize: number;
  /** WAL objects as archived (compressed), history files included. */
  walArchivedBytes: number;
  /**
   * Directories of the base backup another restore on this host has extracted, which this one would link
   * (src/io/extracted-trees.ts): their tarballs are not downloaded and their files take no new space.
   */
  linked?: { directories: number; tarBytes: number; bytes: number };
}

export interface SpacePart {
  label: string;
  bytes: number;
}

export interface AreaNeed {
  bytes: number;
  parts: SpacePart[];
}

export interface SpaceNeeds {
  destination: AreaNeed;
  barmanHome: AreaNeed;
}

export function restoreSpaceNeeds(inputs: SpaceInputs): SpaceNeeds {
  const linked = inputs.linked && inputs.linked.directories > 0 ? inputs.linked : undefined;
  const area = (parts: SpacePart[]): AreaNeed => ({ bytes: parts.reduce((sum, p) => sum + p.bytes, 0), parts });
  return {
    destination: area([
      { label: 'base backup', bytes: inputs.baseBytes },
      { label: 'WAL for replay (decompressed, in barman_wal)', bytes: inputs.walSegments * inputs.segmentSize },
    ]),
    barmanHome: area([
      { label: 'downloaded tarballs', bytes: inputs.baseTarBytes - (linked?.tarBytes ?? 0) },
      { label: linked ? `extracted base backup (${linkedWords(linked.directories)} from another restore on this host: no new space)` : 'extracted base backup', bytes: Math.max(0, inputs.baseBytes - (linked?.bytes ?? 0)) },
      { label: 'WAL as archived', bytes: inputs.walArchivedBytes },
    ]),
  };
}

function linkedWords(directories: number): string {
  return directories === 1 ? '1 directory linked' : `${directories} directories linked`;
}

/** Free space where a path is (or would be created). */
export interface Volume {
  /** The path asked about. */
  path: string;
  /** Its nearest existing ancestor (the path itself when it exists): where free space was measured. */
  measuredAt: string;
  /** Filesystem identity (st_dev): equal devices share their free space. */
  device: number;
  freeBytes: number;
}

export interface AreaCheck extends Pick<Volume, 'path' | 'measuredAt' | 'freeBytes'> {
  requiredBytes: number;
  /** This area alone fits (see `enough` of the whole check when the filesystem is shared). */
  fits: boolean;
}

export interface SpaceCheck {
  destination: AreaCheck;
  barmanHome: AreaCheck;
  /** Both areas are on one filesystem: their sum is what must fit. */
  sharedFilesystem: boolean;
  requiredOnSharedBytes: number | null;
  enough: boolean;
}

export function checkSpace(needs: SpaceNeeds, destination: Volume, barmanHome: Volume): SpaceCheck {
  const check = (need: AreaNeed, volume: Volume): AreaCheck => ({
    path: volume.path,
    measuredAt: volume.measuredAt,
    requiredBytes: need.bytes,
    freeBytes: volume.freeBytes,
    fits: need.bytes <= volume.freeBytes,
  });
  const dest = check(needs.destination, destination);
  const home = check(needs.barmanHome, barmanHome);
  const shared = destination.device === barmanHome.device;
  const sum = needs.destination.bytes + needs.barmanHome.bytes;
  return {
    destination: dest,
    barmanHome: home,
    sharedFilesystem: shared,
    requiredOnSharedBytes: shared ? sum : null,
    enough: shared ? sum <= Math.min(destination.freeBytes, barmanHome.freeBytes) : dest.fits && home.fits,
  };
}

/** The plan step's refusal when the space check fails: each area, what it needs and what is free, and the way out. */
export function describeShortage(space: SpaceCheck): string {
  const area = (name: string, a: SpaceCheck['destination']) => `${name} ${a.path} needs ${formatBytes(a.requiredBytes)}, ${formatBytes(a.freeBytes)} free at ${a.measuredAt}`;
  const shared = space.sharedFilesystem ? `; both are on one filesystem, so ${formatBytes(space.requiredOnSharedBytes!)} must fit there` : '';
  return (
    `not enough disk space for this restore: ${area('the destination', space.destination)}; ${area("the worker's Barman work area", space.barmanHome)}${shared}. ` +
    'Free space (or choose another destination) and start again; --force skips this check (the restore then stops with a disk-full message where space runs out)'
  );
}
