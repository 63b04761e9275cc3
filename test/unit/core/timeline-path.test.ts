import assert from 'node:assert/strict';
import type { TimelineHistoryOf } from '../../../src/core/timeline-branches';
import { parseTimelineHistory } from '../../../src/core/timeline-history';
import {
  abandonedHistories,
  backupsOnPath,
  describeAbandoned,
  offPathReason,
  pathSpans,
  resolveTimelinePath,
  TimelinePathError,
  type TimelinePath,
} from '../../../src/core/timeline-path';
import { walChainFrom } from '../../../src/core/wal-plan';
import { segmentFromIndex } from '../../../src/core/wal-names';

const SEG = 16 * 1024 * 1024;
const history = (timeline: number, text: string): TimelineHistoryOf => ({ timeline, switches: parseTimelineHistory(text) });
/** The failover fixture: timeline 2 left timeline 1 inside segment 4. */
const TL2 = history(2, '1\t0/40002F0\tbefore 2026-12-01 04:32:17.841728+00\n');
/** Timeline 3 left timeline 2 inside segment 6; its history lists both ancestors. */
const TL3 = history(3, '1\t0/40002F0\tbefore 2026-12-01 04:32:17.841728+00\n2\t0/6000A00\tno recovery target specified\n');
/** Timeline 4 left timeline 1 at 0/5000100, after timeline 2 had branched off it (a sibling of 2). */
const TL4 = history(4, '1\t0/5000100\tno recovery target specified\n');

const backup = (backupId: string, timeline: number, beginXlog: string, endXlog: string) => ({ backupId, timeline, beginXlog, endXlog, beginWal: null, endWal: null, segmentSize: SEG });
const seg = (timeline: number, index: number) => ({ name: segmentFromIndex(timeline, index, SEG), key: `k/${timeline}/${index}`, size: SEG, lastModified: null });

