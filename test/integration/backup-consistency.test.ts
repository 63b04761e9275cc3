// Targets replay would meet before the chosen backup is consistent, on the real stack. barman-cloud's end_time
// is now() of the transaction that calls pg_backup_stop(), read before the function writes the backup's end
// record (barman/postgres.py, stop_concurrent_backup), so commits can land after end_time and still precede
// end_xlog, where the restored cluster first becomes consistent. A target between them passes the end_time
// rule, but PostgreSQL refuses to stop there ("requested recovery stop point is before consistent recovery
// point"). The race is milliseconds wide on the fixture's source; the crafted copies move the newer backup's
// end_time back to one of the commits it covers, which is what the race leaves, made deterministic. A
// transaction that ended during the backup is the same case without a race.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { toBarmanTime } from '../../src/core/timestamp';
import { FailureTypes } from '../../src/shared';
import { craftedBackups, setInfoField, type CraftedBackups } from '../support/bad-input-crafted-backup';
import { runFailingRestore } from '../support/bad-input-failure';
import { between, labelsUpTo, utc, type Marker } from '../support/fixture';
import { openRestoreHarness, type RestoreHarness } from '../support/restore-harness';
import { queryRestoredMarkers } from '../support/restored-cluster';
import { REPO_ROOT } from '../support/stack-env';

const run = promisify(execFile);

describe('targets replay meets before the backup is consistent (real stack)', function () {
  this.timeout(300_000);
  let harness: RestoreHarness;
  let crafted: CraftedBackups;
  // Two markers the newer backup covers: committed after it began, well before it ended.
  let covered: Marker;
  let next: Marker;

  before(async () => {
    harness = await openRestoreHarness();
    crafted = craftedBackups(harness.fixture);
    const during = harness.fixture.markers.filter((m) => m.label.startsWith('during-b2-') && m.committedAt > utc(crafted.backup.beginTime));
    assert.ok(during.length >= 6, `the fixture has markers committed during its newer backup (got ${during.map((m) => m.label).join(', ')})`);
    [covered, next] = [during[1]!, during[2]!];
  });

  after(async () => {
    await crafted?.removeAll();
    await harness?.close();
  });

  // The newer backup as the race leaves it: end_time at a commit its end_xlog still covers.
  const earlyEndTime = (info: string) => setInfoField(info, 'end_time', toBarmanTime(covered.committedAt));

  it('chooses the older backup when the newer one ends, by end_time, before a target it cannot stop at', async () => {
    const server = await crafted.create('early-end-time', { withOlderBackup: true, editInfo: earlyEndTime });
    const target = between(covered, next);
    const input = harness.inputFor(target, undefined, { server });
    const result = await (await harness.start(input)).result();
    assert.equal(result.plan.backupId, crafted.olderBackup.id);
    assert.deepEqual(await queryRestoredMarkers(input.destination, result.plan.pgVersion), labelsUpTo(harness.fixture, target));

    const { stdout } = await run(process.execPath, [join(REPO_ROOT, 'bin', 'pitr.js'), 'plan', '--server', server, '--target-time', target, '--task-queue', harness.taskQueue, '--json'], { env: process.env });
    const plan = JSON.parse(stdout) as { backup: { id: string }; skipped: { id: string; why: string }[] };
    assert.equal(plan.backup.id, crafted.olderBackup.id);
    const passedOver = plan.skipped.find((s) => s.id === crafted.backup.id);
    assert.match(passedOver?.why ?? '', /^becomes consistent only at [0-9A-F]+\/[0-9A-F]+, after the commit at \S+ where replay would stop/, JSON.stringify(plan.skipped));
  });

  it('refuses it when no older backup can take over, before any base backup byte is fetched, with the earliest time it reaches', async () => {
    const server = await crafted.create('early-end-time-only', { editInfo: earlyEndTime });
    const destination = harness.newDestination();
    const failed = await runFailingRestore(harness, harness.inputFor(between(covered, next), destination, { server }));
    assert.equal(failed.type, FailureTypes.BackupNotFound);
    assert.equal(failed.activity?.name, 'planRestore');
    assert.match(failed.message, new RegExp(`backup ${crafted.backup.id} cannot reach target \\S+: it becomes consistent only at [0-9A-F]+/[0-9A-F]+, after the commit at \\S+ where replay would stop`));
    assert.match(failed.message, /pg_backup_stop/);
    assert.match(failed.message, /earliest reachable time is \S+/);
    assert.ok(!existsSync(destination), 'the destination is not created');
  });

  it('refuses it by --backup-id too, naming what would work', async () => {
    const server = await crafted.create('early-end-time-named', { withOlderBackup: true, editInfo: earlyEndTime });
    const failed = await runFailingRestore(harness, harness.inputFor(between(covered, next), undefined, { server, backupId: crafted.backup.id }));
    assert.equal(failed.type, FailureTypes.BackupNotFound);
    assert.match(failed.message, new RegExp(`backup ${crafted.backup.id} cannot reach target \\S+: it becomes consistent only at`));
    assert.match(failed.message, /name an older backup or leave out --backup-id/);
  });

  it('refuses a transaction that ended while the named backup ran, before any base backup byte is fetched', async () => {
    const destination = harness.newDestination();
    const failed = await runFailingRestore(harness, harness.inputFor('', destination, { target: { kind: 'xid', xid: covered.xid! }, backupId: crafted.backup.id }));
    assert.equal(failed.type, FailureTypes.TargetUnreachable);
    assert.equal(failed.activity?.name, 'planRestore');
    assert.match(failed.message, new RegExp(`transaction ${covered.xid} ends at [0-9A-F]+/[0-9A-F]+, before backup ${crafted.backup.id} becomes consistent at`));
    assert.match(failed.message, new RegExp(`name an older backup with --backup-id \\(${harness.fixture.backups[0]!.id}\\)`));
    assert.ok(!existsSync(destination), 'the destination is not created');
  });
});
