// `pitr backups` across a timeline switch (issue 11, item 3), on the real stack: the c319-failover-15 fixture
// holds one backup on timeline 1 and, in the same server folder, timeline 2 of a point-in-time copy promoted
// between after-b1-1 and after-b1-2 (its 00000002.history names the switch LSN); timeline 1 went on writing
// after the branch (after-b1-2..4). The timeline-1 backup reaches timeline 2 through the switch (PostgreSQL
// follows it: recovery_target_timeline = latest), so timeline 2 has a recoverable window; timeline 1's window
// runs past the branch, and the overview must say where and from which commit timeline 2 abandoned it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DeleteObjectsCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { parseWalKey, serverPrefix } from '../../src/core/s3-layout';
import { parseOffsetTimestamp, type UtcMicros } from '../../src/core/timestamp';
import { isSegmentName, parseSegmentName, segmentNameForLsn } from '../../src/core/wal-names';
import { createS3Client } from '../../src/io/s3-client';
import { listAll } from '../../src/io/s3-listing';
import { loadFixture, marker, utc, type Fixture } from '../support/fixture';
import { openRestoreHarness, type RestoreHarness } from '../support/restore-harness';
import { REPO_ROOT, requireStackEnv } from '../support/stack-env';

const SERVER = 'c319-failover-15';

/** The worker `pitr backups` runs on (the CLI reads nothing itself). */
let harness: RestoreHarness | undefined;

