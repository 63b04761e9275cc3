import assert from 'node:assert/strict';
import { ambiguousTimelineMessage, branchesBeforeStop, timelinesBranchedFrom, type TimelineHistoryOf } from '../../../src/core/timeline-branches';
import { parseTimelineHistory } from '../../../src/core/timeline-history';

const history = (timeline: number, text: string): TimelineHistoryOf => ({ timeline, switches: parseTimelineHistory(text) });

describe('core/timeline-branches', () => {
  describe('timelinesBranchedFrom', () => {
    it('finds a promoted copy of the backup timeline, with the LSN where it left it (the failover fixture)', () => {
      const histories = [history(2, '1\t0/40002F0\tbefore 2026-12-01 04:32:17.841728+00\n')];
      assert.deepEqual(timelinesBranchedFrom(1, '0/3000028', histories), [{ timeline: 2, switchLsn: '0/40002F0' }]);
    });

    it('names, for a grandchild, where its path left the backup timeline, not its own parent switch', () => {
      const histories = [history(3, '1\t0/5000000\tno recovery target specified\n2\t0/9000000\tno recovery target specified\n'), history(2, '1\t0/5000000\tx\n')];
      assert.deepEqual(timelinesBranchedFrom(1, '0/3000028', histories), [
        { timeline: 2, switchLsn: '0/5000000' },
        { timeline: 3, switchLsn: '0/5000000' },
      ]);
      // From a backup on timeline 2, only timeline 3 descends, from 0/9000000.
      assert.deepEqual(timelinesBranchedFrom(2, '0/6000028', histories), [{ timeline: 3, switchLsn: '0/9000000' }]);
    });

    it('leaves out timelines that are not later, that branched off another timeline, or that left before the backup started', () => {
      const histories = [
        history(1, ''),
        history(2, '1\t0/2000000\tleft before the backup\n'),
        history(3, '1\t0/2000000\tx\n2\t0/8000000\ty\n'), // a child of timeline 2: not on timeline 1's path after the backup
        history(4, '1\t0/3000028\tat the backup start exactly\n'),
      ];
      assert.deepEqual(timelinesBranchedFrom(1, '0/3000028', histories), [{ timeline: 4, switchLsn: '0/3000028' }]);
      assert.deepEqual(timelinesBranchedFrom(4, '0/3000028', histories), []);
    });
  });

  describe('branchesBeforeStop', () => {
    const branches = [
      { timeline: 2, switchLsn: '0/40002F0' },
      { timeline: 3, switchLsn: '1/00000010' },
    ];

    it('keeps a branch whose switch comes before the stop record, and one at the stop record itself', () => {
      assert.deepEqual(branchesBeforeStop(branches, '0/4000380'), [branches[0]]);
      assert.deepEqual(branchesBeforeStop(branches, '0/40002F0'), [branches[0]]);
      assert.deepEqual(branchesBeforeStop(branches, '2/0'), branches);
    });

    it('drops a branch whose switch comes after the stop: both timelines hold the same WAL up to there', () => {
      assert.deepEqual(branchesBeforeStop(branches, '0/40002E8'), []);
      assert.deepEqual(branchesBeforeStop(branches, '0/FFFFFFFF'), [branches[0]]); // compares LSNs as numbers across the log boundary
    });
  });

  describe('ambiguousTimelineMessage', () => {
    it('names the backup timeline, each newer timeline with its switch, what latest would do, and --target-tli', () => {
      const message = ambiguousTimelineMessage({
        target: 'target 2026-12-01T04:32:56.670890Z',
        backupId: '20261201T043147',
        backupTimeline: 1,
        stop: 'the first commit after it, at 0/50000A0',
        branches: [
          { timeline: 3, switchLsn: '0/4800000' },
          { timeline: 2, switchLsn: '0/40002F0' },
        ],
        newestTimeline: 3,
      });
      assert.equal(
        message,
        'target 2026-12-01T04:32:56.670890Z is ambiguous: backup 20261201T043147 is on timeline 1, but the archive\'s timeline history shows ' +
          'timeline 3 (switched at 0/4800000), timeline 2 (switched at 0/40002F0) branched off timeline 1 before replay reaches the target ' +
          '(the first commit after it, at 0/50000A0 on timeline 1). PostgreSQL\'s own default (recovery_target_timeline = latest) would follow ' +
          'the newest timeline, 3, where what timeline 1 wrote after 0/40002F0 is not part of the history; following a timeline switch is not ' +
          'supported yet, so nothing was restored. To restore timeline 1 as it was, with what it wrote after the switch, pass --target-tli 1',
      );
    });
  });
});
