// Two attempts of one step never write side by side (issue 10, item 3). After a heartbeat timeout Temporal
// retries a step while the earlier attempt may still run; here both attempts run the real WAL transfer
// at once, into the same work area, against the real S3 server: one works, the other is fenced off with a
// retryable failure naming the holder, and once the holder is done the retry goes through.
import { MockActivityEnvironment } from '@temporalio/testing';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createActivities } from '../../src/activities';
import { restoreWorkDir } from '../../src/activities/deps';
import { destinationControl } from '../../src/io/destination-control';
import { loadWorkerSettings } from '../../src/settings';
import { restoreWorkflowId, type RestoreInput, type RestorePlan, type TransferResult } from '../../src/shared';
import { activityDeps } from '../../src/worker';
import { between, loadFixture, marker } from '../support/fixture';
import { REPO_ROOT, requireStackEnv } from '../support/stack-env';

describe('attempt fence and retries (real S3, steps run directly)', function () {
  this.timeout(180_000);
  const fixture = loadFixture();
  const settings = loadWorkerSettings(requireStackEnv().env);
  const deps = activityDeps(settings, requireStackEnv().env);
  const activities = createActivities(deps);
  const destination = join(REPO_ROOT, '.stack', 'restored', `fence-${randomUUID()}`);
  const targetTime = between(marker(fixture, 'after-b2-1'), marker(fixture, 'after-b2-2'));
  const input: RestoreInput = {
    server: fixture.server,
    bucket: fixture.bucket,
    prefix: fixture.prefix,
    target: { kind: 'time', utc: targetTime, given: targetTime },
    destination,
    taskQueue: 'unused',
    force: false,
    timings: { retryInitialMs: 200, retryMaximumMs: 2000, heartbeatTimeoutMs: 30_000 },
  };
  const workflowExecution = { workflowId: restoreWorkflowId(input.server, destination), runId: randomUUID() };
  const step = (activityType: string, attempt: number) => new MockActivityEnvironment({ activityType, attempt, workflowExecution });

  after(async () => {
    await rm(restoreWorkDir(deps, input).root, { recursive: true, force: true });
    await rm(destinationControl(settings.workRoot, destination).dir, { recursive: true, force: true });
  });

  it('fences off a second attempt of the WAL transfer while the first runs, then lets the retry through', async () => {
    const plan: RestorePlan = await step('planRestore', 1).run(activities.planRestore, input);
    const outcomes = await Promise.allSettled([step('syncWalRange', 1).run(activities.syncWalRange, input, plan), step('syncWalRange', 2).run(activities.syncWalRange, input, plan)]);
    const fulfilled = outcomes.filter((o) => o.status === 'fulfilled');
    const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    assert.equal(fulfilled.length, 1, `exactly one attempt transfers: ${outcomes.map((o) => o.status).join(', ')}`);
    assert.equal(rejected.length, 1);
    assert.match(String(rejected[0]!.reason?.message), /attempt \d of syncWalRange \(process \d+ on .*\) still works on this restore/);
    assert.equal((rejected[0]!.reason as { nonRetryable?: boolean }).nonRetryable ?? false, false, 'fenced off is retryable');
    // The holder is done: the retry takes the fence and finds everything downloaded.
    const retry: TransferResult = await step('syncWalRange', 3).run(activities.syncWalRange, input, plan);
    assert.equal(retry.bytesFetched, 0);
  });

  it('reports the whole base backup from a retry that finds its directories already extracted, with nothing fetched', async () => {
    // A base step whose attempt extracted everything but could not report it (a heartbeat timeout while the Temporal
    // server was down, a worker killed after the rename) is retried, and so is every step of a resumed restore.
    const plan: RestorePlan = await step('planRestore', 1).run(activities.planRestore, input);
    const first: TransferResult = await step('syncAndExtractBaseBackup', 1).run(activities.syncAndExtractBaseBackup, input, plan);
    const retry: TransferResult = await step('syncAndExtractBaseBackup', 2).run(activities.syncAndExtractBaseBackup, input, plan);
    assert.ok(first.objects >= 2 && first.bytesTotal > 1_000_000, `the first attempt transfers backup.info and the tarball: ${JSON.stringify(first)}`);
    assert.deepEqual(retry, { objects: first.objects, objectsSkipped: first.objects, bytesFetched: 0, bytesTotal: first.bytesTotal });
  });
});
