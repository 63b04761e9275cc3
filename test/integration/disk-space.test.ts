// A restore checks the disk it will need before copying: a destination on a filesystem too small for
// the extracted backup is refused while planning, naming what is needed and what is free.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { between, marker } from '../support/fixture';
import { openRestoreHarness, type RestoreHarness } from '../support/restore-harness';

const run = promisify(execFile);

describe('disk space checked before copying (real stack)', function () {
  this.timeout(120_000);
  let harness: RestoreHarness;
  let small: string;

  before(async () => {
    harness = await openRestoreHarness();
    small = await mkdtemp(join(tmpdir(), 'pitr-small-disk-'));
    await run('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', small]);
  });

  after(async () => {
    await harness?.close();
    if (small) {
      await run('umount', [small]).catch(() => undefined);
      await rm(small, { recursive: true, force: true });
    }
  });

  it('refuses a destination whose filesystem cannot hold the restored backup, before downloading it', async () => {
    const { fixture } = harness;
    const destination = join(small, 'restored');
    const target = between(marker(fixture, 'after-b2-1'), marker(fixture, 'after-b2-2'));
    const { type, message } = await harness.expectFailure(harness.inputFor(target, destination));
    assert.equal(type, 'InsufficientSpace');
    assert.match(message, new RegExp(`not enough disk space for this restore: the destination ${destination} needs \\d+\\.\\d MiB, \\d+\\.\\d MiB free at ${small}`));
    assert.match(message, /--force skips this check/);
    assert.deepEqual(await readdir(small), [], 'nothing was written to the small filesystem');
    const downloads = harness.workArea({ server: fixture.server, destination }).downloads;
    assert.ok(!existsSync(downloads), 'no base backup byte was downloaded');
  });
});