async function pitrBackups(extra: string[], server = SERVER): Promise<string> {
  const queue = ['--task-queue', harness!.taskQueue];
  const { stdout } = await promisify(execFile)(process.execPath, [join(REPO_ROOT, 'bin', 'pitr.js'), 'backups', '--server', server, ...queue, ...extra], {
    env: process.env,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

function instant(text: string): UtcMicros {
  const parsed = parseOffsetTimestamp(text);
  assert.ok(parsed, `${text} is a time with an offset`);
  return parsed;
}

describe('pitr backups on a failover archive: windows through timeline switches, and where a parent was abandoned', function () {
  this.timeout(300_000);
  let fixture: Fixture;
  let out: Record<string, any>;
  let text: string;

  before(async () => {
    requireStackEnv();
    fixture = loadFixture(SERVER);
    assert.equal(fixture.shape, 'failover', `${SERVER} is the failover fixture`);
    assert.ok(fixture.branch, `${SERVER}.json records the branch`);
    harness = await openRestoreHarness({ server: SERVER });
    [out, text] = await Promise.all([pitrBackups(['--json']).then((s) => JSON.parse(s)), pitrBackups([])]);
    console.log(text.replace(/^/gm, '      '));
  });

  after(async () => {
    await harness?.close();
  });

  const timeline = (n: number) => {
    const found = out.timelines.find((t: { timeline: number }) => t.timeline === n);
    assert.ok(found, `timeline ${n} in ${JSON.stringify(out.timelines.map((t: { timeline: number }) => t.timeline))}`);
    return found;
  };

  it('gives timeline 2 the window from the end of the timeline-1 backup to the last commit on its path', () => {
    const backup = fixture.backups[0]!;
    const t2 = timeline(2);
    assert.deepEqual(t2.branchedFrom, { timeline: fixture.branch!.parentTimeline, switchLsn: fixture.branch!.switchLsn });
    assert.deepEqual(t2.ancestors, [{ timeline: 1, switchLsn: fixture.branch!.switchLsn }]);
    assert.equal(t2.windows.length, 1, JSON.stringify(t2));
    const [window] = t2.windows;
    assert.equal(instant(window.from), utc(backup.endTime));
    assert.equal(window.fromBackup, backup.id);
    assert.equal(window.fromTimeline, 1);
    // The last commit on timeline 2 is tl2-2's; timeline 1's later after-b1-4 is not on its path.
    assert.ok(instant(window.to) >= marker(fixture, 'tl2-2').committedAt, `${window.to} is at or after tl2-2`);
    assert.ok(instant(window.to) < marker(fixture, 'after-b1-4').committedAt, `${window.to} is before timeline 1's after-b1-4`);
    assert.match(window.toSegment, /^00000002/);
    assert.equal(t2.checkedFrom, backup.beginWal, 'the path starts at the backup on timeline 1');
    assert.deepEqual(t2.gaps, []);
    assert.ok(!t2.notes.some((n: string) => /no completed backup/.test(n)), t2.notes.join('\n'));
    assert.deepEqual(t2.abandoned, []);
  });

  it('keeps timeline 1 its own window and marks where timeline 2 abandoned it, from the first commit after the switch', () => {
    const t1 = timeline(1);
    assert.equal(t1.branchedFrom, null);
    assert.equal(t1.windows.length, 1);
    assert.equal(t1.windows[0].fromTimeline, 1);
    assert.ok(instant(t1.windows[0].to) >= marker(fixture, 'after-b1-4').committedAt);
    assert.equal(t1.abandoned.length, 1, JSON.stringify(t1.abandoned));
    const [mark] = t1.abandoned;
    assert.equal(mark.byTimeline, 2);
    assert.equal(mark.switchLsn, fixture.branch!.switchLsn);
    // The copy stopped before after-b1-2's commit: that is the first commit timeline 1 wrote after the switch.
    const first = instant(mark.firstCommitAfter);
    assert.ok(first >= marker(fixture, 'after-b1-2').committedAt && first < marker(fixture, 'after-b1-3').committedAt, `${mark.firstCommitAfter} is after-b1-2's commit`);
    assert.match(mark.firstCommitAfterSegment, /^00000001/);
    assert.equal(out.newestTimeline, 2);
  });

  /**
   * Copies the fixture's backup.info files, WAL and history files (no tars: `pitr backups` never reads them) to a
   * new server folder, leaving out the WAL whose name `without` accepts and writing `replace` over the WAL it names
   * (by WAL name, whatever the compression extension); runs `check` on it, then removes the copy.
   */
  async function withCraftedCopy(without: (walName: string) => boolean, replace: Record<string, string>, check: (server: string) => Promise<void>): Promise<void> {
    const s3 = createS3Client();
    const server = `tl-overview-${randomBytes(4).toString('hex')}`;
    const source = serverPrefix(fixture.prefix, SERVER);
    const target = serverPrefix(fixture.prefix, server);
    try {
      for (const object of await listAll(s3, fixture.bucket, source)) {
        const wal = parseWalKey(object.key);
        if (!object.key.endsWith('/backup.info') && (wal === null || without(wal.name))) continue;
        const body = (wal && replace[wal.name]) ?? (await (await s3.send(new GetObjectCommand({ Bucket: fixture.bucket, Key: object.key }))).Body!.transformToByteArray());
        await s3.send(new PutObjectCommand({ Bucket: fixture.bucket, Key: target + object.key.slice(source.length), Body: body }));
      }
      await check(server);
    } finally {
      const keys = (await listAll(s3, fixture.bucket, target)).map((o) => ({ Key: o.key }));
      if (keys.length > 0) await s3.send(new DeleteObjectsCommand({ Bucket: fixture.bucket, Delete: { Objects: keys, Quiet: true } }));
      s3.destroy();
    }
  }

  it("ends timeline 2's window on timeline 1 and says so when only timeline 1's copy of the switch segment is archived (crafted copy)", async () => {
    // docs/barman-pitr-facts.md §7's trap: PostgreSQL would replay timeline 1's copy of that segment and restore the abandoned rows.
    const switchSegment = segmentNameForLsn(2, fixture.branch!.switchLsn, 16 * 1024 * 1024);
    // The copy archives the switch segment, and the next one too when it wrote WAL after its last switch
    // (PostgreSQL switches segments at shutdown when archiving): every timeline-2 segment is left out.
    assert.ok(timeline(2).lastArchived! >= switchSegment, `the fixture archives timeline 2 from ${switchSegment} on (${timeline(2).lastArchived})`);
    await withCraftedCopy((name) => isSegmentName(name) && parseSegmentName(name).timeline === 2, {}, async (server) => {
      const t2 = JSON.parse(await pitrBackups(['--json'], server)).timelines.find((t: { timeline: number }) => t.timeline === 2);
      // Timeline 2 archived nothing else: its path ends on timeline 1, before the switch.
      assert.deepEqual(t2.gaps, []);
      assert.match(t2.notes.join('\n'), new RegExp(`no WAL of timeline 2 is archived from ${switchSegment} on, where it branched off`));
      for (const w of t2.windows) assert.ok(instant(w.to) < marker(fixture, 'tl2-1').committedAt, `${w.to} is before timeline 2's first commit`);
      assert.ok(t2.lastCommitSegment === null || t2.lastCommitSegment.startsWith('00000001'), t2.lastCommitSegment);
    });
  });

  it('names an unusable history file and shows its timeline without ancestry, instead of failing (crafted copy)', async () => {
    await withCraftedCopy(() => false, { '00000002.history': 'not a history file\n' }, async (server) => {
      const out = JSON.parse(await pitrBackups(['--json'], server));
      assert.deepEqual(
        out.unreadableHistoryFiles.map((h: { name: string }) => h.name),
        ['00000002.history'],
      );
      const t2 = out.timelines.find((t: { timeline: number }) => t.timeline === 2);
      assert.equal(t2.branchedFrom, null);
      assert.deepEqual(t2.windows, []);
      assert.match(t2.notes.join('\n'), /the archive holds no usable 00000002\.history/);
      const text = await pitrBackups([], server);
      assert.match(text, /^00000002\.history skipped: timeline history file 00000002\.history .* cannot be used: /m);
    });
  });

  it('says both in the human output', () => {
    const switchLsn = fixture.branch!.switchLsn;
    assert.ok(text.includes(`timeline 2 (branched from timeline 1 at ${switchLsn}):`), text);
    assert.match(text, new RegExp(`timeline 2 .*\\n(?:.*\\n)*?  recoverable window: \\S+ \\S+ \\(end of backup ${fixture.backups[0]!.id} on timeline 1\\)`));
    assert.match(text, new RegExp(`  abandoned at ${switchLsn} by timeline 2: commits timeline 1 wrote from \\S+ \\S+ on .* are not in timeline 2's history`));
    assert.ok(text.includes('--target-tli 1'), text);
    assert.ok(!text.includes('no completed backup on timeline 2'), text);
  });
});
