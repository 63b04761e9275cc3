// The operator commands on the real stack and fixture, run as a person would (`node bin/pitr.js ...`):
// `pitr backups` (backups, recoverable window, WAL gaps), `pitr plan` (a dry run that copies nothing)
// and `pitr list` (restores from Temporal visibility). plan and backups run on a worker (the suite's, in this process).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DeleteObjectsCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { restoreWorkDir } from '../../src/activities/deps';
import { parseWalKey, serverPrefix } from '../../src/core/s3-layout';
import { segmentFromIndex, segmentIndex } from '../../src/core/wal-names';
import { createS3Client } from '../../src/io/s3-client';
import { listAll } from '../../src/io/s3-listing';
import { addMicros, parseOffsetTimestamp, type UtcMicros } from '../../src/core/timestamp';
import { loadWorkerSettings } from '../../src/settings';
import type { RestoreResult } from '../../src/shared';
import { between, loadFixture, marker, utc, type Fixture } from '../support/fixture';
import { openRestoreHarness, type RestoreHarness } from '../support/restore-harness';
import { REPO_ROOT, requireStackEnv } from '../support/stack-env';

const run = promisify(execFile);

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The queue of the worker `pitr plan` and `pitr backups` run on: the suite's. */
let workerQueue: string | undefined;

