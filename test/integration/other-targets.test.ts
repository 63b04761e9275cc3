// Restores to targets other than a time, on the real stack: an LSN, a named restore point, a
// transaction id, the end of a backup (immediate), and the actions at the target.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseLsn } from '../../src/core/wal-names';
import type { RestoreInput, RestoreResult } from '../../src/shared';
import { labelsUpTo, marker, utc, type Fixture } from '../support/fixture';
import { openRestoreHarness, type RestoreHarness } from '../support/restore-harness';
import { queryRestoredMarkers } from '../support/restored-cluster';
import { REPO_ROOT } from '../support/stack-env';

const run = promisify(execFile);

describe('restores to an LSN, a restore point, a transaction, immediate (real stack)', function () {
  this.timeout(600_000);
  let harness: RestoreHarness;
  let fixture: Fixture;

  before(async () => {
    harness = await openRestoreHarness();
    fixture = harness.fixture;
    assert.ok(fixture.restorePoints.length > 0, 'the fixture records a named restore point (npm run fixture -- --rebuild)');
  });

  after(async () => {
    await harness?.close();
  });

  async function restoreTo(overrides: Partial<RestoreInput> & Pick<RestoreInput, 'target'>): Promise<{ result: RestoreResult; markers: string[] }> {
    const input = harness.inputFor('', undefined, overrides);
    const result: RestoreResult = await (await harness.start(input)).result();
    return { result, markers: await queryRestoredMarkers(input.destination, result.plan.pgVersion) };
  }

  const upToAfterB21 = () => labelsUpTo(fixture, marker(fixture, 'after-b2-1').committedAt);

  it('restores to the LSN of a restore point, choosing the newer backup by its end LSN', async () => {
    const point = fixture.restorePoints[0];
    const { result, markers } = await restoreTo({ target: { kind: 'lsn', lsn: point.lsn } });
    assert.equal(result.plan.backupId, fixture.backups[1].id);
    assert.match(result.plan.targetReached ?? '', new RegExp(`LSN ${point.lsn}`));
    assert.deepEqual(markers, upToAfterB21());
  });

  it('restores to a named restore point from a named backup, and promotes at the target when asked', async () => {
    const point = fixture.restorePoints[0];
    const { result, markers } = await restoreTo({ target: { kind: 'name', name: point.name }, backupId: fixture.backups[0].id, targetAction: 'promote' });
    assert.equal(result.plan.backupId, fixture.backups[0].id);
    assert.equal(result.verify.state, 'promoted');
    assert.ok(result.verify.timeline > 1, `a promoted copy starts a new timeline (got ${result.verify.timeline})`);
    assert.deepEqual(markers, upToAfterB21());
  });

  it('restores to the end of a transaction', async () => {
    const target = marker(fixture, 'after-b1-2');
    const { result, markers } = await restoreTo({ target: { kind: 'xid', xid: target.xid! }, backupId: fixture.backups[0].id });
    assert.match(result.plan.targetReached ?? '', new RegExp(`transaction ${target.xid}`));
    assert.deepEqual(markers, labelsUpTo(fixture, target.committedAt));
  });

  // The end is end_xlog, not end_time: barman-cloud reads end_time before pg_backup_stop() writes the backup's
  // end, so a row committed in between is after end_time and still in the consistent copy (a CI run saw one).
  it('restores immediate: the newest backup, to the moment it became consistent', async () => {
    const newest = fixture.backups[1];
    const { result, markers } = await restoreTo({ target: { kind: 'immediate' } });
    assert.equal(result.plan.backupId, newest.id);
    assert.equal(result.plan.endWal, newest.endWal, 'no WAL past the backup end is fetched');
    const after = fixture.markers.filter((m) => parseLsn(m.lsn) >= parseLsn(newest.endXlog));
    assert.ok(after.length > 0, `markers were written after ${newest.endXlog}`);
    for (const m of fixture.markers) {
      if (m.committedAt < utc(newest.beginTime)) assert.ok(markers.includes(m.label), `${m.label} committed before the backup began`);
      if (after.includes(m)) assert.ok(!markers.includes(m.label), `${m.label} was written at ${m.lsn}, after the backup became consistent at ${newest.endXlog}`);
    }
  });

  it('refuses an xid target without --backup-id, naming the backups to choose from', async () => {
    const { type, message } = await harness.expectFailure(harness.inputFor('', undefined, { target: { kind: 'xid', xid: '12345' } }));
    assert.equal(type, 'InvalidTarget');
    assert.match(message, new RegExp(`needs --backup-id.*${fixture.backups[0].id}, ${fixture.backups[1].id}`));
  });

  it('refuses an LSN beyond the archive before copying anything', async () => {
    const { type, message } = await harness.expectFailure(harness.inputFor('', undefined, { target: { kind: 'lsn', lsn: 'FF/0' } }));
    assert.equal(type, 'TargetUnreachable');
    assert.match(message, /LSN FF\/0 is in segment 0000000100000FF000000000|not in the archived WAL/);
  });

  it('takes the new target flags at the command line, one target at a time', async () => {
    const cli = (...args: string[]) =>
      run(process.execPath, [join(REPO_ROOT, 'bin', 'pitr.js'), 'restore', '--server', 'pg', '--dest', harness.newDestination(), ...args], { env: process.env }).then(
        () => ({ code: 0, stderr: '' }),
        (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
      );
    const two = await cli('--target-lsn', '0/3000000', '--target-immediate');
    assert.equal(two.code, 2);
    assert.match(two.stderr, /give one recovery target, not --target-lsn and --target-immediate/);
    const badLsn = await cli('--target-lsn', '3000000');
    assert.equal(badLsn.code, 2);
    assert.match(badLsn.stderr, /not a WAL location/);
    const badAction = await cli('--target-immediate', '--target-action', 'resume');
    assert.equal(badAction.code, 2);
    assert.match(badAction.stderr, /not one of pause, promote, shutdown/);
  });
});
