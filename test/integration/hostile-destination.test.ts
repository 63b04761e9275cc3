// No shell ever sees a path (issue 10, item 4). Barman writes the destination into restore_command, which
// PostgreSQL runs through a shell (seen with Barman 3.19.1: `restore_command = 'cp <dest>/barman_wal/%f %p'`),
// so a destination a shell would interpret is refused, by the CLI and by the workflow's first step. And
// PostgreSQL is started without a shell (pg_ctl start wraps its arguments in `sh -c`): a data directory
// whose name holds $(...), backticks, quotes, a newline and a backslash starts, and nothing in it runs.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chown, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { queryPostgres, startPostgres, stopPostgres, waitForRecoveryEnd } from '../../src/io/postgres-instance';
import { runCommand } from '../../src/io/run-command';
import { userIds } from '../../src/io/user-ids';
import { loadWorkerSettings, pgBinDir } from '../../src/settings';
import { FailureTypes } from '../../src/shared';
import { runFailingRestore } from '../support/bad-input-failure';
import { between, marker } from '../support/fixture';
import { openRestoreHarness, type RestoreHarness } from '../support/restore-harness';
import { REPO_ROOT } from '../support/stack-env';

const run = promisify(execFile);

describe('names a shell would interpret (real stack)', function () {
  this.timeout(300_000);
  let harness: RestoreHarness;
  const id = randomBytes(4).toString('hex');
  // What a shell would run, as the postgres user: it writes into that user's home directory.
  const markers = [`/var/lib/postgresql/pitr-owned-${id}-dollar`, `/var/lib/postgresql/pitr-owned-${id}-backtick`];
  const hostile = `x $(touch ~/pitr-owned-${id}-dollar) \`touch ~/pitr-owned-${id}-backtick\` 'single' "double" back\\slash\nsecond line`;
  const scratch: string[] = [];

  before(async () => {
    harness = await openRestoreHarness();
  });

  after(async () => {
    for (const path of [...markers, ...scratch]) await rm(path, { recursive: true, force: true });
    await harness?.close();
  });

  const noMarkers = () => {
    for (const file of markers) assert.ok(!existsSync(file), `${file} exists: a shell ran part of a name`);
  };

  it('pitr restore refuses such a destination (exit 2), naming each character, and creates nothing', async () => {
    const destination = `${harness.newDestination()}-${hostile}`;
    const target = between(marker(harness.fixture, 'after-b2-1'), marker(harness.fixture, 'after-b2-2'));
    const outcome = await run(process.execPath, [join(REPO_ROOT, 'bin', 'pitr.js'), 'restore', '--server', harness.fixture.server, '--target-time', target, '--dest', destination], {
      env: process.env,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
    );
    assert.equal(outcome.code, 2, outcome.stderr);
    for (const name of ['$ (dollar)', '` (backtick)', "' (single quote)", '" (double quote)', '\\ (backslash)', 'newline', 'space']) {
      assert.ok(outcome.stderr.includes(name), `${name} is named: ${outcome.stderr}`);
    }
    assert.match(outcome.stderr, /restore_command.*Use letters, digits and/s);
    assert.ok(!existsSync(destination));
    noMarkers();
  });

  it('a restore started without the CLI fails in its first step, without retrying, and creates nothing', async () => {
    const destination = `${harness.newDestination()}-${hostile}`;
    const target = between(marker(harness.fixture, 'after-b2-1'), marker(harness.fixture, 'after-b2-2'));
    const failure = await runFailingRestore(harness, harness.inputFor(target, destination));
    assert.equal(failure.type, FailureTypes.InvalidDestination);
    assert.equal(failure.activity?.name, 'planRestore');
    assert.equal(failure.activity?.attempt, 1);
    assert.match(failure.message, /contains .*\$ \(dollar\)/);
    assert.ok(!existsSync(destination));
    noMarkers();
  });

  it('a restore point name Barman would write unescaped into postgresql.auto.conf is refused in the first step', async () => {
    const destination = harness.newDestination();
    const name = `x'\nrestore_command='touch ~/pitr-owned-${id}-dollar`;
    const input = harness.inputFor('', destination, { target: { kind: 'name', name }, backupId: harness.fixture.backups[0]!.id });
    const failure = await runFailingRestore(harness, input);
    // The input check that runs first in planRestore names the field it found it in.
    assert.equal(failure.type, 'InvalidInput');
    assert.equal(failure.activity?.name, 'planRestore');
    assert.equal(failure.activity?.attempt, 1);
    assert.match(failure.message, /target \.name: .*which Barman would write unescaped into postgresql.auto.conf/);
    assert.ok(!existsSync(destination));
    noMarkers();
  });

  it('starts PostgreSQL on a data directory with such a name without any shell running part of it', async () => {
    const settings = loadWorkerSettings(process.env);
    const bin = pgBinDir(settings, 15);
    const parent = await mkdtemp(join(tmpdir(), 'pitr-hostile-'));
    scratch.push(parent);
    const { uid, gid } = await userIds(settings.barmanUser);
    await chown(parent, uid, gid);
    // initdb itself runs postgres through a shell: it makes the cluster under a plain name, renamed after.
    const plain = join(parent, 'plain');
    await runCommand(join(bin, 'initdb'), ['-D', plain, '-U', 'postgres', '--auth=trust', '-N'], { asUser: settings.barmanUser, env: { LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' } });
    // (the name's `~/` makes nested folders: the shell would see the whole path, / included)
    const dataDir = join(parent, hostile);
    await mkdir(dirname(dataDir), { recursive: true });
    await rename(plain, dataDir);
    const instance = await startPostgres({ pgBinDir: bin, dataDir, user: settings.barmanUser, logFile: join(parent, 'postgres.log') });
    try {
      const end = await waitForRecoveryEnd(instance, { pollMs: 200, timeoutMs: 60_000 });
      assert.equal(end.outcome, 'promoted', 'a cluster that is not in recovery');
      assert.equal(await queryPostgres(instance, 'show data_directory'), dataDir);
    } finally {
      await stopPostgres(instance);
    }
    noMarkers();
  });
});
