// Bad input on the real stack: each case ends with a specific message (failure type, what was wrong, what
// is accepted or what to do) and no damage outside the restore's own work area: the destination is not
// created, whatever existed before is untouched, and failures found while planning fetch no base backup.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { readRestoreStatus } from '../../src/cli/restore-status';
import { fromEpochMicros, toEpochMicros, type UtcMicros } from '../../src/core/timestamp';
import { nextSegmentName } from '../../src/core/wal-names';
import { resolveTool } from '../../src/io/run-command';
import { backupDir as barmanBackupDir, workDirLayout } from '../../src/io/work-dir';
import { FailureTypes, restoreWorkflowId, type RestoreResult } from '../../src/shared';
import { craftedBackups, type CraftedBackups } from '../support/bad-input-crafted-backup';
import { runFailingRestore, workAreaOf, type FailedRestore } from '../support/bad-input-failure';
import { between, marker, utc } from '../support/fixture';
import { openRestoreHarness, type RestoreHarness } from '../support/restore-harness';
import { REPO_ROOT } from '../support/stack-env';
import { buildTar, gzip, type TestEntry } from '../support/tar-test-archive';

const run = promisify(execFile);

describe('bad input: specific messages and nothing damaged (real Temporal, S3, Barman, PostgreSQL)', function () {
  this.timeout(180_000);
  let harness: RestoreHarness;
  let crafted: CraftedBackups;
  let target: UtcMicros;
  /** Work areas this suite's restores made, removed afterwards. */
  const workAreas: string[] = [];
  /** Temporary host paths: what crafted archives aim at, a PATH without barman, a mount point. */
  const hostPaths: string[] = [];

  before(async () => {
    harness = await openRestoreHarness();
    crafted = craftedBackups(harness.fixture);
    // A target the newer backup serves, replaying WAL segments begin_wal.. a few later: the crafted copies hold them.
    target = between(marker(harness.fixture, 'after-b2-1'), marker(harness.fixture, 'after-b2-2'));
  });

  after(async function () {
    this.timeout(60_000);
    await harness?.close();
    if (crafted) {
      await crafted.removeAll();
      assert.deepEqual(await crafted.remainingKeys(), [], 'every crafted object is removed from the bucket');
    }
    for (const path of [...workAreas, ...hostPaths]) await rm(path, { recursive: true, force: true });
  });

  /** Runs a restore that must fail and checks what every failure must leave behind. */
  async function failing(input: ReturnType<RestoreHarness['inputFor']>, h: RestoreHarness = harness): Promise<FailedRestore & { workArea: string }> {
    const workArea = workAreaOf(h, input.server, input.destination);
    workAreas.push(workArea);
    const failure = await runFailingRestore(h, input);
    console.log(`      -> ${failure.type} after ${failure.activity?.name ?? 'workflow'} attempt ${failure.activity?.attempt}: ${failure.message}`);
    assert.equal(failure.activity?.nonRetryable, true, `the failure is non-retryable: ${JSON.stringify(failure.activity)}`);
    assert.equal(failure.activity?.attempt, 1, 'the failing step is not retried');
    return { ...failure, workArea };
  }

  function assertNothingDownloaded(workArea: string): void {
    const { downloads } = workDirLayout(workArea);
    assert.ok(!existsSync(downloads), `no base backup byte was downloaded (${downloads})`);
  }

  async function pitrCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return run(process.execPath, [join(REPO_ROOT, 'bin', 'pitr.js'), ...args], { env: process.env }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
    );
  }

  describe('workflow input sent by a client other than pitr restore', () => {
    it('refuses a malformed input in the first step, without retrying, naming the field and what is accepted', async () => {
      // Each case starts the workflow directly, as a script or another SDK would; every one must end in
      // planRestore's first attempt with InvalidInput, before anything is downloaded or created.
      const cases: { label: string; change: (input: Record<string, unknown>) => void; says: RegExp }[] = [
        { label: 'unknown targetAction', change: (i) => (i.targetAction = 'resume'), says: /targetAction is "resume"; expected one of "pause", "promote", "shutdown"/ },
        { label: 'target of no known kind', change: (i) => (i.target = { kind: 'latest' }), says: /target kind is "latest"; expected one of "time", "lsn", "xid", "name", "immediate"/ },
        { label: 'force not a boolean', change: (i) => (i.force = 'no'), says: /force is "no"; expected true or false/ },
        { label: 'misspelt field', change: (i) => (i.targetActon = 'promote'), says: /unknown field "targetActon"/ },
        { label: 'timeline as a string', change: (i) => (i.targetTimeline = '2'), says: /targetTimeline is "2"; expected a timeline number \(a whole number from 1 to 4294967295\), "current" or "latest"/ },
        { label: 'relative destination', change: (i) => (i.destination = `pitr-relative-${randomBytes(3).toString('hex')}`), says: /destination is "pitr-relative-[0-9a-f]+"; expected an absolute, normalised path/ },
      ];
      for (const { label, change, says } of cases) {
        const input = harness.inputFor(target, harness.newDestination()) as unknown as Record<string, unknown>;
        change(input);
        const destination = input.destination as string;
        const failure = await failing(input as unknown as ReturnType<RestoreHarness['inputFor']>);
        assert.equal(failure.type, FailureTypes.InvalidInput, label);
        assert.equal(failure.activity?.name, 'planRestore', label);
        assert.match(failure.message, /^invalid restore input: /, label);
        assert.match(failure.message, says, label);
        assert.match(failure.message, /Start the restore with `pitr restore`/, label);
        assertNothingDownloaded(failure.workArea);
        assert.ok(!existsSync(failure.workArea), `${label}: no work area is made for an invalid input`);
        assert.ok(!existsSync(destination) && !existsSync(join(REPO_ROOT, destination)), `${label}: the destination is not created`);
      }
    });
  });

  describe('targets', () => {
    it('rejects malformed target times at the command line (exit 2), saying what is wrong and what is accepted', async () => {
      const cases: { time: string; says: RegExp }[] = [
        { time: 'yesterday', says: /target time "yesterday" is not a time\. Accepted forms: .*\+00/ },
        { time: '2026-02-30 12:00:00+00', says: /target time "2026-02-30 12:00:00\+00" is not a real instant/ },
        { time: '2026-11-24 22:08:46 Europe/Paris', says: /names a time zone \("Europe\/Paris"\).*numeric UTC offset, e\.g\. "2026-11-24 22:08:46\+00"/ },
        { time: '2026-11-24 22:08:46.1234567+00', says: /has 7 fractional digits.*at most 6/ },
      ];
      for (const { time, says } of cases) {
        const destination = harness.newDestination();
        const outcome = await pitrCli('restore', '--server', harness.fixture.server, '--target-time', time, '--dest', destination);
        console.log(`      -> exit ${outcome.code}: ${outcome.stderr.trim()}`);
        assert.equal(outcome.code, 2, `${time}: ${outcome.stderr}`);
        assert.match(outcome.stderr, says);
        assert.equal(outcome.stdout, '', 'no restore was started');
        assert.ok(!existsSync(destination), 'the destination is not created');
        await assert.rejects(harness.client.workflow.getHandle(restoreWorkflowId(harness.fixture.server, destination)).describe(), /not found/i);
      }
    });

    it('refuses a target in the future before copying anything, naming the last reachable commit', async () => {
      const tail = marker(harness.fixture, 'tail');
      const future = fromEpochMicros(Date.now() * 1000 + 24 * 3600 * 1_000_000);
      const destination = harness.newDestination();
      const failure = await failing(harness.inputFor(future, destination));
      assert.equal(failure.type, FailureTypes.TargetUnreachable);
      assert.equal(failure.activity?.name, 'planRestore');
      assert.match(failure.message, new RegExp(`target ${future} cannot be reached`));
      assert.match(failure.message, /in the future/);
      const reachable = /last archived commit is at (\S+Z): choose a target before it/.exec(failure.message);
      assert.ok(reachable, failure.message);
      assert.ok(reachable[1] >= tail.committedAt && reachable[1] < future, `${reachable[1]} is the last archived commit`);
      assertNothingDownloaded(failure.workArea);
      assert.ok(!existsSync(destination));
    });

    it("refuses a target before the earliest backup's end, naming the earliest reachable time", async () => {
      const { fixture } = harness;
      const earliestEnd = utc(fixture.backups[0].endTime);
      const early = fromEpochMicros(toEpochMicros(earliestEnd) - 2_000_000);
      const destination = harness.newDestination();
      const failure = await failing(harness.inputFor(early, destination));
      assert.equal(failure.type, FailureTypes.BackupNotFound);
      assert.equal(failure.activity?.name, 'planRestore');
      assert.match(failure.message, /before the end of every completed backup/);
      assert.ok(failure.message.includes(`earliest reachable time is ${earliestEnd}`), failure.message);
      assert.ok(failure.message.includes(fixture.backups[0].id), 'the backup is named');
      assertNothingDownloaded(failure.workArea);
      assert.ok(!existsSync(destination));
    });
  });

  describe('where to restore from', () => {
    it('refuses an unknown server, naming the folder it looked in', async () => {
      const server = `no-such-server-${randomBytes(3).toString('hex')}`;
      const destination = harness.newDestination();
      const failure = await failing(harness.inputFor(target, destination, { server }));
      assert.equal(failure.type, FailureTypes.ServerNotFound);
      assert.ok(failure.message.includes(`s3://${harness.fixture.bucket}/${server}/base/`), failure.message);
      assert.match(failure.message, /check the server name/);
      assertNothingDownloaded(failure.workArea);
      assert.ok(!existsSync(destination));
    });

    it('refuses a missing bucket, naming it', async () => {
      const bucket = `pitr-no-such-bucket-${randomBytes(3).toString('hex')}`;
      const destination = harness.newDestination();
      const failure = await failing(harness.inputFor(target, destination, { bucket }));
      assert.equal(failure.type, FailureTypes.BucketNotFound);
      assert.ok(failure.message.includes(`bucket "${bucket}" does not exist`), failure.message);
      assert.match(failure.message, /check the bucket name/);
      assertNothingDownloaded(failure.workArea);
      assert.ok(!existsSync(destination));
    });

    it('refuses wrong S3 credentials (access denied) without retrying, and without the secret in the message', async function () {
      this.timeout(120_000);
      const wrongSecret = `wrong-${randomBytes(12).toString('hex')}`;
      const denied = await openRestoreHarness({ s3Env: { ...process.env, AWS_SECRET_ACCESS_KEY: wrongSecret } });
      try {
        const destination = denied.newDestination();
        const failure = await failing(denied.inputFor(target, destination), denied);
        assert.equal(failure.type, FailureTypes.AccessDenied);
        assert.ok(failure.message.includes(`access denied to s3://${harness.fixture.bucket}`), failure.message);
        assert.match(failure.message, /check the AWS credentials/);
        assert.ok(!failure.message.includes(wrongSecret), 'the wrong secret is not in the message');
        assert.ok(!failure.message.includes(process.env.AWS_SECRET_ACCESS_KEY!), 'the real secret is not in the message');
        assertNothingDownloaded(failure.workArea);
        assert.ok(!existsSync(destination));
      } finally {
        await denied.close();
      }
    });
  });

  describe('where to restore to', () => {
    it('refuses a destination that is a file, leaving the file as it was', async () => {
      const destination = harness.newDestination();
      await mkdir(join(destination, '..'), { recursive: true });
      await writeFile(destination, 'not a data directory');
      const failure = await failing(harness.inputFor(target, destination));
      assert.equal(failure.type, FailureTypes.InvalidDestination);
      assert.ok(failure.message.includes(`destination ${destination} exists and is not a directory`), failure.message);
      assert.match(failure.message, /name a new or empty directory/);
      assert.ok((await lstat(destination)).isFile());
      assert.equal(await readFile(destination, 'utf8'), 'not a data directory');
      assertNothingDownloaded(failure.workArea);
    });

    it('refuses, even with --force, a destination holding a running PostgreSQL, and leaves it as it was', async () => {
      const destination = harness.newDestination();
      await mkdir(destination, { recursive: true });
      // A live process in postmaster.pid: this test's own (a real cluster's postmaster is the same to the check).
      const pidFile = `${process.pid}\n${destination}\n1764547200\n5432\n`;
      await writeFile(join(destination, 'postmaster.pid'), pidFile);
      await writeFile(join(destination, 'PG_VERSION'), '15\n');
      const failure = await failing(harness.inputFor(target, destination, { force: true }));
      assert.equal(failure.type, FailureTypes.InvalidDestination);
      assert.equal(failure.activity?.attempt, 1);
      assert.ok(failure.message.includes(`destination ${destination} holds a running PostgreSQL (its postmaster.pid names process ${process.pid}`), failure.message);
      assert.match(failure.message, /not even --force moves a running cluster aside/);
      assert.deepEqual((await readdir(destination)).sort(), ['PG_VERSION', 'postmaster.pid']);
      assert.equal(await readFile(join(destination, 'postmaster.pid'), 'utf8'), pidFile);
      assert.ok(!existsSync(`${destination}.before-pitr-${harness.fixture.backups[1]!.id}`), 'nothing was moved aside');
      assertNothingDownloaded(failure.workArea);
    });

    it("refuses a destination inside the worker's Barman work area (PITR_BARMAN_HOME)", async () => {
      const destination = join(harness.settings.workRoot, `inside-${randomUUID()}`);
      const failure = await failing(harness.inputFor(target, destination));
      assert.equal(failure.type, FailureTypes.InvalidDestination);
      assert.ok(failure.message.includes(`overlaps the worker's Barman work area ${harness.settings.workRoot}`), failure.message);
      assert.match(failure.message, /choose a directory outside it/);
      assert.ok(!existsSync(destination), 'the destination is not created');
      assertNothingDownloaded(failure.workArea);
    });
  });

  describe('damaged or hostile backups (crafted server folders in the bucket)', () => {
    const benign: TestEntry[] = [
      { path: './', type: 'dir', mode: 0o700 },
      { path: './PG_VERSION', body: '15\n', mode: 0o600 },
      { path: './global/', type: 'dir', mode: 0o700 },
    ];

    async function craftedRestore(label: string, entries: TestEntry[]) {
      const server = await crafted.create(label, { dataTar: gzip(buildTar([...benign, ...entries])) });
      const destination = harness.newDestination();
      const failure = await failing(harness.inputFor(target, destination, { server }));
      assert.equal(failure.activity?.name, 'syncAndExtractBaseBackup');
      assert.ok(!existsSync(destination), 'the destination is not created');
      const backupDir = barmanBackupDir(workDirLayout(failure.workArea), server, crafted.backup.id);
      return { ...failure, server, destination, backupDir };
    }

    it("rejects a tarball with a '../' entry, naming it, and writes nothing outside the staging directory", async () => {
      const failure = await craftedRestore('dotdot', [{ path: '../evil', body: 'escaped' }]);
      assert.equal(failure.type, FailureTypes.UnsafeArchive);
      assert.match(failure.message, /entry "\.\.\/evil": path has a '\.\.' component/);
      assert.match(failure.message, /data\.tar\.gz/);
      assert.ok(!existsSync(join(failure.backupDir, 'evil')), 'nothing was written beside the staging directory');
      // No half-extracted data stays behind (barman-cloud's backup.info waits in downloads/ until the stage
      // step writes the Barman home's copy, so the backup's folder is empty).
      assert.deepEqual(await readdir(failure.backupDir), []);
      // The work area holds every downloaded byte: no other local user may enter it.
      assert.equal((await stat(failure.workArea)).mode & 0o777, 0o700, 'the work area is private');
    });

    it('rejects a tarball with an absolute path, naming it, and writes nothing there', async () => {
      const outside = join(tmpdir(), `pitr-bad-input-absolute-${randomUUID()}`);
      hostPaths.push(outside);
      const failure = await craftedRestore('absolute', [{ path: `${outside}/evil`, body: 'escaped' }]);
      assert.equal(failure.type, FailureTypes.UnsafeArchive);
      assert.ok(failure.message.includes(`entry "${outside}/evil": absolute path`), failure.message);
      assert.ok(!existsSync(outside), `${outside} was not created`);
    });

    it('rejects a tarball with a symlink escaping the target, naming it, and writes nothing through it', async () => {
      const sentinel = await mkdtemp(join(tmpdir(), 'pitr-bad-input-sentinel-'));
      hostPaths.push(sentinel);
      await writeFile(join(sentinel, 'keep.txt'), 'mine');
      const failure = await craftedRestore('symlink', [
        { path: './pg_tblspc/', type: 'dir', mode: 0o700 },
        { path: './pg_tblspc/16400', type: 'symlink', linkpath: sentinel },
        { path: './pg_tblspc/16400/evil', body: 'escaped' },
      ]);
      assert.equal(failure.type, FailureTypes.UnsafeArchive);
      assert.match(failure.message, /entry "\.\/pg_tblspc\/16400": symlink target .* resolves outside the destination/);
      assert.deepEqual(await readdir(sentinel), ['keep.txt']);
      assert.equal(await readFile(join(sentinel, 'keep.txt'), 'utf8'), 'mine');
    });

    it('rejects a truncated data.tar.gz (the real one cut in half) as a corrupt archive', async () => {
      const real = await crafted.realDataTar();
      const server = await crafted.create('truncated', { dataTar: real.subarray(0, Math.floor(real.length / 2)) });
      const destination = harness.newDestination();
      const failure = await failing(harness.inputFor(target, destination, { server }));
      assert.equal(failure.type, FailureTypes.CorruptArchive);
      assert.equal(failure.activity?.name, 'syncAndExtractBaseBackup');
      assert.match(failure.message, /corrupt archive \S+\/data\.tar\.gz: /);
      assert.match(failure.message, /unexpected end of file|truncated/);
      assert.match(failure.message, /while extracting entry "[^"]+"/);
      assert.doesNotMatch(failure.message, /download it again/, 'the download matched the bucket: downloading it again cannot help');
      assert.ok(!existsSync(destination), 'the destination is not created');
    });

    for (const [label, damage] of [
      ['garbage', () => randomBytes(20_000)],
      ['gzipped-garbage', () => gzipSync(Buffer.concat(Array.from({ length: 2048 }, () => randomBytes(8192).subarray(0, 8192))))],
    ] as const) {
      it(`rejects a corrupt WAL object the plan reads (${label}), naming the segment, before copying anything`, async () => {
        // The segment after begin_wal: the plan reads it while looking for the first commit after the target.
        const segment = nextSegmentName(crafted.backup.beginWal, 16 * 1024 * 1024);
        const server = await crafted.create(`wal-${label}`, { walOverrides: { [segment]: damage() } });
        const destination = harness.newDestination();
        const failure = await failing(harness.inputFor(target, destination, { server }));
        assert.equal(failure.type, FailureTypes.CorruptArchive);
        assert.equal(failure.activity?.name, 'planRestore');
        assert.ok(failure.message.includes(`WAL segment ${segment}`), failure.message);
        assert.ok(failure.message.includes(crafted.walKey(server, segment)), 'the S3 object is named');
        assertNothingDownloaded(failure.workArea);
        assert.ok(!existsSync(destination));
      });
    }
  });

  describe('the worker host', () => {
    it('fails without retrying when barman (PITR_BARMAN_BIN=barman, the default) is not on the worker PATH, naming barman', async () => {
      const noBarman = await mkdtemp(join(tmpdir(), 'pitr-bad-input-path-'));
      hostPaths.push(noBarman);
      // The worker's PATH with every tool but barman (first of each name wins, like a shell's lookup).
      const linked = new Set<string>(['barman']);
      for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
        for (const name of await readdir(dir).catch(() => [] as string[])) {
          if (linked.has(name)) continue;
          linked.add(name);
          await symlink(join(dir, name), join(noBarman, name));
        }
      }
      assert.throws(() => resolveTool('barman', noBarman), /barman was not found/);
      // A worker that looks barman up on PATH, as it does by default (the stack names the newest Barman's path).
      const onPath = await openRestoreHarness({ settings: { barmanBin: 'barman' } });
      const destination = onPath.newDestination();
      const savedPath = process.env.PATH;
      process.env.PATH = noBarman;
      let failure: Awaited<ReturnType<typeof failing>>;
      try {
        failure = await failing(onPath.inputFor(target, destination), onPath);
      } finally {
        process.env.PATH = savedPath;
        await onPath.close();
      }
      assert.equal(failure.type, FailureTypes.ToolMissing);
      assert.match(failure.message, /^barman was not found/);
      assert.ok(failure.message.includes(noBarman), 'the PATH searched is shown');
      // Planning checks the tools later steps need, so this fails before any transfer.
      assert.equal(failure.activity?.name, 'planRestore');
      const downloads = onPath.workArea({ server: onPath.fixture.server, destination }).downloads;
      assert.ok(!existsSync(downloads), 'no base backup byte was downloaded');
      console.log(`      -> failed after ${(failure.elapsedMs / 1000).toFixed(1)} s`);
      assert.ok(!existsSync(destination), 'barman recover never ran: the destination is not created');
    });

    it("stops at once, as PermissionDenied naming the path, when the worker may not write its work area (read-only mount)", async function () {
      this.timeout(120_000);
      const mount = await mkdtemp(join(tmpdir(), 'pitr-bad-input-readonly-'));
      hostPaths.push(mount);
      // Node's recursive mkdir says ENOENT there, not EROFS: the failure must still be called what it is.
      await run('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', mount]);
      let readOnly: RestoreHarness | undefined;
      try {
        readOnly = await openRestoreHarness({ settings: { workRoot: mount } });
        const destination = readOnly.newDestination();
        const failure = await failing(readOnly.inputFor(target, destination), readOnly);
        assert.equal(failure.type, FailureTypes.PermissionDenied);
        assert.equal(failure.activity?.name, 'planRestore');
        assert.match(failure.message, new RegExp(`^read-only file system \\(EROFS, \\w+\\) on ${mount}/`));
        assert.match(failure.message, /retrying cannot change that/);
        assert.match(failure.message, /then start the restore again/);
        assert.ok(!existsSync(destination), 'the destination is not created');
      } finally {
        await readOnly?.close();
        await unmount(mount);
      }
    });

    it('keeps retrying a disk-full extraction with a clear ENOSPC message naming the path, and carries on once there is room', async function () {
      this.timeout(150_000);
      // 24 MiB: room for planning (one 16 MiB WAL segment decompressed at a time) and the 5.4 MiB download,
      // not for the 68 MiB the backup extracts to.
      const mount = await mkdtemp(join(tmpdir(), 'pitr-bad-input-tmpfs-'));
      hostPaths.push(mount);
      await run('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mount]);
      let small: RestoreHarness | undefined;
      try {
        small = await openRestoreHarness({ settings: { workRoot: mount } });
        const destination = small.newDestination();
        // --force skips the space check of planning (which would refuse this work area up front), as when
        // space runs out because something else fills the disk during the restore.
        const handle = await small.start(small.inputFor(target, destination, { force: true }));
        let status = await readRestoreStatus(handle);
        const deadline = Date.now() + 90_000;
        // What `pitr status` (and the UI's pending activity) says at each retry: the full disk, every attempt.
        const reported = new Map<number, string | null>();
        while (!(status.attempt !== null && status.attempt >= 3 && status.lastFailure)) {
          assert.equal(status.status, 'RUNNING', `the restore keeps running: ${JSON.stringify(status)}`);
          assert.ok(Date.now() < deadline, `no second retried failure within 90 s: ${JSON.stringify(status)}`);
          if (status.attempt !== null && status.attempt >= 2) reported.set(status.attempt, status.lastFailure);
          await new Promise((r) => setTimeout(r, 100));
          status = await readRestoreStatus(handle);
        }
        reported.set(status.attempt!, status.lastFailure);
        console.log(`      -> ${status.status}, phase ${status.phase}, attempt ${status.attempt}: ${status.lastFailure}`);
        assert.equal(status.phase, 'SyncBase');
        assert.ok(reported.size >= 1 && [...reported.keys()].includes(status.attempt!));
        for (const [attempt, lastFailure] of reported) {
          assert.match(String(lastFailure), /no space left on device \(ENOSPC\)/, `attempt ${attempt} reports the full disk`);
          assert.ok(String(lastFailure).includes(mount), `attempt ${attempt}: the message names the path: ${lastFailure}`);
          assert.match(String(lastFailure), /retries this step by itself/);
        }
        assert.ok(!existsSync(destination), 'the destination is not created while the disk is full');
        // Room is made (the file system grows): the next attempt succeeds and the restore completes on its own.
        await run('mount', ['-o', 'remount,size=256m', mount]);
        const result: RestoreResult = await handle.result();
        console.log(`      -> after making room: COMPLETED, ${result.verify.state} at ${result.verify.lastReplayedCommit}`);
        assert.equal(result.verify.state, 'paused');
        // One base step that took several attempts (the workflow did not start over), and the base backup
        // downloaded once: the retries read the parts already on disk.
        const events = (await handle.fetchHistory()).events ?? [];
        const base = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'syncAndExtractBaseBackup');
        assert.equal(base.length, 1);
        const baseStarted = events.find((e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId) === String(base[0]!.eventId));
        assert.ok((baseStarted?.activityTaskStartedEventAttributes?.attempt ?? 0) >= 2, 'the base step succeeded on a retry');
        assert.ok(result.base.bytesFetched < result.base.bytesTotal, `the last attempt fetched ${result.base.bytesFetched} of ${result.base.bytesTotal} bytes: the rest was on disk`);
      } finally {
        await small?.close();
        await unmount(mount);
      }
    });
  });
});

async function unmount(dir: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await run('umount', [dir]);
      return;
    } catch (err) {
      if (i >= 20) {
        await run('umount', ['-l', dir]);
        return;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
