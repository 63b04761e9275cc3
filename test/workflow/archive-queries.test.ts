// The plan and backups queries (workflows/archive-queries.ts) on the real dev server, with mocked activities,
// through the typed client as the CLI uses it: the input reaches the worker's queue, the result comes back as
// it was, a typed failure comes back as a RestoreError of its type (not retried), a transient one is retried,
// and an interrupt cancels the workflow and its activity.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor, type ConnectionOptions } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { ArchiveQueryActivities } from '../../src/activities';
import type { ArchiveQueryInput, PreviewRestoreInput } from '../../src/core/archive-queries';
import type { ArchiveOverview } from '../../src/io/archive-overview';
import type { DryRunOutcome } from '../../src/io/restore-dry-run';
import { PitrClient } from '../../src/pitr-client';
import { FailureTypes, RestoreError } from '../../src/shared';
import { requireStackEnv } from '../support/stack-env';

const quietLogger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

const unreachable: DryRunOutcome = {
  reachable: false,
  type: 'TargetUnreachable',
  message: 'no commit after the target',
  lastArchivedCommit: '2026-11-24T22:00:00.000000Z',
  latestReachableTarget: '2026-11-24T21:59:59.999999Z',
  earliestReachableTarget: null,
};

const overview: ArchiveOverview = {
  server: 'pg',
  bucket: 'b',
  prefix: '',
  backups: [],
  unreadableBackups: [],
  timelines: [],
  historyFiles: [],
  unreadableHistoryFiles: [],
  newestTimeline: 1,
};

describe('plan and backups queries (real dev server, mocked activities, the typed client)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let workflowBundle: WorkflowBundleWithSourceMap;

  before(async () => {
    const stack = requireStackEnv();
    env = await TestWorkflowEnvironment.createFromExistingServer({ address: stack.temporalAddress, namespace: stack.namespace });
    workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../src/workflows'), logger: quietLogger });
  });

  after(async () => {
    await env?.teardown();
  });

  /** A worker on a fresh queue with `activities`, and a client (by default the environment's) whose default queue it is. */
  async function runWith<T>(activities: Partial<ArchiveQueryActivities>, body: (pitr: PitrClient) => Promise<T>, temporal: Client = env.client): Promise<T> {
    const taskQueue = `test-${randomUUID()}`;
    const worker = await Worker.create({ connection: env.nativeConnection, namespace: env.namespace, taskQueue, workflowBundle, activities });
    const pitr = new PitrClient(temporal, env.namespace ?? 'default', { taskQueue, serverQueues: new Map(), bucket: 'b', prefix: '' });
    return worker.runUntil(body(pitr));
  }

  it('plan: the input reaches the queue\'s worker with the defaults filled in, and the outcome comes back as the activity gave it', async () => {
    const seen: PreviewRestoreInput[] = [];
    const { outcome, taskQueue } = await runWith({ previewRestore: async (input: PreviewRestoreInput) => (seen.push(input), unreachable) }, async (pitr) => ({
      outcome: await pitr.plan({ server: 'pg', targetTime: '2026-11-24 23:00:00+01' }),
      taskQueue: pitr.settings.taskQueue,
    }));
    assert.deepEqual(outcome, unreachable);
    assert.deepEqual(seen, [{ server: 'pg', bucket: 'b', prefix: '', taskQueue, targetTime: '2026-11-24T22:00:00.000000Z' }]);
  });

  it('backups: a typed failure of the worker comes back as a RestoreError of its type and message, not retried', async () => {
    let attempts = 0;
    const describeArchive = async (): Promise<ArchiveOverview> => {
      attempts += 1;
      throw ApplicationFailure.nonRetryable('nothing under s3://b/pg/', FailureTypes.ServerNotFound);
    };
    const error = await runWith({ describeArchive }, (pitr) => pitr.backups({ server: 'pg' }).then(() => assert.fail('should fail'), (err: unknown) => err));
    assert.ok(error instanceof RestoreError, String(error));
    assert.equal(error.type, FailureTypes.ServerNotFound);
    assert.equal(error.message, 'nothing under s3://b/pg/');
    assert.equal(attempts, 1);
  });

  it('backups: a transient failure is retried', async () => {
    let attempts = 0;
    const describeArchive = async (input: ArchiveQueryInput): Promise<ArchiveOverview> => {
      attempts += 1;
      if (attempts === 1) throw new Error('S3 is briefly unavailable');
      return { ...overview, server: input.server };
    };
    const result = await runWith({ describeArchive }, (pitr) => pitr.backups({ server: 'pg' }));
    assert.equal(result.server, 'pg');
    assert.equal(attempts, 2);
  });

  it('an interrupt cancels the query workflow, and its activity sees the cancellation', async () => {
    let cancelled: (() => void) | undefined;
    const activityCancelled = new Promise<void>((resolve) => (cancelled = resolve));
    let started: (() => void) | undefined;
    const activityStarted = new Promise<void>((resolve) => (started = resolve));
    const describeArchive = async (): Promise<ArchiveOverview> => {
      const context = Context.current();
      started!();
      const beat = setInterval(() => context.heartbeat(), 200);
      try {
        await context.cancelled;
      } catch (err) {
        cancelled!();
        throw err;
      } finally {
        clearInterval(beat);
      }
      return overview;
    };
    // The client's calls to the server still under way: a script may close its connection as soon as the query
    // rejects, and a call left behind (the result's long poll) would then retry on a closed channel and throw
    // from a timer ("Channel has been shut down", seen in CI).
    const calls = countingConnection();
    const connection = await Connection.connect({ address: requireStackEnv().temporalAddress, interceptors: [calls.interceptor, makeGrpcRetryInterceptor(defaultGrpcRetryOptions())] });
    try {
      await runWith(
        { describeArchive },
        async (pitr) => {
          const controller = new AbortController();
          const query = pitr.backups({ server: 'pg' }, { signal: controller.signal });
          await activityStarted;
          assert.ok(calls.inFlight() > 0, 'the query waits on a call to the server');
          controller.abort();
          await assert.rejects(query, /interrupted/);
          assert.equal(calls.inFlight(), 0, 'no call to the server is left under way once the query rejected');
          await activityCancelled;
        },
        new Client({ connection, namespace: env.namespace }),
      );
    } finally {
      await connection.close();
    }
  });
});

type Interceptor = NonNullable<ConnectionOptions['interceptors']>[number];
type Listener = { onReceiveMetadata?(m: unknown): void; onReceiveMessage?(m: unknown): void; onReceiveStatus?(s: unknown): void };

/** A gRPC interceptor that counts the calls started and not yet ended (with their retries). */
function countingConnection(): { interceptor: Interceptor; inFlight(): number } {
  let inFlight = 0;
  const interceptor = ((options: unknown, nextCall: (options: unknown) => { start(metadata: unknown, listener?: Listener): void }) => {
    const call = nextCall(options);
    const start = call.start.bind(call);
    call.start = (metadata, listener) => {
      inFlight += 1;
      start(metadata, {
        onReceiveMetadata: (m) => listener?.onReceiveMetadata?.(m),
        onReceiveMessage: (m) => listener?.onReceiveMessage?.(m),
        onReceiveStatus: (status) => {
          inFlight -= 1;
          listener?.onReceiveStatus?.(status);
        },
      });
    };
    return call;
  }) as unknown as Interceptor;
  return { interceptor, inFlight: () => inFlight };
}
