// Verify proves where replay stopped (issue 11, item 5), on the real stack. The c319-tblspc-15 fixture's source
// raised max_connections (ALTER SYSTEM, restart) after its only backup, then committed after-raise-1 and -2
// (scripts/make-fixture.sh --shape tablespace; the json's parameterRaise). The restored configuration keeps the
// backup's lower value, so replay meets the source's parameter-change record before a target after after-raise-1
// and pauses there: xlogrecovery.c RecoveryRequiresIntParameter, "hot standby is not possible because of
// insufficient parameter settings", then "recovery has paused" (verify's PostgreSQL runs with hot_standby on,
// which is what makes it a pause and not a FATAL). Before this check, verify took that pause for the target
// and reported the restore a success, short of the target by after-raise-1.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { parseLsn } from '../../src/core/wal-names';
import type { RestoreResult } from '../../src/shared';
import { between, loadFixture, marker, type Fixture } from '../support/fixture';
import { holdFixtureLock } from '../support/fixture-lock';
import { openRestoreHarness, type RestoreHarness } from '../support/restore-harness';
import { queryRestoredMarkers } from '../support/restored-cluster';

const SERVER = 'c319-tblspc-15';

describe('verify proves where replay stopped: a pause short of the target is a failure', function () {
  this.timeout(600_000);
  let harness: RestoreHarness;
  let fixture: Fixture;
  let lock: ChildProcess | undefined;

  before(async () => {
    lock = await holdFixtureLock();
    fixture = loadFixture(SERVER);
    assert.ok(fixture.parameterRaise, `${SERVER}.json records the parameter raised on the source after the backup`);
    harness = await openRestoreHarness({ server: SERVER });
  });

  after(async () => {
    await harness?.close();
    lock?.stdin?.end();
  });

  it('fails a restore past the raise as RecoveryStoppedShort, quoting "insufficient parameter settings" and the planned stop', async () => {
    const raise = fixture.parameterRaise!;
    const target = between(marker(fixture, raise.beforeMarker), marker(fixture, 'after-raise-2'));
    const { type, message } = await harness.expectFailure(harness.inputFor(target));
    console.log(`      refusal: ${type}: ${message}`);
    assert.equal(type, 'RecoveryStoppedShort', message);
    for (const part of [
      'PostgreSQL paused replay at ',
      `(XLOG/PARAMETER_CHANGE) before reaching ${target}, because a setting of the restored configuration is lower than on the source`,
      'hot standby is not possible because of insufficient parameter settings',
      `${raise.setting} = ${raise.from} is a lower setting than on the primary server, where its value was ${raise.to}`,
      'the plan expected replay to stop before the commit at ',
      `the first commit after the target ${target}`,
      'postgresql.auto.conf',
    ]) {
      assert.ok(message.includes(part), `the message names "${part}": ${message}`);
    }
  });

  it('proves a stop before the raise: before the first commit after the target, on timeline 1, at or before the planned LSN', async () => {
    const raise = fixture.parameterRaise!;
    const target = between(marker(fixture, 'after-b1-2'), marker(fixture, raise.afterMarker));
    const result: RestoreResult = await (await harness.start(harness.inputFor(target))).result();
    const { stoppedAt } = result.verify;
    assert.ok(stoppedAt, 'the result says where replay stopped');
    assert.match(stoppedAt.description, new RegExp(`^before commit of transaction \\d+ \\(${result.plan.firstCommitAfterTarget!.replace(/\./g, '\\.')}\\)$`));
    assert.equal(stoppedAt.timeline, 1);
    assert.equal(result.verify.timeline, 1);
    assert.ok(stoppedAt.lsn !== null && parseLsn(stoppedAt.lsn) <= parseLsn(result.plan.stopLsn), `replay at ${stoppedAt.lsn}, the planned stop at ${result.plan.stopLsn}`);
    assert.deepEqual(await queryRestoredMarkers(result.destination, result.plan.pgVersion), ['after-b1-1', 'after-b1-2', 'before-b1-1']);
  });
});

