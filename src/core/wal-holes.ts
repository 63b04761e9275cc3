// Holes in a WAL archive: runs of segment positions missing between a starting one (the oldest backup's
// begin_wal) and the last one archived. A restore cannot replay across a hole, so `pitr
// backups` names the first missing segment of each one.

export interface WalHole {
  /** The last archived segment before the hole; null when the starting segment itself is missing. */
  after: string | null;
  /** The first segment the archive lacks. */
  firstMissing: string;
  lastMissing: string;
  missingSegments: number;
  /** The first archived segment after the hole. */
  resumesAt: string;
}

/**
 * The holes among archived segment positions from `fromIndex` up to the last one present, oldest first, each named
 * with `nameAt` (the timeline a path reads that position from). The archive simply ending is not a hole; positions
 * before `fromIndex` and duplicates are ignored.
 */
export function holesAmong(present: Iterable<number>, fromIndex: number, nameAt: (index: number) => string): WalHole[] {
  const holes: WalHole[] = [];
  let expected = fromIndex;
  let previous: number | null = null;
  for (const index of [...new Set(present)].filter((i) => i >= fromIndex).sort((a, b) => a - b)) {
    if (index > expected) {
      holes.push({
        after: previous === null ? null : nameAt(previous),
        firstMissing: nameAt(expected),
        lastMissing: nameAt(index - 1),
        missingSegments: index - expected,
        resumesAt: nameAt(index),
      });
    }
    previous = index;
    expected = index + 1;
  }
  return holes;
}