function pitr(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  const queue = { PITR_TASK_QUEUE: workerQueue, PITR_SERVER_QUEUES: '' };
  return run(process.execPath, [join(REPO_ROOT, 'bin', 'pitr.js'), ...args], { env: { ...process.env, ...queue, ...env }, maxBuffer: 16 * 1024 * 1024 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );
}

function json<T = Record<string, any>>(result: CliResult): T {
  assert.equal(result.code, 0, `exit ${result.code}: ${result.stderr}${result.stdout}`);
  return JSON.parse(result.stdout) as T;
}

/** An offset time printed by the CLI (`2026-11-24 23:00:27.990436+00:00` or ISO) as a UTC instant. */
function instant(text: string): UtcMicros {
  const parsed = parseOffsetTimestamp(text);
  assert.ok(parsed, `${text} is a time with an offset`);
  return parsed;
}

async function listTree(root: string): Promise<string[]> {
  return (await readdir(root, { recursive: true })).sort();
}

describe('operator commands: backups, plan, list (real stack, pitr CLI)', function () {
  this.timeout(300_000);
  let fixture: Fixture;
  let scratch: string;
  let worker: RestoreHarness;

  before(async () => {
    requireStackEnv();
    fixture = loadFixture();
    scratch = await mkdtemp(join(tmpdir(), 'pitr-operator-'));
    worker = await openRestoreHarness();
    workerQueue = worker.taskQueue;
  });

  after(async () => {
    await worker?.close();
    await rm(scratch, { recursive: true, force: true });
  });

  describe('pitr backups', () => {
    it('lists both fixture backups with their end times, the window from the older one to the last commit, and no gap', async () => {
      const result = await pitr(['backups', '--server', fixture.server, '--bucket', fixture.bucket, '--prefix', fixture.prefix]);
      assert.equal(result.code, 0, result.stderr);
      const [older, newer] = fixture.backups;
      for (const backup of fixture.backups) {
        const row = result.stdout.split('\n').find((line) => line.startsWith(backup.id));
        assert.ok(row, `a row for backup ${backup.id} in:\n${result.stdout}`);
        assert.match(row, /\bDONE\b/);
        assert.ok(row.includes(`${utc(backup.endTime).slice(0, 10)} ${utc(backup.endTime).slice(11, 26)}+00:00`), `end time with offset and microseconds in: ${row}`);
        assert.ok(row.includes(backup.beginWal) && row.includes(backup.endWal));
        assert.match(row, /\bgzip$/);
      }
      const window = /recoverable window: (\S+ \S+) \(end of backup (\S+)\)\s+to (\S+ \S+) \(last archived commit/.exec(result.stdout);
      assert.ok(window, result.stdout);
      assert.equal(instant(window[1]!), utc(older!.endTime));
      assert.equal(window[2], older!.id);
      assert.ok(instant(window[3]!) >= marker(fixture, 'tail').committedAt, `${window[3]} is at or after the tail marker`);
      assert.match(result.stdout, new RegExp(`WAL gaps: none from ${older!.beginWal}`));
      assert.ok(newer);
    });

    it('--json gives the same facts as a stable object', async () => {
      const out = json(await pitr(['backups', '--server', fixture.server, '--json']));
      assert.deepEqual(
        out.backups.map((b: { id: string }) => b.id),
        fixture.backups.map((b) => b.id),
      );
      out.backups.forEach((b: Record<string, any>, i: number) => {
        const expected = fixture.backups[i]!;
        assert.equal(instant(b.endTime), utc(expected.endTime));
        assert.equal(instant(b.beginTime), utc(expected.beginTime));
        assert.match(b.endTime, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$/);
        assert.equal(b.beginWal, expected.beginWal);
        assert.equal(b.status, 'DONE');
        assert.equal(b.timeline, 1);
        assert.equal(b.compression, 'gzip');
        assert.ok(b.tarBytes > 0 && b.tarObjects >= 1);
      });
      assert.equal(out.timelines.length, 1);
      const [timeline] = out.timelines;
      assert.equal(timeline.windows.length, 1, 'one window: the WAL has no hole');
      const [window] = timeline.windows;
      assert.equal(instant(window.from), utc(fixture.backups[0]!.endTime));
      assert.equal(window.fromBackup, fixture.backups[0]!.id);
      assert.ok(instant(window.to) >= marker(fixture, 'tail').committedAt);
      assert.equal(window.to, timeline.lastCommit);
      // The segment holding the last commit; a later one (the shutdown checkpoint's) may be archived too.
      assert.ok(window.toSegment <= timeline.lastArchived, `${window.toSegment} is at most ${timeline.lastArchived}`);
      assert.deepEqual(timeline.gaps, []);
      assert.equal(timeline.checkedFrom, fixture.backups[0]!.beginWal);
    });

    it('names the first missing segment of each hole and splits the window there (crafted copy of the fixture)', async () => {
      const s3 = createS3Client();
      const server = `ops-gap-${randomBytes(4).toString('hex')}`;
      const source = serverPrefix(fixture.prefix, fixture.server);
      const target = serverPrefix(fixture.prefix, server);
      // Both backup.info files and the WAL from the older backup on, without two segments: the one just
      // before the newer backup begins, and the second after it ends (the one between holds the after-b2
      // markers). Where the backups begin varies from one fixture build to the next.
      const size = 16 * 1024 * 1024;
      const at = (name: string, offset: number) => segmentFromIndex(1, segmentIndex(name, size) + offset, size);
      const [older, newer] = fixture.backups;
      const missing = [at(newer!.beginWal, -1), at(newer!.endWal, 2)];
      assert.ok(missing[0]! > older!.endWal, `the fixture leaves a segment between backup ${older!.id} (ends in ${older!.endWal}) and ${newer!.id} (begins in ${newer!.beginWal})`);
      const copied = (await listAll(s3, fixture.bucket, source)).filter((o) => {
        if (o.key.endsWith('/backup.info')) return true;
        const wal = parseWalKey(o.key);
        return wal?.kind === 'segment' && wal.name >= fixture.backups[0]!.beginWal && !missing.includes(wal.name);
      });
      try {
        for (const object of copied) {
          const body = await (await s3.send(new GetObjectCommand({ Bucket: fixture.bucket, Key: object.key }))).Body!.transformToByteArray();
          await s3.send(new PutObjectCommand({ Bucket: fixture.bucket, Key: target + object.key.slice(source.length), Body: body }));
        }
        const out = json(await pitr(['backups', '--server', server, '--json']));
        const [timeline] = out.timelines;
        assert.deepEqual(
          timeline.gaps.map((g: { firstMissing: string; after: string }) => [g.firstMissing, g.after]),
          [
            [missing[0], at(missing[0]!, -1)],
            [missing[1], at(missing[1]!, -1)],
          ],
        );
        assert.deepEqual(
          timeline.windows.map((w: { fromBackup: string }) => w.fromBackup),
          fixture.backups.map((b) => b.id),
          'one window per unbroken run of WAL with a backup in it',
        );
        assert.ok(timeline.windows[0].to < timeline.windows[1].from, 'the first window ends before the hole');
        assert.match(timeline.notes.join('\n'), new RegExp(`no completed backup begins in the WAL ${at(missing[1]!, 1)}`));

        const text = await pitr(['backups', '--server', server]);
        assert.equal(text.code, 0, text.stderr);
        assert.ok(text.stdout.includes(`WAL gap: missing ${missing[0]}, after ${at(missing[0]!, -1)}; the archive resumes at ${newer!.beginWal}`), text.stdout);
        assert.ok(text.stdout.includes(`WAL gap: missing ${missing[1]}, after ${at(missing[1]!, -1)}`), text.stdout);
      } finally {
        const keys = (await listAll(s3, fixture.bucket, target)).map((o) => ({ Key: o.key }));
        if (keys.length > 0) await s3.send(new DeleteObjectsCommand({ Bucket: fixture.bucket, Delete: { Objects: keys, Quiet: true } }));
        s3.destroy();
      }
    });

    it('refuses a server folder that holds nothing', async () => {
      const result = await pitr(['backups', '--server', 'no-such-server']);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /nothing under s3:\/\/.*no-such-server\/.*check the server name/);
    });
  });

  describe('pitr plan', () => {
    it('explains the choice of the older backup for a target between its markers, and copies nothing', async () => {
      const barmanHome = join(scratch, 'barman-home');
      const planTmp = join(scratch, 'plan-tmp');
      await mkdir(barmanHome);
      await mkdir(planTmp);
      // A worker with a Barman home of the test's own, so that "nothing was written there" cannot race other suites,
      // and its scratch area (the system's temporary directory: TMPDIR of this process, where it runs) in planTmp.
      const own = await openRestoreHarness({ settings: { workRoot: barmanHome } });
      const savedTmp = process.env.TMPDIR;
      process.env.TMPDIR = planTmp;
      try {
        await planCopiesNothing(own.taskQueue);
      } finally {
        if (savedTmp === undefined) delete process.env.TMPDIR;
        else process.env.TMPDIR = savedTmp;
        await own.close();
      }
    });

    async function planCopiesNothing(queue: string): Promise<void> {
      const target = between(marker(fixture, 'after-b1-1'), marker(fixture, 'after-b1-2'));
      const destination = join(scratch, 'plan-dest', 'pg');
      const barmanHome = join(scratch, 'barman-home');
      const planTmp = join(scratch, 'plan-tmp');
      const env = { PITR_TASK_QUEUE: queue };
      const args = ['plan', '--server', fixture.server, '--target-time', target, '--dest', destination];

      const out = json(await pitr([...args, '--json'], env));
      const [older, newer] = fixture.backups;
      assert.equal(out.reachable, true);
      assert.equal(out.backup.id, older!.id);
      assert.match(out.backup.reason, /newest completed backup ending at or before the target/);
      assert.deepEqual(out.skipped.map((s: { id: string }) => s.id), [newer!.id]);
      assert.match(out.skipped[0].why, /after the target/);
      assert.equal(out.wal.first, older!.beginWal);
      assert.ok(out.wal.segments > 0);
      assert.ok(instant(out.wal.firstCommitAfterTarget) > target);
      assert.ok(out.download.baseBytes > 0 && out.download.walBytes > 0);
      assert.equal(out.download.totalBytes, out.download.baseBytes + out.download.walBytes);
      assert.ok(out.baseSize.extractedBytes > out.download.baseBytes, 'the base backup is larger once extracted (gzip ISIZE)');
      assert.equal(out.baseSize.exact, false);
      assert.ok(out.space.destination.requiredBytes >= out.baseSize.extractedBytes + out.wal.segments * out.wal.segmentSize);
      assert.ok(out.space.barmanHome.requiredBytes > out.baseSize.extractedBytes);
      assert.ok(out.space.destination.freeBytes > 0);
      assert.equal(out.space.destination.measuredAt, scratch, 'free space is measured at the nearest existing ancestor');
      assert.equal(out.space.enough, true);
      assert.equal(out.space.barmanHome.path, barmanHome, "the worker's Barman home");
      assert.equal(out.destinationState, 'absent');

      const text = await pitr(args, env);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, new RegExp(`backup\\s+${older!.id}, ended `));
      assert.match(text.stdout, new RegExp(`not\\s+${newer!.id}: ends at \\S+ \\S+\\+00:00, after the target`));
      assert.match(text.stdout, /WAL\s+\S+\.\.\S+: \d+ segments? of/);
      assert.match(text.stdout, /extracted\s+base backup .*estimate/);
      assert.match(text.stdout, /reachable\s+yes/);

      assert.ok(!existsSync(destination), 'the destination is not created');
      assert.ok(!existsSync(join(scratch, 'plan-dest')), 'nor its parent');
      assert.deepEqual(await listTree(barmanHome), [], 'nothing is written into the Barman home');
      assert.deepEqual(await listTree(planTmp), [], 'the scratch directory is removed');
      // Nor into the real Barman home, where a restore into this destination would work.
      const workArea = restoreWorkDir(loadWorkerSettings(), { server: fixture.server, destination }).root;
      assert.ok(!existsSync(workArea), `${workArea} is not created`);
    }

    it('exits 3 for a target an hour after the last commit, naming the last reachable time', async () => {
      const tail = marker(fixture, 'tail').committedAt;
      const target = addMicros(tail, 3_600_000_000);
      const destination = join(scratch, 'never');
      const text = await pitr(['plan', '--server', fixture.server, '--target-time', target, '--dest', destination]);
      assert.equal(text.code, 3, text.stderr + text.stdout);
      assert.match(text.stdout, /NOT REACHABLE \(TargetUnreachable\)/);
      const latest = /^latest reachable target\s+(\S+ \S+)/m.exec(text.stdout);
      assert.ok(latest, text.stdout);
      assert.ok(instant(latest[1]!) >= tail && instant(latest[1]!) < target, `${latest[1]} is between the tail marker and the target`);

      const result = await pitr(['plan', '--server', fixture.server, '--target-time', target, '--dest', destination, '--json']);
      assert.equal(result.code, 3);
      const out = JSON.parse(result.stdout);
      assert.equal(out.reachable, false);
      assert.equal(out.type, 'TargetUnreachable');
      assert.ok(instant(out.lastArchivedCommit) >= tail);
      assert.equal(instant(out.latestReachableTarget), addMicros(instant(out.lastArchivedCommit), -1));
      assert.ok(!existsSync(destination));
    });

    it('exits 3 for a target before every backup, naming the earliest reachable time', async () => {
      const target = addMicros(utc(fixture.backups[0]!.endTime), -1);
      const result = await pitr(['plan', '--server', fixture.server, '--target-time', target, '--dest', join(scratch, 'never'), '--json']);
      assert.equal(result.code, 3, result.stderr);
      const out = JSON.parse(result.stdout);
      assert.equal(out.type, 'BackupNotFound');
      assert.equal(instant(out.earliestReachableTarget), utc(fixture.backups[0]!.endTime));
    });

    it('refuses a target without an offset with exit 2', async () => {
      const result = await pitr(['plan', '--server', fixture.server, '--target-time', '2026-11-24 23:00:30', '--dest', join(scratch, 'never')]);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /has no UTC offset/);
    });
  });

  describe('pitr list', () => {
    let harness: RestoreHarness;
    before(async () => {
      harness = await openRestoreHarness();
    });
    after(async () => {
      await harness?.close();
    });

    type Listed = { id: string; status: string; server: string; backupId: string | null; phase: string | null; targetTime: string | null; startTime: string; closeTime: string | null };

    async function listed(...args: string[]): Promise<Listed[]> {
      return json<{ restores: Listed[] }>(await pitr(['list', '--limit', '1000', '--json', ...args])).restores;
    }

    /** Visibility is eventually consistent: poll until `check` holds. */
    async function eventually<T>(what: string, read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await read();
        if (check(value)) return value;
        if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}: ${JSON.stringify(value).slice(0, 2000)}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }

    it('shows restores newest first with status, server, target, backup and phase; filters by --status and --server', async () => {
      const target = between(marker(fixture, 'after-b2-1'), marker(fixture, 'after-b2-2'));
      const completed = await harness.start(harness.inputFor(target));
      const result: RestoreResult = await completed.result();
      // A restore no worker polls for: it stays running (phase Plan) until terminated.
      const stuck = await harness.start(harness.inputFor(target, undefined, { taskQueue: `nobody-${harness.taskQueue}` }));
      try {
        await listsBoth(completed.workflowId, result, stuck, target);
      } finally {
        await stuck.terminate('operator-commands test').catch(() => undefined);
      }
    });

    async function listsBoth(completedId: string, result: RestoreResult, stuck: Awaited<ReturnType<RestoreHarness['start']>>, target: UtcMicros): Promise<void> {
      const completed = { workflowId: completedId };

      const running = await eventually(
        'the stuck restore to be listed as running',
        () => listed('--status', 'running', '--server', fixture.server),
        (rows) => rows.some((r) => r.id === stuck.workflowId),
      );
      assert.ok(!running.some((r) => r.id === completed.workflowId), 'a completed restore is not running');
      const stuckRow = running.find((r) => r.id === stuck.workflowId)!;
      assert.deepEqual([stuckRow.status, stuckRow.server, stuckRow.phase, stuckRow.backupId], ['RUNNING', fixture.server, 'Plan', null]);

      const done = await eventually(
        'the completed restore to be listed',
        () => listed('--status', 'completed', '--server', fixture.server),
        (rows) => rows.some((r) => r.id === completed.workflowId && r.phase === 'Done'),
      );
      const row = done.find((r) => r.id === completed.workflowId)!;
      assert.equal(row.status, 'COMPLETED');
      assert.equal(row.server, fixture.server);
      assert.equal(row.backupId, result.plan.backupId);
      assert.equal(instant(row.targetTime!).slice(0, 23), target.slice(0, 23), 'the target (a Temporal datetime: milliseconds)');
      assert.ok(row.closeTime && row.closeTime >= row.startTime);
      assert.ok(!done.some((r) => r.id === stuck.workflowId));

      const all = await listed();
      const order = all.map((r) => r.startTime);
      assert.deepEqual(order, [...order].sort().reverse(), 'newest first');
      assert.ok(all.findIndex((r) => r.id === stuck.workflowId) < all.findIndex((r) => r.id === completed.workflowId));

      assert.deepEqual(await listed('--server', 'no-such-server'), [], '--server filters by the RestoreServer search attribute');

      await stuck.terminate('operator-commands test');
      await eventually(
        'the terminated restore to be listed',
        () => listed('--status', 'terminated', '--server', fixture.server),
        (rows) => rows.some((r) => r.id === stuck.workflowId && r.status === 'TERMINATED'),
      );

      const text = await pitr(['list', '--server', fixture.server, '--status', 'completed', '--limit', '1000']);
      assert.equal(text.code, 0, text.stderr);
      const header = text.stdout.split('\n')[0]!;
      assert.match(header, /^RESTORE ID\s+STATUS\s+SERVER\s+TARGET\s+BACKUP\s+PHASE\s+STARTED\s+CLOSED$/);
      const line = text.stdout.split('\n').find((l) => l.startsWith(`${completed.workflowId} `));
      assert.ok(line, text.stdout.slice(0, 3000));
      assert.match(line, new RegExp(`COMPLETED\\s+${fixture.server}\\s+\\S+ \\S+\\+00:00\\s+${result.plan.backupId}\\s+Done\\s`));
    }

    it('refuses an unknown --status with exit 2, listing the accepted values', async () => {
      const result = await pitr(['list', '--status', 'bogus']);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /--status "bogus" is not a restore status; accepted: running, completed, failed, cancelled, terminated, timed-out/);
      assert.equal(result.stdout, '');
    });
  });
});