describe('verify reports the timeline replay stopped on (c319-failover-15: timeline 2 branched off timeline 1)', function () {
  this.timeout(600_000);
  let harness: RestoreHarness;
  let fixture: Fixture;
  let lock: ChildProcess | undefined;

  before(async () => {
    lock = await holdFixtureLock();
    fixture = loadFixture('c319-failover-15');
    harness = await openRestoreHarness({ server: fixture.server });
  });

  after(async () => {
    await harness?.close();
    lock?.stdin?.end();
  });

  it('a target on timeline 2 from the timeline-1 backup stops in timeline-2 WAL, and pausing keeps the cluster there', async () => {
    const target = between(marker(fixture, 'tl2-1'), marker(fixture, 'tl2-2'));
    const result: RestoreResult = await (await harness.start(harness.inputFor(target))).result();
    assert.equal(result.plan.timeline, 1, 'the backup is on timeline 1');
    assert.equal(result.plan.targetTimeline, 2);
    assert.equal(result.verify.stoppedAt?.timeline, 2, JSON.stringify(result.verify));
    assert.equal(result.verify.timeline, 2);
    assert.match(result.verify.stoppedAt?.description ?? '', /^before commit of transaction \d+ \(/);
  });

  it('promoted at a timeline-1 target with --target-tli 1: replay stopped on timeline 1, the cluster is on the new timeline', async () => {
    const target = between(marker(fixture, 'after-b1-2'), marker(fixture, 'after-b1-3'));
    const result: RestoreResult = await (await harness.start(harness.inputFor(target, undefined, { targetTimeline: 1, targetAction: 'promote' }))).result();
    assert.equal(result.verify.state, 'promoted');
    assert.equal(result.verify.stoppedAt?.timeline, 1, JSON.stringify(result.verify));
    // The next timeline PostgreSQL finds free among the history files it can restore (every one is staged, so 3
    // here; timeline-failover.test.ts asserts the number).
    assert.ok(result.verify.timeline > 1, JSON.stringify(result.verify));
  });
});

describe('verify proves the stop on PostgreSQL 17 too (c319-gz-lz4-17)', function () {
  this.timeout(600_000);
  let harness: RestoreHarness;
  let fixture: Fixture;
  let lock: ChildProcess | undefined;

  before(async () => {
    lock = await holdFixtureLock();
    fixture = loadFixture('c319-gz-lz4-17');
    assert.equal(fixture.pgMajor, 17);
    harness = await openRestoreHarness({ server: fixture.server });
  });

  after(async () => {
    await harness?.close();
    lock?.stdin?.end();
  });

  it('a transaction id target: paused after its commit, replay past the planned record', async () => {
    const target = fixture.markers[2]!;
    const result: RestoreResult = await (await harness.start(harness.inputFor('', undefined, { target: { kind: 'xid', xid: target.xid! }, backupId: fixture.backups[0]!.id }))).result();
    const { stoppedAt } = result.verify;
    assert.match(stoppedAt?.description ?? '', new RegExp(`^after commit of transaction ${target.xid} \\(`), JSON.stringify(result.verify));
    assert.ok(stoppedAt?.lsn && parseLsn(stoppedAt.lsn) > parseLsn(result.plan.stopLsn), `replay at ${stoppedAt?.lsn}, the transaction's end record at ${result.plan.stopLsn}`);
  });

  it('immediate with --target-action shutdown: the stop is proven from the log alone (nothing to ask a stopped server)', async () => {
    const result: RestoreResult = await (await harness.start(harness.inputFor('', undefined, { target: { kind: 'immediate' }, targetAction: 'shutdown' }))).result();
    assert.equal(result.verify.state, 'shutdown');
    assert.deepEqual(result.verify.stoppedAt, { lsn: null, timeline: 1, description: 'after reaching consistency' });
  });
});
