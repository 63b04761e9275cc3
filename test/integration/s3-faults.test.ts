// S3 misbehaving under a real restore: a fault-injecting proxy of our own between the worker and the
// real S3 server throws 500/503 errors, resets connections part-way through response bodies and
// answers slowly; the restore must still complete, and give exactly the database a restore without
// faults gives. Errors that retrying cannot fix (no such bucket, access denied, a backup folder
// without backup.info) must fail fast, non-retryable, with a clear message.
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { WorkflowHandle } from '@temporalio/client';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { baseBackupsPrefix } from '../../src/core/s3-layout';
import type { UtcMicros } from '../../src/core/timestamp';
import { restoreWorkflowId, type RestoreInput, type RestoreResult } from '../../src/shared';
import { between, labelsUpTo, marker } from '../support/fixture';
import { openRestoreHarness, type RestoreHarness } from '../support/restore-harness';
import { MARKERS_SQL, markerLabels, PGBENCH_ACCOUNTS_MD5_SQL, queryRestoredCluster } from '../support/restored-cluster';
import { startS3FaultProxy, type FaultCounters, type S3ErrorAnswer, type S3FaultProxy } from '../support/s3-fault-proxy';
import { useTestBucket } from '../support/s3-test-bucket';
import { requireStackEnv } from '../support/stack-env';
import { activityAttempts } from '../support/workflow-history';

const FAST_TIMINGS = { retryInitialMs: 200, retryMaximumMs: 2_000, heartbeatTimeoutMs: 30_000 };
/** A non-retryable failure must end the restore in one attempt, well within this. */
const FAIL_FAST_MS = 20_000;

