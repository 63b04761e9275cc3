// Verify starts PostgreSQL on a restored data directory, whose configuration comes from the backup: the
// production server's. Settings there that would load code, run commands, write outside the copy or reach
// other hosts are overridden on the postmaster's command line, and the instance says which it overrode.
// Each value below fails loudly, or leaves a trace, if PostgreSQL honours it.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { appendFile, chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryPostgres, startPostgres, stopPostgres, waitForRecoveryEnd } from '../../src/io/postgres-instance';
import { runCommand } from '../../src/io/run-command';
import { userIds } from '../../src/io/user-ids';
import { loadWorkerSettings, pgBinDir } from '../../src/settings';

describe("verify's PostgreSQL ignores what the backup's configuration would load, run or reach", function () {
  this.timeout(120_000);
  const scratch: string[] = [];

  after(async () => {
    for (const path of scratch) await rm(path, { recursive: true, force: true });
  });

  for (const major of [15, 17]) {
    it(`overrides them and reports each with the backup's value (PostgreSQL ${major})`, async () => {
      const settings = loadWorkerSettings(process.env);
      const bin = pgBinDir(settings, major); // 17 from .tools (PITR_PG_BIN_DIR_17 in .stack/env) where Debian has none
      const parent = await mkdtemp(join(tmpdir(), 'pitr-verify-overrides-'));
      scratch.push(parent);
      const { uid, gid } = await userIds(settings.barmanUser);
      await chown(parent, uid, gid);
      const dataDir = join(parent, 'data');
      await runCommand(join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-N'], { asUser: settings.barmanUser, env: { LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' } });
      const pidFile = join(parent, 'external.pid');
      const collectorDir = join(parent, 'collector');
      const backupConfiguration: Record<string, string> = {
        data_directory: join(parent, 'production-data'), // FATAL: not a data directory
        shared_preload_libraries: 'pitr_no_such_library', // FATAL: could not access file
        session_preload_libraries: 'pitr_no_such_library', // every connection fails
        local_preload_libraries: 'pitr_no_such_library',
        dynamic_library_path: join(parent, 'lib'),
        archive_mode: 'on',
        archive_cleanup_command: `touch ${join(parent, 'cleanup-ran')}`,
        primary_conninfo: 'host=192.0.2.1 user=replicator',
        ssl: 'on', // FATAL: no server.crt
        logging_collector: 'on',
        log_directory: collectorDir,
        log_destination: 'syslog',
        external_pid_file: pidFile,
        // What verify needs to see where replay stopped: hot standby (to ask the paused server), LOG lines, English texts.
        hot_standby: 'off',
        log_min_messages: 'panic',
      };
      const lines = Object.entries(backupConfiguration).map(([name, value]) => `${name} = '${value}'`);
      await appendFile(join(dataDir, 'postgresql.conf'), `\n# as on the production server\n${lines.join('\n')}\n`);

      const logFile = join(parent, 'postgres.log');
      const instance = await startPostgres({ pgBinDir: bin, dataDir, user: settings.barmanUser, logFile });
      try {
        await waitForRecoveryEnd(instance, { pollMs: 200, timeoutMs: 60_000 });
        const effective = async (name: string) => queryPostgres(instance, `show ${name}`);
        assert.equal(await effective('data_directory'), dataDir);
        assert.equal(await effective('shared_preload_libraries'), '');
        assert.equal(await effective('session_preload_libraries'), '');
        assert.equal(await effective('local_preload_libraries'), '');
        assert.equal(await effective('dynamic_library_path'), '$libdir');
        assert.equal(await effective('archive_mode'), 'off');
        assert.equal(await effective('archive_cleanup_command'), '');
        assert.equal(await effective('primary_conninfo'), '');
        assert.equal(await effective('ssl'), 'off');
        assert.equal(await effective('logging_collector'), 'off');
        assert.equal(await effective('log_destination'), 'stderr');
        assert.equal(await effective('external_pid_file'), '');
        assert.equal(await effective('hot_standby'), 'on');
        assert.equal(await effective('log_min_messages'), 'warning');
        assert.equal(await effective('lc_messages'), 'C');
        assert.ok(!existsSync(pidFile), 'the external pid file of the backup was written');
        assert.ok(!existsSync(collectorDir), "the backup's log collector ran");
        const reported = Object.fromEntries((instance.overriddenSettings ?? []).map((s) => [s.name, s.configured]));
        const expected = { ...backupConfiguration };
        delete (expected as Record<string, string | undefined>).log_directory; // inert once the collector is off: not overridden
        // A connection string or a command may hold a password: named, its value not reported.
        (expected as Record<string, string | undefined>).primary_conninfo = undefined;
        (expected as Record<string, string | undefined>).archive_cleanup_command = undefined;
        assert.deepEqual(reported, expected);
      } finally {
        await stopPostgres(instance);
      }
    });
  }

  it('reports nothing for a configuration with none of them', async () => {
    const settings = loadWorkerSettings(process.env);
    const bin = pgBinDir(settings, 15);
    const parent = await mkdtemp(join(tmpdir(), 'pitr-verify-overrides-'));
    scratch.push(parent);
    const { uid, gid } = await userIds(settings.barmanUser);
    await chown(parent, uid, gid);
    const dataDir = join(parent, 'data');
    await runCommand(join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-N'], { asUser: settings.barmanUser, env: { LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' } });
    const instance = await startPostgres({ pgBinDir: bin, dataDir, user: settings.barmanUser, logFile: join(parent, 'postgres.log') });
    try {
      await waitForRecoveryEnd(instance, { pollMs: 200, timeoutMs: 60_000 });
      assert.deepEqual(instance.overriddenSettings, []);
    } finally {
      await stopPostgres(instance);
    }
  });
});
