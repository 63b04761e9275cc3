// Which archived segment holds the first commit later than a target, reading as few segments as
// possible. Commit timestamps follow WAL order (up to millisecond inversions between concurrent
// transactions), so a binary search over the segments finds it in O(log n) reads instead of reading
// every segment from the backup's begin_wal on.
//
// Whatever the data, the answer is safe: the segment returned always holds a commit later than the
// target, so fetching WAL up to it lets replay stop there. Inversions or long runs of commit-less
// segments can only make it a later segment than the first one (more WAL), never an earlier one.
import type { UtcMicros } from './timestamp';

/** Commit times of segment `index` of the chain, in WAL order (empty when it holds none). */
export type CommitReader = (index: number) => Promise<UtcMicros[]>;

export type CommitSearchResult =
  | { reachable: true; index: number; firstCommitAfterTarget: UtcMicros; lastCommitBeforeTarget: UtcMicros | null; segmentsRead: number }
  | { reachable: false; lastCommit: UtcMicros | null; segmentsRead: number };

/** How far left of a commit-less probe to look for a segment with commits before judging it. */
const MAX_LEFT_PROBES = 8;

/**
 * The first segment (index in `[lowest, count)`) holding a commit later than `target`. Segments
 * before `lowest` are known to hold none (archived well before the target) and are read only when
 * nothing from `lowest` on holds a commit at all.
 */
export async function findFirstCommitAfter(count: number, lowest: number, target: UtcMicros, readCommits: CommitReader): Promise<CommitSearchResult> {
  const cache = new Map<number, UtcMicros[]>();
  const read = async (index: number): Promise<UtcMicros[]> => {
    if (!cache.has(index)) cache.set(index, await readCommits(index));
    return cache.get(index)!;
  };
  const after = (commits: UtcMicros[]) => commits.some((t) => t > target);

  // The upper bound: the last segment that holds any commit.
  let hi = count - 1;
  while (hi >= 0 && (await read(hi)).length === 0) hi--;
  if (hi < 0 || !after(await read(hi))) {
    const commits = hi >= 0 ? await read(hi) : [];
    return { reachable: false, lastCommit: commits.length ? commits.reduce((a, b) => (a > b ? a : b)) : null, segmentsRead: cache.size };
  }

  // Invariant: segment hi holds a commit after the target (so fetching up to it is always enough), and lo < hi.
  let lo = Math.min(lowest, hi) - 1;
  while (hi - lo > 1) {
    let mid = Math.floor((lo + hi) / 2);
    let commits = await read(mid);
    for (let probes = 0; commits.length === 0 && probes < MAX_LEFT_PROBES && mid - 1 > lo; probes++) {
      mid -= 1;
      commits = await read(mid);
    }
    if (after(commits)) hi = mid;
    else lo = Math.floor((lo + hi) / 2);
  }

  const commits = await read(hi);
  const firstAfter = commits.findIndex((t) => t > target);
  const before = commits.slice(0, firstAfter).at(-1) ?? lastCommitAtOrBefore(cache, hi, target);
  return { reachable: true, index: hi, firstCommitAfterTarget: commits[firstAfter]!, lastCommitBeforeTarget: before, segmentsRead: cache.size };
}

/** The latest commit not later than the target among the segments read before `index`. */
function lastCommitAtOrBefore(cache: Map<number, UtcMicros[]>, index: number, target: UtcMicros): UtcMicros | null {
  let best: UtcMicros | null = null;
  for (const [i, commits] of cache) {
    if (i >= index) continue;
    for (const t of commits) if (t <= target && (best === null || t > best)) best = t;
  }
  return best;
}

export interface UnreachableTimeFacts {
  target: UtcMicros;
  backupId: string;
  /** e.g. ` along timeline 1 until 0/40002F0, then timeline 2` ('' on one timeline). */
  along: string;
  /** The worker's clock: a target in the future is said first. */
  now: UtcMicros;
  /** The last segment before a hole in the archive, when there is one. */
  gapAfter: string | null;
  lastScanned: string | null;
  lastCommit: UtcMicros | null;
}

/** Why no commit after a time target was found, and what the user can do: an earlier target, or more WAL. */
export function unreachableTimeMessage(f: UnreachableTimeFacts): string {
  const future = f.target > f.now ? `it is in the future (the worker's clock reads ${f.now}), and ` : '';
  const where = f.gapAfter ? `the archive has a gap after segment ${f.gapAfter}, and ` : '';
  return (
    `target ${f.target} cannot be reached from backup ${f.backupId}${f.along}: ${future}${where}no commit later than the target was found in the archived WAL (scanned up to ${f.lastScanned ?? 'nothing'}). ` +
    (f.lastCommit
      ? `The last archived commit is at ${f.lastCommit}: choose a target before it (replay stops at the first commit after the target), or archive more WAL (pg_switch_wal() on the source) and retry.`
      : 'No commit was found after the backup at all; archive more WAL and retry.')
  );
}
