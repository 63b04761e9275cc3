import assert from 'node:assert/strict';
import { findFirstCommitAfter, unreachableTimeMessage } from '../../../src/core/commit-search';
import type { UtcMicros } from '../../../src/core/timestamp';

/** Segments as lists of commit seconds; a time t becomes 2026-11-24T10:00:tt.000000Z. */
function archive(segments: number[][]) {
  const at = (s: number) => `2026-11-24T10:${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}.000000Z`;
  const reads: number[] = [];
  return {
    at,
    reads,
    read: async (index: number) => {
      reads.push(index);
      return segments[index]!.map(at);
    },
  };
}

/** The first segment holding a commit later than the target, by reading every segment. */
function firstLinear(segments: number[][], target: number): number | null {
  const i = segments.findIndex((commits) => commits.some((t) => t > target));
  return i < 0 ? null : i;
}

describe('finding the first segment with a commit after the target', () => {
  it('finds it in O(log n) reads on steady traffic', async () => {
    const segments = Array.from({ length: 200 }, (_, i) => [i * 10 + 1, i * 10 + 5]);
    const a = archive(segments);
    const result = await findFirstCommitAfter(200, 0, a.at(1503), a.read);
    assert.ok(result.reachable);
    assert.equal(result.index, 150);
    assert.equal(result.firstCommitAfterTarget, a.at(1505));
    assert.equal(result.lastCommitBeforeTarget, a.at(1501));
    assert.ok(result.segmentsRead <= 10, `read ${result.segmentsRead} segments`);
  });

  it('matches a linear scan on every target, with idle (commit-less) segments in between', async () => {
    const segments = [[1, 2], [], [5], [], [], [9, 12], [], [20], [], [], [], [30, 31], []];
    for (let target = 0; target <= 31; target++) {
      const a = archive(segments);
      const result = await findFirstCommitAfter(segments.length, 0, a.at(target), a.read);
      const expected = firstLinear(segments, target);
      if (expected === null) {
        assert.equal(result.reachable, false, `target ${target}`);
      } else {
        assert.ok(result.reachable, `target ${target}`);
        assert.equal(result.index, expected, `target ${target}`);
      }
    }
  });

  it('reports an unreachable target with the last commit, even behind a trailing commit-less segment', async () => {
    const a = archive([[1], [5, 8], []]);
    const result = await findFirstCommitAfter(3, 0, a.at(8), a.read);
    assert.deepEqual(result, { reachable: false, lastCommit: a.at(8), segmentsRead: 2 });
    const none = archive([[], []]);
    assert.deepEqual(await findFirstCommitAfter(2, 0, none.at(1), none.read), { reachable: false, lastCommit: null, segmentsRead: 2 });
  });

  it('never answers a segment without a commit after the target, even when commit times are out of order', async () => {
    // Inversions across segments (not seen in practice, beyond milliseconds) may cost more WAL, never correctness.
    const segments = [[1], [50], [3], [4], [60], [5], [70]];
    for (let target = 0; target < 70; target += 7) {
      const a = archive(segments);
      const result = await findFirstCommitAfter(segments.length, 0, a.at(target), a.read);
      assert.ok(result.reachable);
      assert.ok(segments[result.index]!.some((t) => t > target), `segment ${result.index} for target ${target}`);
      assert.ok(result.index >= firstLinear(segments, target)!);
    }
  });

  it('starts from the lowest segment that may hold a later commit, reading none below it when it can', async () => {
    const segments = Array.from({ length: 50 }, (_, i) => [i * 10]);
    const a = archive(segments);
    const result = await findFirstCommitAfter(50, 40, a.at(425), a.read);
    assert.ok(result.reachable);
    assert.equal(result.index, 43);
    assert.ok(a.reads.every((i) => i >= 40), `read ${a.reads}`);
  });
});

describe('unreachableTimeMessage', () => {
  const facts = {
    target: '2026-11-24T10:00:30.000000Z' as UtcMicros,
    backupId: '20261124T095900',
    along: '',
    now: '2026-11-24T11:00:00.000000Z' as UtcMicros,
    gapAfter: null,
    lastScanned: '000000010000000000000007',
    lastCommit: '2026-11-24T10:00:20.000000Z' as UtcMicros,
  };

  it('names the last archived commit as the latest target that works', () => {
    assert.equal(
      unreachableTimeMessage(facts),
      'target 2026-11-24T10:00:30.000000Z cannot be reached from backup 20261124T095900: no commit later than the target was found in the archived WAL (scanned up to 000000010000000000000007). ' +
        'The last archived commit is at 2026-11-24T10:00:20.000000Z: choose a target before it (replay stops at the first commit after the target), or archive more WAL (pg_switch_wal() on the source) and retry.',
    );
  });

  it('says first that a target is in the future, then the gap, then the path', () => {
    const message = unreachableTimeMessage({ ...facts, now: '2026-11-24T10:00:00.000000Z' as UtcMicros, gapAfter: '000000010000000000000005', along: ' along timeline 1 until 0/40002F0, then timeline 2', lastCommit: null });
    assert.match(message, /^target \S+ cannot be reached from backup 20261124T095900 along timeline 1 until 0\/40002F0, then timeline 2: it is in the future \(the worker's clock reads 2026-11-24T10:00:00\.000000Z\), and the archive has a gap after segment 000000010000000000000005, and no commit/);
    assert.match(message, /No commit was found after the backup at all; archive more WAL and retry\.$/);
  });
});
