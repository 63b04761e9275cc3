// Backups that are not a plain data directory (issue 9, item 4), on the real stack: crafted copies of the
// fixture's newer backup whose backup.info says incremental, snapshot, encrypted or Barman-server
// compressed. Automatic selection skips them and says why; naming one with --backup-id is refused
// before anything is downloaded, saying what kind it is and what would restore it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FailureTypes } from '../../src/shared';
import { craftedBackups, setInfoField, type CraftedBackups } from '../support/bad-input-crafted-backup';
import { runFailingRestore } from '../support/bad-input-failure';
import { between, marker } from '../support/fixture';
import { openRestoreHarness, type RestoreHarness } from '../support/restore-harness';
import { REPO_ROOT } from '../support/stack-env';

const run = promisify(execFile);

/** Each kind: how its backup.info differs from barman-cloud's plain one, and what the refusal must say. */
const KINDS: Array<{ label: string; edit: (info: string) => string; says: RegExp }> = [
  {
    label: 'incremental',
    edit: (info) => setInfoField(info, 'parent_backup_id', '20261124T000000'),
    says: /incremental backup \(parent 20261124T000000\).*pg_combinebackup/,
  },
  {
    label: 'snapshot',
    edit: (info) => setInfoField(info, 'snapshots_info', "{'provider': 'gcp', 'provider_info': {'project': 'test'}, 'snapshots': []}"),
    says: /snapshot backup \(barman-cloud-backup --snapshot-\*, provider gcp\).*barman-cloud-restore --snapshot-recovery-instance/,
  },
  {
    label: 'encrypted',
    edit: (info) => setInfoField(info, 'encryption', 'gpg'),
    says: /encrypted \(encryption=gpg\).*Barman server/,
  },
  {
    label: 'server-compressed',
    edit: (info) => setInfoField(info, 'compression', 'gzip'),
    says: /compressed by a Barman server \(backup_compression=gzip\)/,
  },
];

describe('backups that are not a plain data directory (crafted backup.info files, real stack)', function () {
  this.timeout(300_000);
  let harness: RestoreHarness;
  let crafted: CraftedBackups;

  before(async () => {
    harness = await openRestoreHarness();
    crafted = craftedBackups(harness.fixture);
  });

  after(async () => {
    await crafted?.removeAll();
    await harness?.close();
  });

  for (const kind of KINDS) {
    it(`skips a ${kind.label} backup when choosing, and refuses it by --backup-id before any download`, async () => {
      const server = await crafted.create(kind.label, { editInfo: kind.edit });
      const target = between(marker(harness.fixture, 'after-b2-1'), marker(harness.fixture, 'after-b2-2'));

      const chosen = await runFailingRestore(harness, harness.inputFor(target, undefined, { server }));
      assert.equal(chosen.type, FailureTypes.BackupNotFound);
      assert.match(chosen.message, new RegExp(`no completed \\(status DONE\\) backups of a kind pitr restores; found ${crafted.backup.id} \\(`));
      assert.match(chosen.message, kind.says);

      const destination = harness.newDestination();
      const named = await runFailingRestore(harness, harness.inputFor(target, destination, { server, backupId: crafted.backup.id }));
      assert.equal(named.type, FailureTypes.UnsupportedBackup);
      assert.equal(named.activity?.name, 'planRestore');
      assert.equal(named.activity?.attempt, 1, 'not retried');
      assert.match(named.message, new RegExp(`^backup ${crafted.backup.id} cannot be restored by pitr: it `));
      assert.match(named.message, kind.says);
      const downloads = harness.workArea({ server, destination }).downloads;
      assert.ok(!existsSync(downloads), 'nothing was downloaded');
      assert.ok(!existsSync(destination), 'the destination is not created');
    });
  }

  it('`pitr plan` names the kind of a backup it cannot use', async () => {
    const server = await crafted.create('plan-incremental', { editInfo: KINDS[0].edit });
    const target = between(marker(harness.fixture, 'after-b2-1'), marker(harness.fixture, 'after-b2-2'));
    const outcome = await run(process.execPath, [join(REPO_ROOT, 'bin', 'pitr.js'), 'plan', '--server', server, '--target-time', target, '--dest', harness.newDestination(), '--task-queue', harness.taskQueue], { env: process.env }).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, out: err.stdout + err.stderr }),
    );
    assert.notEqual(outcome.code, 0, outcome.out);
    assert.match(outcome.out, /incremental backup/);
    assert.match(outcome.out, /pg_combinebackup/);
  });
});
