import assert from 'node:assert/strict';
import {
  describeReplayProgress,
  replayEndOfPlan,
  replayProgress,
  replayProgressDetails,
  withSample,
  type ReplayEnd,
  type ReplaySample,
} from '../../../src/core/replay-progress';
import { formatLsn, parseLsn } from '../../../src/core/wal-names';

const MiB = 1024 * 1024;
const end: ReplayEnd = { startLsn: '0/5000000', stopLsn: formatLsn(parseLsn('0/5000000') + 10 * MiB), endCommit: '2026-12-01T06:34:20.000000Z' };
const at = (atMs: number, mibReplayed: number, lastReplayedCommit: string | null = null): ReplaySample => ({
  atMs,
  replayLsn: formatLsn(parseLsn(end.startLsn) + mibReplayed * MiB),
  lastReplayedCommit,
});

describe('replay progress', () => {
  describe('replayEndOfPlan', () => {
    const plan = { beginWal: '000000010000000000000005', segmentSize: 16 * MiB, stopLsn: '0/7000410' };

    it('runs from the start of the backup\'s first segment to the stop record', () => {
      assert.deepEqual(replayEndOfPlan(plan), { startLsn: '0/5000000', stopLsn: '0/7000410' });
    });

    it('counts down to the last commit before a time target, or else to the first commit after it', () => {
      const times = { firstCommitAfterTarget: '2026-12-01T06:34:21.000000Z', lastCommitBeforeTarget: '2026-12-01T06:34:20.000000Z' };
      assert.equal(replayEndOfPlan({ ...plan, ...times }).endCommit, '2026-12-01T06:34:20.000000Z');
      assert.equal(replayEndOfPlan({ ...plan, firstCommitAfterTarget: times.firstCommitAfterTarget })!.endCommit, '2026-12-01T06:34:21.000000Z');
    });

    it('starts at a log boundary when the first segment is the first of its log (segment wrap), and with other segment sizes', () => {
      assert.equal(replayEndOfPlan({ ...plan, beginWal: '000000010000000100000000' })!.startLsn, '1/0');
      assert.equal(replayEndOfPlan({ ...plan, beginWal: '0000000100000000000000FF' })!.startLsn, '0/FF000000');
      assert.equal(replayEndOfPlan({ ...plan, beginWal: '000000010000000000000003', segmentSize: 64 * MiB })!.startLsn, '0/C000000');
    });

    it('ignores the timeline: LSNs run on across a switch', () => {
      assert.equal(replayEndOfPlan({ ...plan, beginWal: '000000030000000000000005' })!.startLsn, '0/5000000');
    });
  });

  describe('replayProgress', () => {
    it('is null before any sample', () => {
      assert.equal(replayProgress(end, []), null);
    });

    it('gives WAL done and to go, commit time to go, the rate over the window and an ETA', () => {
      const p = replayProgress(end, [at(0, 1, '2026-12-01T06:34:00.000000Z'), at(2000, 5, '2026-12-01T06:34:10.000000Z')])!;
      assert.equal(p.bytesDone, 5 * MiB);
      assert.equal(p.bytesTotal, 10 * MiB);
      assert.equal(p.bytesToGo, 5 * MiB);
      assert.equal(p.commitTimeToGoMicros, 10_000_000);
      assert.equal(p.bytesPerSecond, 2 * MiB);
      assert.equal(p.etaSeconds, 2.5);
      assert.equal(p.reached, false);
      assert.equal(p.lastReplayedCommit, '2026-12-01T06:34:10.000000Z');
    });

    it('has no rate from one sample, nor from samples at the same moment', () => {
      assert.equal(replayProgress(end, [at(0, 1)])!.bytesPerSecond, null);
      assert.equal(replayProgress(end, [at(5, 1), at(5, 2)])!.bytesPerSecond, null);
      assert.equal(replayProgress(end, [at(5, 1)])!.etaSeconds, null);
    });

    it('has a zero rate and no ETA when replay waits', () => {
      const p = replayProgress(end, [at(0, 3), at(4000, 3)])!;
      assert.equal(p.bytesPerSecond, 0);
      assert.equal(p.etaSeconds, null);
    });

    it('keeps bytesDone within 0..bytesTotal: before the start, and past the stop record (an xid or LSN target replays its record)', () => {
      const before = replayProgress(end, [{ atMs: 0, replayLsn: '0/4FFFFF0', lastReplayedCommit: null }])!;
      assert.equal(before.bytesDone, 0);
      const past = replayProgress(end, [{ atMs: 0, replayLsn: formatLsn(parseLsn(end.stopLsn) + 40), lastReplayedCommit: null }])!;
      assert.deepEqual([past.bytesDone, past.bytesToGo, past.reached], [10 * MiB, 0, true]);
      const exactly = replayProgress(end, [{ atMs: 0, replayLsn: end.stopLsn, lastReplayedCommit: null }])!;
      assert.deepEqual([exactly.bytesDone, exactly.reached], [10 * MiB, true]);
    });

    it('counts no commit time without a time target or a replayed commit, and none below zero', () => {
      assert.equal(replayProgress({ startLsn: end.startLsn, stopLsn: end.stopLsn }, [at(0, 1, '2026-12-01T06:34:00.000000Z')])!.commitTimeToGoMicros, null);
      assert.equal(replayProgress(end, [at(0, 1)])!.commitTimeToGoMicros, null);
      assert.equal(replayProgress(end, [at(0, 1, '2026-12-01T06:35:00.000000Z')])!.commitTimeToGoMicros, 0);
    });

    it('counts across a 4 GiB log boundary', () => {
      const wide: ReplayEnd = { startLsn: '0/FF000000', stopLsn: '1/1000000' };
      const p = replayProgress(wide, [{ atMs: 0, replayLsn: '0/FFFFFFFF', lastReplayedCommit: null }, { atMs: 1000, replayLsn: '1/800000', lastReplayedCommit: null }])!;
      assert.equal(p.bytesTotal, 32 * MiB);
      assert.equal(p.bytesDone, 16 * MiB + 8 * MiB);
      assert.equal(p.bytesPerSecond, 8 * MiB + 1);
    });
  });

  describe('withSample', () => {
    it('keeps the samples of the window and the one just before it', () => {
      let samples: ReplaySample[] = [];
      for (const t of [0, 10_000, 20_000, 30_000, 40_000]) samples = withSample(samples, at(t, t / 10_000), 25_000);
      assert.deepEqual(samples.map((s) => s.atMs), [10_000, 20_000, 30_000, 40_000]);
      assert.equal(replayProgress(end, samples)!.bytesPerSecond, (3 * MiB) / 30);
    });

    it('starts afresh when the LSN goes back (another start of the server) or the clock does', () => {
      assert.deepEqual(withSample([at(0, 1), at(1000, 3)], at(2000, 2)), [at(2000, 2)]);
      assert.deepEqual(withSample([at(5000, 1)], at(4000, 2)), [at(4000, 2)]);
    });

    it('does not change the array it is given', () => {
      const samples = [at(0, 1)];
      withSample(samples, at(1000, 2));
      assert.equal(samples.length, 1);
    });
  });

  describe('describeReplayProgress', () => {
    it('says where replay is, what is left in WAL and commit time, the rate and the time left', () => {
      const p = replayProgress(end, [at(0, 1, '2026-12-01T06:34:00.000000Z'), at(2000, 5, '2026-12-01T06:34:10.000000Z')])!;
      assert.equal(
        describeReplayProgress(p, end),
        'replayed to 0/5500000 (last commit 2026-12-01 06:34:10.000000+00:00), 5.0 MiB and 10s of commits to go to 0/5A00000, 2.0 MiB/s, about 3s left',
      );
    });

    it('leaves out what is not known yet', () => {
      assert.equal(describeReplayProgress(replayProgress(end, [at(0, 1)])!, end), 'replayed to 0/5100000, 9.0 MiB to go to 0/5A00000');
    });

    it('says when replay is not advancing', () => {
      assert.equal(describeReplayProgress(replayProgress(end, [at(0, 1), at(3000, 1)])!, end), 'replayed to 0/5100000, 9.0 MiB to go to 0/5A00000, not advancing');
    });

    it('says when replay is at the stop record', () => {
      const p = replayProgress(end, [at(0, 10, '2026-12-01T06:34:20.000000Z')])!;
      assert.equal(describeReplayProgress(p, end), 'replayed to 0/5A00000 (last commit 2026-12-01 06:34:20.000000+00:00), at the stop record 0/5A00000');
    });
  });

  it('replayProgressDetails gives the heartbeat fields, or null before a sample', () => {
    assert.equal(replayProgressDetails(end, []), null);
    assert.deepEqual(replayProgressDetails(end, [at(0, 1)]), { bytesDone: MiB, bytesTotal: 10 * MiB, current: 'replayed to 0/5100000, 9.0 MiB to go to 0/5A00000' });
  });
});
