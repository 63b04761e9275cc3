// Destination policy (issue 10, item 8) on the real stack: the path checked is the path written (no
// symbolic link on the way), system directories and paths outside the allowed roots are refused even
// with --force, and one destination takes one restore, whatever the server name. Each refusal comes
// from the first step, at its first attempt, with nothing created.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRestoreStatus } from '../../src/cli/restore-status';
import type { RestoreResult } from '../../src/shared';
import { runFailingRestore } from '../support/bad-input-failure';
import { between, labelsUpTo, loadFixture, marker } from '../support/fixture';
import { openRestoreHarness, type RestoreHarness } from '../support/restore-harness';
import { queryRestoredMarkers } from '../support/restored-cluster';
import { REPO_ROOT } from '../support/stack-env';
import { waitFor } from '../support/workflow-history';

describe('destination policy (real stack)', function () {
  this.timeout(300_000);
  let harness: RestoreHarness;
  let scratch: string;
  const allowedRoot = join(REPO_ROOT, '.stack', 'restored');

  before(async () => {
    // This worker allows destinations under .stack/restored only (PITR_DESTINATION_ROOTS).
    harness = await openRestoreHarness({ settings: { destinationRoots: [allowedRoot] } });
    scratch = await mkdtemp(join(tmpdir(), 'pitr-policy-'));
  });
  after(async () => {
    await harness?.close();
    await rm(scratch, { recursive: true, force: true });
  });

  const target = () => between(marker(harness.fixture, 'after-b2-1'), marker(harness.fixture, 'after-b2-2'));

  const refusedAtFirstStep = async (destination: string, pattern: RegExp, force = false) => {
    const failure = await runFailingRestore(harness, harness.inputFor(target(), destination, { force }));
    assert.equal(failure.type, 'InvalidDestination', failure.message);
    assert.equal(failure.activity?.name, 'planRestore');
    assert.equal(failure.activity?.attempt, 1);
    assert.match(failure.message, pattern);
    return failure;
  };

  it('refuses a destination reached through a symbolic link, naming the real path', async () => {
    const real = join(allowedRoot, `real-${randomBytes(4).toString('hex')}`);
    await mkdir(real, { recursive: true });
    const link = join(allowedRoot, `link-${randomBytes(4).toString('hex')}`);
    await symlink(real, link);
    try {
      await refusedAtFirstStep(join(link, 'restored'), new RegExp(`leads through a symbolic link to ${real}/restored.*Give the real path`));
      assert.deepEqual(await readdir(real), [], 'nothing was created at the real path');
    } finally {
      await rm(link, { force: true });
      await rm(real, { recursive: true, force: true });
    }
  });

  it('refuses system directories, even with --force, and moves nothing', async () => {
    await refusedAtFirstStep(`/etc/pitr-${randomBytes(4).toString('hex')}`, /system tree \/etc, where no database belongs/);
    await refusedAtFirstStep('/usr', /system tree \/usr/, true);
    await refusedAtFirstStep('/var/lib', /shared system directory/, true);
    assert.ok(existsSync('/usr/bin') && existsSync('/var/lib/dpkg'));
  });

  it('refuses a destination outside PITR_DESTINATION_ROOTS, even with --force', async () => {
    const outside = join(scratch, 'restored');
    await mkdir(outside);
    await refusedAtFirstStep(outside, /outside the destination roots this worker allows \(PITR_DESTINATION_ROOTS=.*\.stack\/restored\)/, true);
    assert.ok(existsSync(outside), 'the directory was not moved aside');
  });

  it('one destination takes one restore: a second one under another server name is refused while the first runs', async () => {
    const destination = harness.newDestination();
    const first = await harness.start(harness.inputFor(target(), destination));
    await waitFor('the first restore to hold the destination', 60_000, async () => (await readRestoreStatus(first)).phase !== 'Plan');
    const other = loadFixture('c319-lz4-zstd-15');
    const failure = await runFailingRestore(harness, {
      ...harness.inputFor(between(marker(other, 'after-b1-1'), marker(other, 'after-b1-2')), destination),
      server: other.server,
      bucket: other.bucket,
      prefix: other.prefix,
    });
    assert.equal(failure.type, 'InvalidDestination');
    assert.equal(failure.activity?.attempt, 1);
    assert.match(failure.message, new RegExp(`restore ${first.workflowId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} already restores into ${destination}; one destination takes one restore at a time`));
    const result: RestoreResult = await first.result();
    assert.deepEqual(await queryRestoredMarkers(destination, result.plan.pgVersion), labelsUpTo(harness.fixture, target()), 'the first restore is untouched');
  });
});