describe('S3 faults: a fault-injecting proxy in front of the real S3 server', function () {
  this.timeout(300_000);
  let proxy: S3FaultProxy;
  let harness: RestoreHarness;
  /** Work areas of this suite's restores: a failed restore leaves its own behind (for a resume). */
  const workAreas: string[] = [];
  const track = (input: RestoreInput): RestoreInput => {
    workAreas.push(harness.workArea(input).root);
    return input;
  };

  before(async () => {
    requireStackEnv();
    proxy = await startS3FaultProxy({ seed: 20261124 });
    // The worker's S3 client talks to the proxy only; 256 KiB parts so that the ~5.6 MB base backup is
    // fetched as ranged GETs too (the path multi-GB backups take with the default 16 MiB parts).
    harness = await openRestoreHarness({
      s3Env: { ...process.env, AWS_ENDPOINT_URL: proxy.endpoint, AWS_ENDPOINT_URL_S3: proxy.endpoint },
      settings: { partSizeBytes: 256 * 1024 },
    });
  });

  // Registered after the hook above, so it runs with the stack's environment loaded.
  const orphanBucket = useTestBucket('orphan');

  after(async () => {
    for (const dir of workAreas) await rm(dir, { recursive: true, force: true });
    await harness?.close();
    await proxy?.stop();
  });

  async function restoreAndRead(target: UtcMicros): Promise<{ result: RestoreResult; markers: string[]; checksum: string; seconds: number; handle: WorkflowHandle }> {
    const started = Date.now();
    const handle = await harness.start(track(harness.inputFor(target, undefined, { timings: FAST_TIMINGS })));
    const result: RestoreResult = await handle.result();
    const seconds = (Date.now() - started) / 1000;
    assert.equal(result.verify.state, 'paused');
    const [markerRows, checksum] = await queryRestoredCluster(result.destination, result.plan.pgVersion, [MARKERS_SQL, PGBENCH_ACCOUNTS_MD5_SQL]);
    return { result, markers: markerLabels(markerRows), checksum, seconds, handle };
  }

  it('the proxy: seeded faults are reproducible, and with faultsOnlyOnGetObject listings pass untouched', async () => {
    const { fixture } = harness;
    const prefix = baseBackupsPrefix(fixture.prefix, fixture.server);
    const key = `${prefix}${fixture.backups[1].id}/backup.info`;
    const sequence = async () => {
      const own = await startS3FaultProxy({ seed: 7, errorRate: 0.4, resetRate: 0.3, faultsOnlyOnGetObject: true });
      // No SDK retries: each request is one decision of the proxy.
      const s3 = new S3Client({ endpoint: own.endpoint, forcePathStyle: true, region: process.env.AWS_REGION, maxAttempts: 1 });
      const outcomes: string[] = [];
      try {
        for (let i = 0; i < 20; i++) {
          const listing = await s3.send(new ListObjectsV2Command({ Bucket: fixture.bucket, Prefix: prefix }));
          assert.ok((listing.Contents ?? []).some((o) => o.Key === key), 'a listing through the proxy is complete');
          outcomes.push(
            await s3
              .send(new GetObjectCommand({ Bucket: fixture.bucket, Key: key }))
              .then((res) => res.Body!.transformToString())
              .then(
                (text) => (text.includes('backup_label') || text.includes('begin_wal') ? 'ok' : 'garbled'),
                (err: { name?: string; $metadata?: { httpStatusCode?: number } }) => (err.$metadata?.httpStatusCode ? `${err.$metadata.httpStatusCode} ${err.name}` : 'reset'),
              ),
          );
        }
        return { outcomes, counters: { ...own.counters } };
      } finally {
        s3.destroy();
        await own.stop();
      }
    };
    const first = await sequence();
    const second = await sequence();
    console.log(`      20 GETs: ${first.outcomes.join(', ')}`);
    assert.deepEqual(second.outcomes, first.outcomes, 'the same seed gives the same faults');
    assert.equal(first.counters.requests, 40);
    assert.equal(first.counters.getObjectRequests, 20);
    assert.ok(!first.outcomes.includes('garbled'));
    assert.ok(first.outcomes.includes('ok'));
    assert.ok(first.outcomes.includes('reset'));
    assert.ok(first.outcomes.includes('500 InternalError') && first.outcomes.includes('503 SlowDown'), 'both S3 error kinds');
    assert.equal(first.outcomes.filter((o) => o !== 'ok').length, first.counters.errors500 + first.counters.errors503 + first.counters.resets, 'every fault fell on a GET');
  });

  it('completes a restore through 500/503 errors, mid-body resets and slow responses, identical to one without faults', async () => {
    const { fixture } = harness;
    const target = between(marker(fixture, 'after-b2-1'), marker(fixture, 'after-b2-2'));

    proxy.set({ errorRate: 0, resetRate: 0, delayMs: 0 });
    const before = { ...proxy.counters };
    const clean = await restoreAndRead(target);
    const cleanCounters = diff(proxy.counters, before);
    assert.equal(cleanCounters.errors500 + cleanCounters.errors503 + cleanCounters.resets, 0, 'the reference restore ran without faults');

    proxy.set({ errorRate: 0.2, resetRate: 0.1, delayMs: 150, delayRate: 0.3 });
    const atFaultStart = { ...proxy.counters };
    const faulty = await restoreAndRead(target);
    proxy.set({ errorRate: 0, resetRate: 0, delayMs: 0 });
    const injected = diff(proxy.counters, atFaultStart);
    const retried = await retriedActivities(faulty.handle);

    console.log(
      `      without faults: ${cleanCounters.requests} S3 requests, ${clean.seconds.toFixed(1)} s; with faults: ${injected.requests} requests, ` +
        `${injected.errors500} x 500, ${injected.errors503} x 503, ${injected.resets} resets mid-body, ${injected.delayed} delayed by 150 ms, ` +
        `${faulty.seconds.toFixed(1)} s; activities retried: ${retried.length ? retried.join(', ') : 'none (the SDK retries absorbed every fault)'}`,
    );
    console.log(
      `      checksum of pgbench_accounts (md5, rows): ${clean.checksum} / ${faulty.checksum}; base fetched by the last syncAndExtractBaseBackup attempt: ` +
        `${faulty.result.base.bytesFetched} of ${faulty.result.base.bytesTotal} bytes (${faulty.result.base.objectsSkipped} objects already complete)`,
    );

    assert.ok(injected.errors500 + injected.errors503 > 0, 'the proxy injected 500/503 errors');
    assert.ok(injected.resets > 0, 'the proxy reset connections mid-body');
    assert.ok(injected.delayed > 0, 'the proxy delayed responses');

    assert.deepEqual(clean.markers, labelsUpTo(fixture, target));
    assert.deepEqual(faulty.markers, clean.markers, 'same marker rows with and without faults');
    assert.match(clean.checksum, /^[0-9a-f]{32} [1-9]\d*$/, 'the checksum covers a non-empty pgbench_accounts');
    assert.equal(faulty.checksum, clean.checksum, 'same pgbench_accounts content with and without faults');
    assert.equal(faulty.result.plan.backupId, clean.result.plan.backupId);
    assert.equal(faulty.result.verify.lastReplayedCommit, clean.result.verify.lastReplayedCommit);
  });

  it('downloads a base backup damaged in transit again rather than calling it corrupt, and calls it corrupt when the fresh copy fails too', async () => {
    const { fixture } = harness;
    const target = between(marker(fixture, 'after-b2-1'), marker(fixture, 'after-b2-2'));
    // One part of data.tar.gz arrives with a flipped byte: gunzip or tar choke on it, and barman-cloud's
    // multipart upload leaves no MD5 ETag to tell transit damage from a damaged backup.
    // Always the second 256 KiB part, which every attempt fetches once. The download is throttled so that
    // the extraction fails while the rest of the object is still on its way.
    proxy.set({
      errorRate: 0, resetRate: 0, delayMs: 0, bytesPerSecond: 2_000_000,
      corruptBodies: 1, corruptKeyContains: '/data.tar.gz', corruptRangePrefix: `bytes=${256 * 1024}-`,
    });
    let before = proxy.counters.corrupted;
    const restored = await restoreAndRead(target);
    const attempts = (await activityAttempts(restored.handle)).syncAndExtractBaseBackup ?? 0;
    console.log(`      ${proxy.counters.corrupted - before} body corrupted in transit; base step attempts: ${attempts}; restore ${restored.seconds.toFixed(1)} s`);
    assert.equal(proxy.counters.corrupted - before, 1, 'the proxy damaged one response');
    assert.equal(attempts, 2, 'the base step failed once, retryably, and the fresh download succeeded');
    assert.deepEqual(restored.markers, labelsUpTo(fixture, target));

    // Damaged twice (as a damaged object in the bucket would be): a non-retryable CorruptArchive after the second copy.
    proxy.set({ corruptBodies: 2 });
    before = proxy.counters.corrupted;
    const input = track(harness.inputFor(target, undefined, { timings: FAST_TIMINGS }));
    const { type, message } = await harness.expectFailure(input);
    proxy.set({ corruptBodies: 0, bytesPerSecond: 0 });
    const handle = harness.client.workflow.getHandle(restoreWorkflowId(input.server, input.destination));
    console.log(`      damaged twice -> ${type} after ${(await activityAttempts(handle)).syncAndExtractBaseBackup} attempts: ${message.slice(0, 160)}`);
    assert.equal(proxy.counters.corrupted - before, 2);
    assert.equal(type, 'CorruptArchive');
    assert.equal((await activityAttempts(handle)).syncAndExtractBaseBackup, 2);
    assert.match(message, /corrupt archive s3:\/\/\S+\/data\.tar\.gz/);
  });

  describe('errors retrying cannot fix fail fast, non-retryable, with a clear message', () => {
    const target = () => between(marker(harness.fixture, 'after-b2-1'), marker(harness.fixture, 'after-b2-2'));

    it('no such bucket', async () => {
      const bucket = `no-such-bucket-${randomUUID()}`;
      const input = track(harness.inputFor(target(), undefined, { bucket, timings: FAST_TIMINGS }));
      const { type, message, seconds, attempts } = await expectFastFailure(harness, input);
      assert.equal(type, 'BucketNotFound');
      assert.ok(message.includes(bucket), message);
      assert.match(message, /does not exist/);
      console.log(`      ${type} after ${seconds.toFixed(1)} s, attempts ${JSON.stringify(attempts)}: ${message}`);
    });

    it('access denied (wrong secret key), without the secret in the message or the history', async () => {
      const wrongSecret = `wrong-${randomUUID()}`;
      const realSecret = process.env.AWS_SECRET_ACCESS_KEY!;
      const denied = await openRestoreHarness({ s3Env: { ...process.env, AWS_ENDPOINT_URL: proxy.endpoint, AWS_ENDPOINT_URL_S3: proxy.endpoint, AWS_SECRET_ACCESS_KEY: wrongSecret } });
      try {
        const input = track(denied.inputFor(target(), undefined, { timings: FAST_TIMINGS }));
        const { type, message, seconds, attempts, history } = await expectFastFailure(denied, input);
        assert.equal(type, 'AccessDenied');
        assert.match(message, /access denied/i);
        assert.match(message, /credentials/);
        for (const secret of [wrongSecret, realSecret]) {
          assert.ok(!message.includes(secret), 'the failure message holds no secret key');
          assert.ok(!history.includes(secret), 'the workflow history holds no secret key');
        }
        console.log(`      ${type} after ${seconds.toFixed(1)} s, attempts ${JSON.stringify(attempts)}: ${message}`);
      } finally {
        await denied.close();
      }
    });

    // What a real S3 answers that retrying cannot change, injected by the proxy for every request of the restore.
    const answers: { label: string; answer: S3ErrorAnswer; type: string; says: RegExp[] }[] = [
      {
        label: 'a bucket in another region (HTTP 301 PermanentRedirect)',
        answer: {
          status: 301,
          code: 'PermanentRedirect',
          message: 'The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.',
          fields: { Endpoint: 's3.eu-west-3.amazonaws.com' },
          headers: { 'x-amz-bucket-region': 'eu-west-3' },
        },
        type: 'WrongRegion',
        says: [/HTTP 301 PermanentRedirect/, /in region eu-west-3/, /Set AWS_REGION=eu-west-3 on the worker/],
      },
      {
        label: "the wrong region at the bucket's regional endpoint (HTTP 400 AuthorizationHeaderMalformed)",
        answer: { status: 400, code: 'AuthorizationHeaderMalformed', message: "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-3'", fields: { Region: 'eu-west-3' } },
        type: 'WrongRegion',
        says: [/HTTP 400 AuthorizationHeaderMalformed/, /in region eu-west-3/],
      },
      {
        label: 'access denied by a bucket policy (HTTP 403 AccessDenied)',
        answer: { status: 403, code: 'AccessDenied', message: 'Access Denied' },
        type: 'AccessDenied',
        says: [/access denied to s3:\/\//, /check the AWS credentials/],
      },
      {
        label: 'a request S3 refuses (HTTP 400 InvalidRequest)',
        answer: { status: 400, code: 'InvalidRequest', message: 'Missing required header for this request: x-amz-content-sha256' },
        type: 'S3RequestRejected',
        says: [/S3 refused the request on s3:\/\/\S+ \(HTTP 400 InvalidRequest: Missing required header/, /sending it again gets the same answer/, /AWS_ENDPOINT_URL/],
      },
    ];
    for (const { label, answer, type: expectedType, says } of answers) {
      it(label, async () => {
        proxy.set({ errorAnswers: 1_000_000, errorAnswer: answer });
        try {
          const input = track(harness.inputFor(target(), undefined, { timings: FAST_TIMINGS }));
          const { type, message, seconds, attempts } = await expectFastFailure(harness, input);
          console.log(`      ${type} after ${seconds.toFixed(1)} s, attempts ${JSON.stringify(attempts)}: ${message}`);
          assert.equal(type, expectedType);
          for (const pattern of says) assert.match(message, pattern);
          assert.ok(message.includes(harness.fixture.bucket), 'the bucket is named');
        } finally {
          proxy.set({ errorAnswers: 0, errorAnswer: null });
        }
      });
    }

    it('a backup folder with data.tar.gz but no backup.info', async () => {
      const server = 'orphan';
      await orphanBucket.put(`${server}/base/20261124T230033/data.tar.gz`, Buffer.alloc(4096, 1));
      const input = track(harness.inputFor(target(), undefined, { bucket: orphanBucket.name, server, timings: FAST_TIMINGS }));
      const { type, message, seconds, attempts } = await expectFastFailure(harness, input);
      console.log(`      ${type} after ${seconds.toFixed(1)} s, attempts ${JSON.stringify(attempts)}: ${message}`);
      assert.equal(type, 'BackupNotFound');
      assert.match(message, /20261124T230033/, 'names the backup folder');
      assert.match(message, /backup\.info/);
      assert.ok(message.includes(`s3://${orphanBucket.name}/${server}/base/`), message);
    });
  });
});

/** Runs a restore that must fail non-retryably: returns the failure, how long it took, the attempts of each activity and the history as JSON. */
async function expectFastFailure(harness: RestoreHarness, input: RestoreInput) {
  const started = Date.now();
  const failure = harness.expectFailure(input);
  let timer: NodeJS.Timeout | undefined;
  // A restore that retries what it cannot fix never ends: stop it and say what it was doing.
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const handle = harness.client.workflow.getHandle(restoreWorkflowId(input.server, input.destination));
      void handle
        .describe()
        .then((d) => JSON.stringify(d.raw.pendingActivities?.map((a) => ({ activity: a.activityType?.name, attempt: a.attempt, lastFailure: a.lastFailure?.message }))))
        .then(
          async (pending) => {
            await handle.terminate('the test gave up waiting for a fast failure');
            reject(new Error(`no failure within ${FAIL_FAST_MS} ms: the restore kept retrying ${pending}`));
          },
          reject,
        );
    }, FAIL_FAST_MS);
  });
  const { type, message } = await Promise.race([failure, deadline]).finally(() => clearTimeout(timer));
  const seconds = (Date.now() - started) / 1000;
  const handle = harness.client.workflow.getHandle(restoreWorkflowId(input.server, input.destination));
  const attempts = await activityAttempts(handle);
  const history = historyText(await handle.fetchHistory());
  assert.ok(seconds * 1000 < FAIL_FAST_MS, `failed after ${seconds} s: should fail fast`);
  for (const [activity, attempt] of Object.entries(attempts)) {
    assert.equal(attempt, 1, `${activity} ran ${attempt} attempts: a non-retryable failure must not be retried`);
  }
  return { type, message, seconds, attempts, history };
}


async function retriedActivities(handle: WorkflowHandle): Promise<string[]> {
  return Object.entries(await activityAttempts(handle))
    .filter(([, attempt]) => attempt > 1)
    .map(([name, attempt]) => `${name} (${attempt} attempts)`);
}

/** The history as text, payloads (bytes) decoded, so that a search for a string sees what they hold. */
function historyText(history: unknown): string {
  return JSON.stringify(history, (_key, value: unknown) => {
    if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
    const v = value as { type?: unknown; data?: unknown } | null;
    if (v && v.type === 'Buffer' && Array.isArray(v.data)) return Buffer.from(v.data as number[]).toString('utf8');
    return value;
  });
}

function diff(now: FaultCounters, then: FaultCounters): FaultCounters {
  const out = { ...now };
  for (const key of Object.keys(out) as (keyof FaultCounters)[]) out[key] = now[key] - then[key];
  return out;
}
