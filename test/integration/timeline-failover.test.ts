// Timelines after a failover (issue 11, first safety step), on the real stack: the c319-failover-15 fixture
// holds one backup on timeline 1 and, in the same server folder, timeline 2 of a point-in-time copy promoted
// between after-b1-1 and after-b1-2 (scripts/make-fixture.sh --shape failover). A target after the branch
// exists on both timelines: PostgreSQL's default (recovery_target_timeline = latest) would give timeline 2's
// rows; a restore that silently gives timeline 1's abandoned rows (after-b1-2, -3) is what this suite rules out.
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

describe('timelines after a failover: a target after the branch is never restored on the abandoned timeline silently', function () {
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

  it('refuses a target after the branch without --target-tli, naming both timelines, the switch LSN and --target-tli 1', async () => {
    const { type, message } = await harness.expectFailure(harness.inputFor(afterBranch()));
    console.log(`      refusal: ${type}: ${message}`);
    assert.equal(type, 'TimelineAmbiguous', message);
    const backupId = fixture.backups[0]!.id;
    for (const part of [
      `backup ${backupId} is on timeline 1`,
      `timeline 2 (switched at ${fixture.branch!.switchLsn})`,
      'recovery_target_timeline = latest',
      'would follow the newest timeline, 2',
      'following a timeline switch is not supported yet',
      '--target-tli 1',
    ]) {
      assert.ok(message.includes(part), `the message names "${part}": ${message}`);
    }
  });

  it('refuses an LSN target after the switch the same way (the other targets\' planner)', async () => {
    // Segment 5 of timeline 1 is archived whole and begins after the switch (0/40002F0, in segment 4).
    const input = harness.inputFor('' as UtcMicros, undefined, { target: { kind: 'lsn', lsn: '0/5000000' } });
    const { type, message } = await harness.expectFailure(input);
    assert.equal(type, 'TimelineAmbiguous', message);
    assert.ok(message.startsWith('target LSN 0/5000000 is ambiguous: '), message);
    assert.ok(message.includes(`timeline 2 (switched at ${fixture.branch!.switchLsn})`), message);
    assert.ok(message.includes('(the target LSN itself on timeline 1)'), message);
  });

  it('with --target-tli 1 restores the same target on timeline 1, the rows timeline 2 abandoned included', async () => {
    const result: RestoreResult = await (await harness.start(harness.inputFor(afterBranch(), undefined, { targetTimeline: 1 }))).result();
    assert.equal(result.plan.timeline, 1);
    assert.equal(result.verify.timeline, 1);
    assert.deepEqual(await queryRestoredMarkers(result.destination, result.plan.pgVersion), ['after-b1-1', 'after-b1-2', 'after-b1-3', 'before-b1-1']);
  });

  it('pitr plan shows the same refusal (exit 3, TimelineAmbiguous), and plans timeline 1 with --target-tli 1', async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'pitr-timeline-plan-'));
    const plan = (extra: string[]) =>
      promisify(execFile)(
        process.execPath,
        [join(REPO_ROOT, 'bin', 'pitr.js'), 'plan', '--server', SERVER, '--target-time', afterBranch(), '--dest', join(scratch, 'never'), '--json', ...extra],
        { env: { ...process.env, TMPDIR: scratch } },
      ).then(
        (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
        (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
      );
    try {
      const refused = await plan([]);
      assert.equal(refused.code, 3, refused.stderr + refused.stdout);
      const out = JSON.parse(refused.stdout);
      assert.equal(out.reachable, false);
      assert.equal(out.type, 'TimelineAmbiguous');
      assert.match(out.message, /branched off timeline 1 before replay reaches the target/);
      assert.ok(out.message.includes('--target-tli 1'), out.message);

      const chosen = await plan(['--target-tli', '1']);
      assert.equal(chosen.code, 0, chosen.stderr + chosen.stdout);
      assert.equal(JSON.parse(chosen.stdout).reachable, true);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });

  it('restores a target before the switch point as before: no timeline is ambiguous there', async () => {
    const target = between({ label: 'backup end', committedAt: utc(fixture.backups[0]!.endTime) }, marker(fixture, 'after-b1-1'));
    const result: RestoreResult = await (await harness.start(harness.inputFor(target))).result();
    assert.equal(result.verify.state, 'paused');
    assert.deepEqual(await queryRestoredMarkers(result.destination, result.plan.pgVersion), ['before-b1-1']);
  });
});
