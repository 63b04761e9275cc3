// `pitr backups` across a timeline switch (issue 11, item 3), on the real stack: the c319-failover-15 fixture
// holds one backup on timeline 1 and, in the same server folder, timeline 2 of a point-in-time copy promoted
// between after-b1-1 and after-b1-2 (its 00000002.history names the switch LSN); timeline 1 went on writing
// after the branch (after-b1-2..4). The timeline-1 backup reaches timeline 2 through the switch (PostgreSQL
// follows it: recovery_target_timeline = latest), so timeline 2 has a recoverable window; timeline 1's window
// runs past the branch, and the overview must say where and from which commit timeline 2 abandoned it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseOffsetTimestamp, type UtcMicros } from '../../src/core/timestamp';
import { loadFixture, marker, utc, type Fixture } from '../support/fixture';
import { REPO_ROOT, requireStackEnv } from '../support/stack-env';

const SERVER = 'c319-failover-15';

async function pitrBackups(extra: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [join(REPO_ROOT, 'bin', 'pitr.js'), 'backups', '--server', SERVER, ...extra], {
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
    [out, text] = await Promise.all([pitrBackups(['--json']).then((s) => JSON.parse(s)), pitrBackups([])]);
    console.log(text.replace(/^/gm, '      '));
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

  it('says both in the human output', () => {
    const switchLsn = fixture.branch!.switchLsn;
    assert.ok(text.includes(`timeline 2 (branched from timeline 1 at ${switchLsn}):`), text);
    assert.match(text, new RegExp(`timeline 2 .*\\n(?:.*\\n)*?  recoverable window: \\S+ \\S+ \\(end of backup ${fixture.backups[0]!.id} on timeline 1\\)`));
    assert.match(text, new RegExp(`  abandoned at ${switchLsn} by timeline 2: commits timeline 1 wrote from \\S+ \\S+ on .* are not in timeline 2's history`));
    assert.ok(text.includes('--target-tli 1'), text);
    assert.ok(!text.includes('no completed backup on timeline 2'), text);
  });
});
