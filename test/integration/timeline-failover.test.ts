// Timelines after a failover (issue 11), on the real stack: the c319-failover-15 fixture holds one backup on
// timeline 1 and, in the same server folder, timeline 2 of a point-in-time copy promoted between after-b1-1 and
// after-b1-2 (scripts/make-fixture.sh --shape failover); timeline 1 went on writing after the branch
// (after-b1-2..4). A target after the branch exists on both timelines: like PostgreSQL (recovery_target_timeline
// = latest) the restore follows timeline 2 from the timeline-1 backup and says what timeline 1 wrote after the
// switch is not restored; --target-tli 1 restores timeline 1's history instead, and says timeline 2 is not followed.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { UtcMicros } from '../../src/core/timestamp';
import type { RestoreResult } from '../../src/shared';
import { between, loadFixture, marker, utc, type Fixture } from '../support/fixture';
import { openRestoreHarness, type RestoreHarness } from '../support/restore-harness';
import { queryRestoredMarkers } from '../support/restored-cluster';
import { REPO_ROOT } from '../support/stack-env';

const SERVER = 'c319-failover-15';

describe('timelines after a failover: the restore follows the history PostgreSQL would, and says what it leaves out', function () {
  this.timeout(600_000);
  let harness: RestoreHarness;
  let fixture: Fixture;

  before(async () => {
    fixture = loadFixture(SERVER);
    assert.equal(fixture.shape, 'failover', `${SERVER} is the failover fixture`);
    assert.ok(fixture.branch, `${SERVER}.json records the branch`);
    harness = await openRestoreHarness({ server: SERVER });
  });

  after(async () => {
    await harness?.close();
  });

  /** A time between tl2-1 and tl2-2: after the branch, so both timelines hold a history up to it. */
  const afterBranch = (): UtcMicros => between(marker(fixture, 'tl2-1'), marker(fixture, 'tl2-2'));
  const onTimeline2 = () => ['after-b1-1', 'before-b1-1', 'tl2-1'];
  const onTimeline1 = () => ['after-b1-1', 'after-b1-2', 'after-b1-3', 'before-b1-1'];

  it('by default restores a timeline-2 target from the timeline-1 backup, without the rows timeline 1 wrote after the switch', async () => {
    const result: RestoreResult = await (await harness.start(harness.inputFor(afterBranch()))).result();
    assert.equal(result.plan.timeline, 1, 'the only backup is on timeline 1');
    assert.equal(result.plan.targetTimeline, 2);
    assert.deepEqual(result.plan.timelineSwitches.map((s) => [s.parentTimeline, s.switchLsn]), [[1, fixture.branch!.switchLsn]]);
    assert.equal(result.plan.historyFiles, 1, '00000002.history is staged');
    assert.match(result.plan.endWal, /^00000002/, 'the WAL after the switch comes from timeline 2');
    assert.equal(result.verify.timeline, 2);
    assert.deepEqual(await queryRestoredMarkers(result.destination, result.plan.pgVersion), onTimeline2());
    const [abandoned, ...more] = result.plan.abandoned ?? [];
    assert.deepEqual(more, []);
    assert.equal(abandoned?.kind, 'left');
    assert.equal(abandoned?.timeline, 1);
    assert.equal(abandoned?.switchLsn, fixture.branch!.switchLsn);
    // Timeline 1's first commit after the switch is after-b1-2's (or an earlier background one, never before after-b1-1's).
    const first = abandoned!.firstCommitAfter!;
    assert.ok(first > marker(fixture, 'after-b1-1').committedAt && first < marker(fixture, 'after-b1-3').committedAt, `timeline 1's first commit after the switch: ${first}`);
    assert.ok(abandoned!.note.includes('pass --target-tli 1'), abandoned!.note);
  });

  it('with --target-tli 1 restores the same target on timeline 1, the rows timeline 2 abandoned included, and says timeline 2 is not followed', async () => {
    const result: RestoreResult = await (await harness.start(harness.inputFor(afterBranch(), undefined, { targetTimeline: 1 }))).result();
    assert.equal(result.plan.targetTimeline, 1);
    assert.equal(result.plan.historyFiles, 1, '00000002.history is staged too (for a promotion to choose an unused timeline); Barman is handed timeline 1');
    assert.equal(result.verify.timeline, 1);
    assert.deepEqual(await queryRestoredMarkers(result.destination, result.plan.pgVersion), onTimeline1());
    assert.deepEqual(result.plan.abandoned?.map((a) => [a.kind, a.timeline, a.switchLsn]), [['not-followed', 2, fixture.branch!.switchLsn]]);
    assert.ok(result.plan.abandoned![0]!.note.includes('pass --target-tli 2'), result.plan.abandoned![0]!.note);
  });

  it('promoting a timeline-1 restore starts timeline 3, not 2, which the archive already holds: every history file is staged', async () => {
    const result: RestoreResult = await (await harness.start(harness.inputFor(afterBranch(), undefined, { targetTimeline: 1, targetAction: 'promote' }))).result();
    assert.equal(result.verify.state, 'promoted');
    // PostgreSQL picks the next timeline after the newest history file restore_command finds (findNewestTimeLine):
    // with only the path's staged it took 2, and its archiving would have collided with the failover's timeline 2.
    assert.equal(result.verify.timeline, 3);
    assert.deepEqual(await queryRestoredMarkers(result.destination, result.plan.pgVersion), onTimeline1());
  });

  it('a target in an idle stretch (three segments with WAL but no commit) is found several segments on, and replay stops before after-b1-4', async () => {
    const target = between(marker(fixture, 'tl2-2'), marker(fixture, 'after-b1-4'));
    const result: RestoreResult = await (await harness.start(harness.inputFor(target, undefined, { targetTimeline: 1 }))).result();
    const after4 = marker(fixture, 'after-b1-4').committedAt;
    assert.ok(result.plan.firstCommitAfterTarget! >= after4, `the first commit after the target is after-b1-4's (${after4}), not ${result.plan.firstCommitAfterTarget}`);
    assert.ok(result.plan.lastCommitBeforeTarget! < marker(fixture, 'tl2-1').committedAt, `the last commit before it is timeline 1's, before the idle stretch: ${result.plan.lastCommitBeforeTarget}`);
    // backup segment, the switch segment, after-b1-3's, three idle ones, after-b1-4's
    assert.ok(result.plan.walSegments >= 6, `WAL up to after-b1-4's segment, across the idle stretch: ${result.plan.beginWal}..${result.plan.endWal}`);
    assert.deepEqual(await queryRestoredMarkers(result.destination, result.plan.pgVersion), onTimeline1());
  });

  it('an xid target on timeline 2 (tl2-1) is found by reading WAL along the path, from the timeline-1 backup', async () => {
    const tl2 = marker(fixture, 'tl2-1');
    const input = harness.inputFor('' as UtcMicros, undefined, { target: { kind: 'xid', xid: tl2.xid! }, backupId: fixture.backups[0]!.id });
    const result: RestoreResult = await (await harness.start(input)).result();
    assert.equal(result.plan.targetTimeline, 2);
    assert.equal(result.verify.timeline, 2);
    assert.deepEqual(await queryRestoredMarkers(result.destination, result.plan.pgVersion), onTimeline2());
  });

  it('refuses a timeline the archive has no history file of, naming those it has', async () => {
    const { type, message } = await harness.expectFailure(harness.inputFor(afterBranch(), undefined, { targetTimeline: 3 }));
    assert.equal(type, 'TargetUnreachable', message);
    assert.match(message, /timeline 3 has no history file \(00000003\.history\) in the archive.*timelines 2\b.*latest \(2\)/);
  });

  it('pitr plan shows the timeline followed and what is abandoned, for latest, current and 1', async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'pitr-timeline-plan-'));
    const plan = async (extra: string[]) => {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [join(REPO_ROOT, 'bin', 'pitr.js'), 'plan', '--server', SERVER, '--target-time', afterBranch(), '--dest', join(scratch, 'never'), '--json', '--task-queue', harness.taskQueue, ...extra],
        { env: process.env },
      );
      return JSON.parse(stdout);
    };
    try {
      const latest = await plan([]);
      assert.equal(latest.reachable, true);
      assert.equal(latest.timeline.target, 2);
      assert.deepEqual(latest.timeline.abandoned.map((a: { kind: string; timeline: number }) => [a.kind, a.timeline]), [['left', 1]]);
      for (const tli of ['1', 'current']) {
        const one = await plan(['--target-tli', tli]);
        assert.equal(one.timeline.target, 1, tli);
        assert.deepEqual(one.timeline.abandoned.map((a: { kind: string; timeline: number }) => [a.kind, a.timeline]), [['not-followed', 2]], tli);
      }
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });

  it('restores a target before the switch point with nothing abandoned: the histories had not parted yet', async () => {
    const target = between({ committedAt: utc(fixture.backups[0]!.endTime) }, marker(fixture, 'after-b1-1'));
    const result: RestoreResult = await (await harness.start(harness.inputFor(target))).result();
    assert.equal(result.verify.state, 'paused');
    assert.equal(result.plan.abandoned, undefined);
    assert.deepEqual(await queryRestoredMarkers(result.destination, result.plan.pgVersion), ['before-b1-1']);
  });
});
