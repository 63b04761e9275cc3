// `pitr backups` across timeline switches, on synthetic archives: which backups reach a timeline through its
// history, which segments replay reads on the way, and where a parent was abandoned (issue 11, item 3).
import assert from 'node:assert/strict';
import type { BackupInfo } from '../../../src/core/backup-info';
import { recoverableWindows, timelineScopes, type TimelineScope } from '../../../src/core/backup-overview';
import type { TimelineHistoryOf } from '../../../src/core/timeline-branches';
import { abandonmentMessage, branchesOff, descendsFrom, timelinePath, type Abandonment } from '../../../src/core/timeline-reach';
import type { UtcMicros } from '../../../src/core/timestamp';

const MiB16 = 16 * 1024 * 1024;

function hex8(n: number): string {
  return n.toString(16).toUpperCase().padStart(8, '0');
}

function seg(timeline: number, n: number): string {
  return `${hex8(timeline)}00000000${hex8(n)}`;
}

function segs(timeline: number, ...numbers: number[]): string[] {
  return numbers.map((n) => seg(timeline, n));
}

/** A completed backup on `timeline` from `beginXlog` to `endXlog` (both on log 0), ending at `endTime`. */
function backup(backupId: string, timeline: number, beginXlog: string, endXlog: string, endTime: string): BackupInfo {
  const segOf = (lsn: string) => seg(timeline, Math.floor(parseInt(lsn.split('/')[1]!, 16) / MiB16));
  return {
    backupId,
    status: 'DONE',
    beginTime: endTime,
    endTime: endTime as UtcMicros,
    beginWal: segOf(beginXlog),
    endWal: segOf(endXlog),
    beginXlog,
    endXlog,
    timeline,
    segmentSize: MiB16,
    pgVersion: 15,
    versionNum: 150018,
    systemId: '1',
    tablespaces: [],
    mode: null,
    compression: null,
    encryption: null,
    parentBackupId: null,
    snapshotProvider: null,
    error: null,
  } as BackupInfo;
}

function history(timeline: number, ...switches: [number, string][]): TimelineHistoryOf {
  return { timeline, switches: switches.map(([parentTimeline, switchLsn]) => ({ parentTimeline, switchLsn, reason: 'no recovery target specified' })) };
}

const scopeOf = (scopes: TimelineScope[], timeline: number) => {
  const found = scopes.find((s) => s.timeline === timeline);
  assert.ok(found, `a scope for timeline ${timeline}`);
  return found;
};

const commit = (time: string, segment: string) => ({ commit: time as UtcMicros, segment });

// Timeline 1 from segment 3 on; the backup ends in segment 3, the switch to timeline 2 lies inside segment 4.
const B1 = backup('20261201T044840', 1, '0/3000028', '0/3000138', '2026-12-01T04:48:48.394714Z');
const H2 = history(2, [1, '0/40002B8']);