describe('core/timeline-path', () => {
  describe('resolveTimelinePath', () => {
    it('latest is the highest timeline with a history file, with its ancestry', () => {
      assert.deepEqual(resolveTimelinePath('latest', [TL2, TL3]), { timeline: 3, switches: TL3.switches });
      assert.deepEqual(resolveTimelinePath('latest', []), { timeline: 1, switches: [] });
    });

    it('a number is that timeline; timeline 1 needs no history file', () => {
      assert.deepEqual(resolveTimelinePath(2, [TL2, TL3]), { timeline: 2, switches: TL2.switches });
      assert.deepEqual(resolveTimelinePath(1, [TL2]), { timeline: 1, switches: [] });
    });

    it('current waits for the backup (null)', () => {
      assert.equal(resolveTimelinePath('current', [TL2]), null);
    });

    it('refuses a timeline without a history file, naming those the archive holds', () => {
      assert.throws(() => resolveTimelinePath(5, [TL2, TL3]), (err: unknown) => {
        assert.ok(err instanceof TimelinePathError);
        assert.match(err.message, /timeline 5 has no history file \(00000005\.history\).*timelines 2, 3.*latest \(3\)/);
        return true;
      });
    });
  });

  describe('backups on the path', () => {
    const path3: TimelinePath = { timeline: 3, switches: TL3.switches };

    it('takes a backup on an ancestor that ends before the path leaves it, and on the target timeline itself', () => {
      assert.equal(offPathReason(backup('b1', 1, '0/2000028', '0/2000138'), path3, SEG), null);
      assert.equal(offPathReason(backup('b2', 2, '0/5000028', '0/5000138'), path3, SEG), null);
      assert.equal(offPathReason(backup('b3', 3, '0/7000028', '0/7000138'), path3, SEG), null);
    });

    it('leaves out a backup that ends after the path left its timeline, and one on a sibling timeline, saying why', () => {
      const { onPath, offPath } = backupsOnPath([backup('late1', 1, '0/4800028', '0/4800138'), backup('sib', 4, '0/6000028', '0/6000138'), backup('ok', 1, '0/2000028', '0/2000138')], path3);
      assert.deepEqual(onPath.map((b) => b.backupId), ['ok']);
      assert.deepEqual(offPath.map((b) => b.backupId), ['late1', 'sib']);
      assert.match(offPath[0]!.why, /begins at 0\/4800028, at or after timeline 2 branched off it at 0\/40002F0/);
      assert.match(offPath[1]!.why, /on timeline 4, which is not on the history of timeline 3 \(timeline 1 until 0\/40002F0, timeline 2 until 0\/6000A00, then timeline 3\)/);
    });

    it('leaves out a backup that begins before the switch but ends after it: replay on the new timeline never reaches its end', () => {
      assert.match(offPathReason(backup('straddle', 1, '0/4000028', '0/4000400'), { timeline: 2, switches: TL2.switches }, SEG)!, /ends at 0\/4000400, after timeline 2 branched off it at 0\/40002F0: replay on timeline 2 never reaches its end/);
    });

    it('a backup that starts in the segment where its timeline ended is on the path when it ends before the switch', () => {
      assert.equal(offPathReason(backup('edge', 1, '0/4000028', '0/40002F0'), { timeline: 2, switches: TL2.switches }, SEG), null);
    });
  });

  describe('pathSpans with walChainFrom', () => {
    it('reads each position from the timeline the path assigns: the switch segment from the new timeline', () => {
      const archive = [1, 2, 3, 4, 5, 6].map((i) => seg(1, i)).concat([4, 5, 6, 7].map((i) => seg(2, i)), [6, 7, 8].map((i) => seg(3, i)));
      const { chain } = walChainFrom(archive, segmentFromIndex(1, 2, SEG), SEG, pathSpans({ timeline: 3, switches: TL3.switches }, SEG));
      assert.deepEqual(
        chain.map((s) => s.name),
        ['000000010000000000000002', '000000010000000000000003', '000000020000000000000004', '000000020000000000000005', '000000030000000000000006', '000000030000000000000007', '000000030000000000000008'],
      );
    });

    it('stops at a hole on the path, never filling it from another timeline', () => {
      const archive = [seg(1, 2), seg(1, 3), seg(1, 4), seg(1, 5), seg(2, 5)];
      const { chain, missing } = walChainFrom(archive, segmentFromIndex(1, 2, SEG), SEG, pathSpans({ timeline: 2, switches: TL2.switches }, SEG));
      assert.deepEqual(chain.map((s) => s.name), ['000000010000000000000002', '000000010000000000000003']);
      assert.equal(missing, '000000020000000000000004');
    });
  });

  describe('abandonedHistories', () => {
    const always = () => true;

    it('following timeline 2 past its switch leaves timeline 1 behind from the switch', () => {
      const found = abandonedHistories({ timeline: 2, switches: TL2.switches }, [TL2], '0/3000028', '0/5000120', always);
      assert.deepEqual(found, [{ kind: 'left', timeline: 1, otherTimeline: 2, switchLsn: '0/40002F0' }]);
      assert.match(describeAbandoned(found[0]!, '2026-12-01T04:48:53.873101Z'), /what timeline 1 wrote after 0\/40002F0 \(its first commit after the switch is at 2026-12-01T04:48:53\.873101Z\) is not restored.*--target-tli 1/);
    });

    it('staying on timeline 1 past the switch does not follow timeline 2, and says so', () => {
      const found = abandonedHistories({ timeline: 1, switches: [] }, [TL2], '0/3000028', '0/5000120', always);
      assert.deepEqual(found, [{ kind: 'not-followed', timeline: 2, otherTimeline: 1, switchLsn: '0/40002F0' }]);
      assert.match(describeAbandoned(found[0]!, null), /timeline 2 branched off timeline 1 at 0\/40002F0 and is not followed.*--target-tli 2/);
    });

    it('a stop before the switch abandons nothing: the histories have not parted yet', () => {
      assert.deepEqual(abandonedHistories({ timeline: 2, switches: TL2.switches }, [TL2], '0/3000028', '0/40002E8', always), []);
      assert.deepEqual(abandonedHistories({ timeline: 1, switches: [] }, [TL2], '0/3000028', '0/40002E8', always), []);
    });

    it('a parent that wrote nothing after the switch abandoned nothing', () => {
      assert.deepEqual(abandonedHistories({ timeline: 2, switches: TL2.switches }, [TL2], '0/3000028', '0/5000120', () => false), []);
    });

    it('three timelines: both switches are reported, and a sibling branching off timeline 1 before the stop', () => {
      const found = abandonedHistories({ timeline: 3, switches: TL3.switches }, [TL2, TL3, TL4], '0/2000028', '0/7000000', always);
      assert.deepEqual(found, [
        { kind: 'left', timeline: 1, otherTimeline: 2, switchLsn: '0/40002F0' },
        { kind: 'left', timeline: 2, otherTimeline: 3, switchLsn: '0/6000A00' },
      ], 'timeline 4 left timeline 1 after the path had moved on to 2: it is part of what timeline 1 wrote later, not a branch of the path');
      const onOne = abandonedHistories({ timeline: 1, switches: [] }, [TL2, TL3, TL4], '0/2000028', '0/7000000', always);
      assert.deepEqual(onOne.map((a) => [a.kind, a.timeline, a.switchLsn]), [['not-followed', 2, '0/40002F0'], ['not-followed', 4, '0/5000100']],
        'timeline 3 branched off timeline 2, not off the path: following 2 is what is not followed');
    });

    it('a switch before the backup began is history the backup already holds', () => {
      assert.deepEqual(abandonedHistories({ timeline: 2, switches: TL2.switches }, [TL2], '0/5000028', '0/6000000', always), []);
    });
  });
});
