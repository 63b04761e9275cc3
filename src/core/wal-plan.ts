// The pure part of choosing the WAL to fetch: the unbroken run of archived segments from the backup's begin_wal,
// and where in it scanning for the first commit after the target can start.
import { FailureTypes, RestoreError } from '../shared';
import { spanForIndex, type TimelineSpan } from './timeline-history';
import { toEpochMicros, type UtcMicros } from './timestamp';
import { isSegmentName, parseSegmentName, segmentFromIndex, segmentIndex, segmentsPerLog } from './wal-names';

export interface ArchivedWal {
  /** Bare segment name, e.g. 000000010000000000000026. */
  name: string;
  key: string;
  size: number;
  lastModified: UtcMicros | null;
}

export interface WalChain<T extends ArchivedWal = ArchivedWal> {
  /** Segments in replay order, starting at begin_wal's position; empty when begin_wal itself is not archived. */
  chain: T[];
  /** Set when the archive holds later segments of the path beyond a hole: the last segment before the hole. */
  gapAfter: string | null;
  /** The first segment the path needs and the archive lacks (set with gapAfter). */
  missing: string | null;
}

/** The backup's WAL cannot lead to the requested timeline. */
export class TimelineMismatchError extends RestoreError {
  constructor(message: string) {
    super(FailureTypes.TargetUnreachable, message);
    this.name = 'TimelineMismatchError';
  }
}

/**
 * The contiguous run of archived segments from `beginWal`, each read from the timeline `spans` assign to its
 * position (default: beginWal's own timeline throughout), stopping at the first one missing. The chain simply
 * ending is not a gap; a gap is a hole followed by more segments of the same path. Objects that are not
 * segments, or whose names cannot exist at this segment size, are ignored; of two objects with one name the
 * first is kept.
 */
export function walChainFrom<T extends ArchivedWal>(
  archive: T[],
  beginWal: string,
  segmentSize: number,
  spans?: TimelineSpan[],
): WalChain<T> {
  const begin = parseSegmentName(beginWal);
  const beginIndex = segmentIndex(beginWal, segmentSize);
  const path = spans ?? [{ timeline: begin.timeline, fromIndex: 0, toIndex: null }];
  assertBeginIsOnPath(beginWal, begin.timeline, beginIndex, path, segmentSize);

  const perLog = segmentsPerLog(segmentSize);
  const byName = new Map<string, T>();
  for (const wal of archive) {
    if (isSegmentName(wal.name) && parseSegmentName(wal.name).seg < perLog && !byName.has(wal.name)) {
      byName.set(wal.name, wal);
    }
  }

  const chain: T[] = [];
  let index = beginIndex;
  for (;;) {
    const span = spanForIndex(path, index);
    const wal = span && byName.get(segmentFromIndex(span.timeline, index, segmentSize));
    if (!wal) break;
    chain.push(wal);
    index += 1;
  }

  const holeIndex = index;
  const laterOnPath = [...byName.values()].some((wal) => {
    const i = segmentIndex(wal.name, segmentSize);
    return i > holeIndex && spanForIndex(path, i)?.timeline === parseSegmentName(wal.name).timeline;
  });
  if (!laterOnPath) return { chain, gapAfter: null, missing: null };
  const holeSpan = spanForIndex(path, holeIndex)!;
  return {
    chain,
    gapAfter: chain.length > 0 ? chain[chain.length - 1]!.name : null,
    missing: segmentFromIndex(holeSpan.timeline, holeIndex, segmentSize),
  };
}

/**
 * Index in `chain` of the first segment that might hold a commit later than `target`: the first whose
 * LastModified is later than `target - skewMarginMicros`, or whose LastModified is unknown. A segment is archived
 * only after it is written, so one archived well before the target holds no later commit; the margin covers
 * clock skew between the database host and the object store. Returns chain.length when no segment qualifies.
 * Starting later than needed is still safe for correctness (the scan just fetches more WAL before finding the
 * commit); starting earlier only costs time.
 */
export function firstScanIndex(chain: ArchivedWal[], target: UtcMicros, skewMarginMicros: number): number {
  if (!Number.isSafeInteger(skewMarginMicros) || skewMarginMicros < 0) {
    throw new RangeError(`skew margin must be a whole, non-negative number of microseconds, got ${skewMarginMicros}`);
  }
  const threshold = toEpochMicros(target) - skewMarginMicros;
  const i = chain.findIndex((wal) => wal.lastModified === null || toEpochMicros(wal.lastModified) > threshold);
  return i < 0 ? chain.length : i;
}

function assertBeginIsOnPath(
  beginWal: string,
  beginTimeline: number,
  beginIndex: number,
  path: TimelineSpan[],
  segmentSize: number,
): void {
  const span = spanForIndex(path, beginIndex);
  if (span === undefined) {
    throw new TimelineMismatchError(`no timeline is given for the position of begin WAL ${beginWal}`);
  }
  if (span.timeline === beginTimeline) return;
  if (beginTimeline > span.timeline) {
    throw new TimelineMismatchError(
      `the backup starting at ${beginWal} is on timeline ${beginTimeline}, but on the way to timeline ` +
        `${path[path.length - 1]!.timeline} this position belongs to timeline ${span.timeline}; ` +
        `the backup is not on that path`,
    );
  }
  const own = path.find((s) => s.timeline === beginTimeline);
  // A backup may start inside the segment where its timeline ended; that segment is read from the new timeline.
  if (own !== undefined && own.toIndex !== null && beginIndex > own.toIndex + 1) {
    throw new TimelineMismatchError(
      `the backup starting at ${beginWal} is on timeline ${beginTimeline}, but timeline ` +
        `${path[path.length - 1]!.timeline} branched off timeline ${beginTimeline} before that ` +
        `(its last segment on the path is ${segmentFromIndex(beginTimeline, own.toIndex, segmentSize)})`,
    );
  }
}
