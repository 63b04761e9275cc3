// Holes in one timeline's WAL archive: runs of segments missing between a starting segment (the oldest
// backup's begin_wal) and the last segment archived. A restore cannot replay across a hole, so `pitr
// backups` names the first missing segment of each one.
import { isSegmentName, parseSegmentName, segmentFromIndex, segmentIndex, segmentsPerLog } from './wal-names';

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
 * The holes in the segments of `fromWal`'s timeline from `fromWal` up to the last one archived, oldest
 * first. The archive simply ending is not a hole. Names of other timelines, names that are not segments
 * and names that cannot exist at this segment size are ignored, as are duplicates.
 */
export function findWalHoles(names: Iterable<string>, fromWal: string, segmentSize: number): WalHole[] {
  const { timeline } = parseSegmentName(fromWal);
  const fromIndex = segmentIndex(fromWal, segmentSize);
  const perLog = segmentsPerLog(segmentSize);
  const present = new Set<number>();
  for (const name of names) {
    if (!isSegmentName(name)) continue;
    const id = parseSegmentName(name);
    if (id.timeline !== timeline || id.seg >= perLog) continue;
    const index = segmentIndex(name, segmentSize);
    if (index >= fromIndex) present.add(index);
  }
  const segment = (index: number) => segmentFromIndex(timeline, index, segmentSize);
  const holes: WalHole[] = [];
  let expected = fromIndex;
  let previous: number | null = null;
  for (const index of [...present].sort((a, b) => a - b)) {
    if (index > expected) {
      holes.push({
        after: previous === null ? null : segment(previous),
        firstMissing: segment(expected),
        lastMissing: segment(index - 1),
        missingSegments: index - expected,
        resumesAt: segment(index),
      });
    }
    previous = index;
    expected = index + 1;
  }
  return holes;
}