describe('core/timeline-reach', () => {
  describe('one switch (the c319-failover-15 shape)', () => {
    const scopes = timelineScopes([B1], [...segs(1, 1, 2, 3, 4, 5), ...segs(2, 4, 5)], [H2]);

    it('reports timeline 2 as reached from the timeline-1 backup (the defect: it was shown unrecoverable)', () => {
      const t2 = scopeOf(scopes, 2);
      assert.equal(t2.oldestBackup, B1);
      assert.deepEqual(t2.path.ancestors, [{ timeline: 1, switchLsn: '0/40002B8' }]);
      const verdict = recoverableWindows(t2, [commit('2026-12-01T04:49:09.626053Z', seg(2, 5))]);
      assert.deepEqual(verdict.windows, [{ from: B1.endTime, fromBackup: B1.backupId, fromTimeline: 1, to: '2026-12-01T04:49:09.626053Z', toSegment: seg(2, 5) }]);
      assert.deepEqual(verdict.notes, []);
    });

    it('reads timeline 1 up to the segment before the switch, then timeline 2 from the segment holding it', () => {
      const t2 = scopeOf(scopes, 2);
      assert.equal(t2.from, seg(1, 3));
      assert.deepEqual(t2.segments, [seg(1, 3), seg(2, 4), seg(2, 5)]);
      assert.equal(t2.runs.length, 1);
      assert.equal(t2.runs[0]!.backup, B1);
      assert.deepEqual(t2.holes, []);
      // Its own archive facts stay its own.
      assert.equal(t2.archivedSegments, 2);
      assert.equal(t2.firstArchived, seg(2, 4));
    });

    it('leaves timeline 1 its own path past the branch, and names where timeline 2 left it with the segments to read', () => {
      const t1 = scopeOf(scopes, 1);
      assert.deepEqual(t1.segments, segs(1, 3, 4, 5));
      assert.deepEqual(t1.path.ancestors, []);
      assert.deepEqual(t1.branchesOff, [{ timeline: 2, switchLsn: '0/40002B8', segmentsAfter: segs(1, 4, 5) }]);
      assert.deepEqual(scopeOf(scopes, 2).branchesOff, []);
    });
  });

  describe('a switch inside a segment', () => {
    it("is a hole on timeline 2's path when only timeline 1's copy of that segment is archived (PostgreSQL would replay the abandoned WAL from it)", () => {
      const t2 = scopeOf(timelineScopes([B1], [...segs(1, 3, 4, 5), ...segs(2, 5, 6)], [H2]), 2);
      assert.deepEqual(t2.segments, [seg(1, 3), seg(2, 5), seg(2, 6)]);
      assert.equal(t2.holes.length, 1);
      assert.equal(t2.holes[0]!.firstMissing, seg(2, 4));
      assert.equal(t2.holes[0]!.after, seg(1, 3));
      assert.equal(t2.holes[0]!.resumesAt, seg(2, 5));
      assert.equal(t2.runs[0]!.backup, B1);
      assert.equal(t2.runs[1]!.backup, null);
      const verdict = recoverableWindows(t2, [commit('2026-12-01T04:48:50.000000Z', seg(1, 3)), { commit: null, segment: null }]);
      assert.deepEqual(
        verdict.windows.map((w) => [w.fromBackup, w.to]),
        [[B1.backupId, '2026-12-01T04:48:50.000000Z']],
      );
      assert.ok(verdict.notes.some((n) => n.startsWith(`WAL ${seg(2, 4)} is missing (after ${seg(1, 3)})`)), verdict.notes.join('\n'));
    });

    it("says so when the path ends before the child's first segment (only the parent's copy archived)", () => {
      const t2 = scopeOf(timelineScopes([B1], segs(1, 3, 4, 5), [H2]), 2);
      assert.deepEqual(t2.segments, [seg(1, 3)]);
      assert.deepEqual(t2.holes, []);
      const verdict = recoverableWindows(t2, [commit('2026-12-01T04:48:50.000000Z', seg(1, 3))]);
      assert.ok(
        verdict.notes.includes(
          `no WAL of timeline 2 is archived from ${seg(2, 4)} on, where it branched off: nothing timeline 2 wrote can be restored, and its window ends on timeline 1`,
        ),
        verdict.notes.join('\n'),
      );
    });

    it('a backup on timeline 1 that begins and ends in the segment holding the switch, before it, reaches timeline 2 through timeline 2\'s copy', () => {
      const early = backup('20261201T050000', 1, '0/4000028', '0/4000100', '2026-12-01T05:00:00.000000Z');
      const t2 = scopeOf(timelineScopes([early], [...segs(1, 4, 5), ...segs(2, 4, 5)], [H2]), 2);
      assert.equal(t2.from, seg(2, 4));
      assert.deepEqual(t2.segments, segs(2, 4, 5));
      assert.equal(t2.runs[0]!.backup, early);
    });

    it('a switch at a segment boundary reads that whole segment from the new timeline', () => {
      const path = timelinePath(2, history(2, [1, '0/5000000']), MiB16);
      assert.deepEqual(path.spans, [
        { timeline: 1, fromIndex: 0, toIndex: 4 },
        { timeline: 2, fromIndex: 5, toIndex: null },
      ]);
    });
  });

  describe('three timelines, 1 → 2 → 3', () => {
    const H3 = history(3, [1, '0/40002B8'], [2, '0/6000100']);
    const onTwo = backup('20261201T060000', 2, '0/5000028', '0/5000200', '2026-12-01T06:00:00.000000Z');
    const lateOnTwo = backup('20261201T070000', 2, '0/7000028', '0/7000200', '2026-12-01T07:00:00.000000Z');
    const names = [...segs(1, 3, 4, 5), ...segs(2, 4, 5, 6, 7), ...segs(3, 6, 7, 8)];
    const scopes = timelineScopes([lateOnTwo, onTwo, B1], names, [H2, H3]);

    it('reaches timeline 3 from the backups on timelines 1 and 2 made before each switch, the earliest end first', () => {
      const t3 = scopeOf(scopes, 3);
      assert.deepEqual(t3.path.ancestors, [
        { timeline: 1, switchLsn: '0/40002B8' },
        { timeline: 2, switchLsn: '0/6000100' },
      ]);
      assert.equal(t3.oldestBackup, B1);
      assert.deepEqual(t3.segments, [seg(1, 3), seg(2, 4), seg(2, 5), seg(3, 6), seg(3, 7), seg(3, 8)]);
      assert.equal(t3.runs[0]!.backup, B1);
    });

    it('does not count the timeline-2 backup made after timeline 3 branched off, and says why', () => {
      const t3 = scopeOf(scopes, 3);
      assert.deepEqual(
        t3.unreaching.map((u) => u.backupId),
        [lateOnTwo.backupId],
      );
      assert.match(t3.unreaching[0]!.reason, /and begins at 0\/7000028, at or after timeline 3 branched off it at 0\/6000100: it cannot reach timeline 3/);
      // On timeline 2 itself it counts.
      assert.equal(scopeOf(scopes, 2).unreaching.length, 0);
      assert.deepEqual(
        scopeOf(scopes, 2).runs.map((r) => r.backup?.backupId),
        [B1.backupId],
      );
    });

    it('marks each parent with its own child only', () => {
      assert.deepEqual(
        scopeOf(scopes, 1).branchesOff.map((b) => [b.timeline, b.switchLsn]),
        [[2, '0/40002B8']],
      );
      assert.deepEqual(
        scopeOf(scopes, 2).branchesOff.map((b) => [b.timeline, b.switchLsn, b.segmentsAfter]),
        [[3, '0/6000100', segs(2, 6, 7)]],
      );
      assert.deepEqual(branchesOff([H3, H2]), [
        { parentTimeline: 1, timeline: 2, switchLsn: '0/40002B8' },
        { parentTimeline: 2, timeline: 3, switchLsn: '0/6000100' },
      ]);
      assert.equal(descendsFrom(3, 2, [H2, H3]), true);
      assert.equal(descendsFrom(3, 3, [H2, H3]), true);
      assert.equal(descendsFrom(2, 3, [H2, H3]), false);
    });
  });

  describe('a child that branched before the only backup started', () => {
    const late = backup('20261201T080000', 1, '0/6000028', '0/6000100', '2026-12-01T08:00:00.000000Z');
    const scopes = timelineScopes([late], [...segs(1, 3, 4, 5, 6, 7), ...segs(2, 4, 5)], [H2]);

    it('has no window on the child, and names the backup and the switch', () => {
      const t2 = scopeOf(scopes, 2);
      assert.equal(t2.oldestBackup, null);
      const verdict = recoverableWindows(t2, [commit('2026-12-01T04:49:09.000000Z', seg(2, 5))]);
      assert.deepEqual(verdict.windows, []);
      assert.ok(verdict.notes.some((n) => n.includes(`backup ${late.backupId} is on timeline 1 and begins at 0/6000028, at or after timeline 2 branched off it at 0/40002B8`)), verdict.notes.join('\n'));
      assert.ok(verdict.notes.some((n) => n.startsWith('no completed backup on timeline 2, nor one on timeline 1 ending before 0/40002B8')), verdict.notes.join('\n'));
    });

    it('still has the window on the parent', () => {
      const t1 = scopeOf(scopes, 1);
      assert.equal(t1.oldestBackup, late);
      assert.deepEqual(t1.segments, segs(1, 6, 7));
      // The parent's WAL after the switch is read from the switch segment on, even before its backup.
      assert.deepEqual(t1.branchesOff[0]!.segmentsAfter, segs(1, 4, 5, 6, 7));
    });

    it('does not count a backup that began before the switch but ended after it', () => {
      const straddling = backup('20261201T044000', 1, '0/4000028', '0/5000100', '2026-12-01T04:49:00.000000Z');
      const t2 = scopeOf(timelineScopes([straddling], [...segs(1, 4, 5), ...segs(2, 4, 5)], [H2]), 2);
      assert.equal(t2.oldestBackup, null);
      assert.match(t2.unreaching[0]!.reason, /ends at 0\/5000100, after timeline 2 branched off it at 0\/40002B8: replay on timeline 2 never reaches its end/);
    });
  });

  describe('a backup on the child timeline itself', () => {
    it('starts a window of its own, and the parent backup that ends first starts the earlier one', () => {
      const onTwo = backup('20261201T050000', 2, '0/5000028', '0/5000100', '2026-12-01T05:00:00.000000Z');
      const t2only = scopeOf(timelineScopes([onTwo], [...segs(1, 1, 2), ...segs(2, 5, 6)], [H2]), 2);
      assert.equal(t2only.oldestBackup, onTwo);
      assert.equal(t2only.from, seg(2, 5));
      assert.deepEqual(t2only.segments, segs(2, 5, 6));
      const verdict = recoverableWindows(t2only, [commit('2026-12-01T05:10:00.000000Z', seg(2, 6))]);
      assert.deepEqual(
        verdict.windows.map((w) => [w.fromBackup, w.fromTimeline]),
        [[onTwo.backupId, 2]],
      );

      const both = scopeOf(timelineScopes([onTwo, B1], [...segs(1, 3, 4), ...segs(2, 4, 5, 6)], [H2]), 2);
      assert.equal(both.oldestBackup, B1);
      assert.equal(both.runs[0]!.backup, B1);
    });
  });

  describe('a timeline without its history file', () => {
    it('is shown on its own, with a note that no earlier backup can reach it', () => {
      const t2 = scopeOf(timelineScopes([B1], [...segs(1, 3, 4), ...segs(2, 4, 5)], []), 2);
      assert.equal(t2.oldestBackup, null);
      assert.deepEqual(t2.segments, segs(2, 4, 5));
      const verdict = recoverableWindows(t2, [commit('2026-12-01T04:49:09.000000Z', seg(2, 5))]);
      assert.ok(verdict.notes.includes('the archive holds no usable 00000002.history, so no backup on an earlier timeline can reach timeline 2'), verdict.notes.join('\n'));
      assert.ok(verdict.notes.includes('no completed backup on timeline 2: nothing on it can be restored from this bucket alone'));
    });

    it('treats a history file that lists a later timeline as an ancestor as unusable', () => {
      const path = timelinePath(2, history(2, [3, '0/40002B8']), MiB16);
      assert.deepEqual(path.ancestors, []);
      assert.match(path.unknownAncestry ?? '', /^00000002.history cannot be used \(timeline history of timeline 2 lists timeline 3 out of order/);
    });

    it('a history file alone (nothing archived on its timeline yet) still gets a scope', () => {
      const t2 = scopeOf(timelineScopes([B1], segs(1, 3, 4), [H2]), 2);
      assert.equal(t2.archivedSegments, 0);
      assert.deepEqual(t2.segments, [seg(1, 3)]);
    });
  });

  describe('abandonmentMessage', () => {
    const base: Abandonment = {
      parentTimeline: 1,
      timeline: 2,
      switchLsn: '0/40002B8',
      firstCommitAfter: { time: '2026-12-01T04:48:53.873340Z' as UtcMicros, lsn: '0/40002B8', segment: seg(1, 4) },
      unread: null,
      newestTimeline: 2,
      newestDescends: true,
    };

    it('names the switch, the first abandoned commit, the default and --target-tli', () => {
      assert.equal(
        abandonmentMessage(base),
        'abandoned at 0/40002B8 by timeline 2: commits timeline 1 wrote from 2026-12-01 04:48:53.873340+00:00 on (the first after the switch, at 0/40002B8 in 000000010000000000000004) ' +
          "are not in timeline 2's history; a restore to a later time follows timeline 2 by default (recovery_target_timeline = latest): pass --target-tli 1 to restore them",
      );
    });

    it('says nothing is left out when the parent wrote no commit after the switch', () => {
      assert.equal(
        abandonmentMessage({ ...base, firstCommitAfter: null }),
        'abandoned at 0/40002B8 by timeline 2: timeline 1 has no archived commit after the switch, so following timeline 2 leaves out none of its archived commits',
      );
    });

    it('says so when the WAL was not read, and when the newest timeline is on another branch', () => {
      assert.match(abandonmentMessage({ ...base, firstCommitAfter: null, unread: 'no version' }), /from that LSN on is not in timeline 2's history \(not read: no version\);.*--target-tli 1/);
      assert.match(
        abandonmentMessage({ ...base, newestTimeline: 4, newestDescends: false }),
        /by default \(recovery_target_timeline = latest\) a restore tries the newest timeline, 4, which does not descend from timeline 2: pass --target-tli 1/,
      );
    });
  });
});
