// The workflow on the real Temporal dev server, with mocked activities: order, retries,
// non-retryable failures, cancellation, ID conflicts, and a history that does not grow with WAL.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { defaultPayloadConverter, WorkflowFailedError, type Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { RestoreActivities } from '../../src/activities';
import { PitrClient, startRestore } from '../../src/pitr-client';
import { UsageError } from '../../src/cli/usage-error';
import { STEP_MAXIMUM_ATTEMPTS } from '../../src/workflows/restore';
import { SearchAttributes, type RestoreInput, type RestorePlan, type RestoreResult } from '../../src/shared';
import { requireStackEnv } from '../support/stack-env';

const plan: RestorePlan = {
  backupId: '20261124T220817',
  backupReason: 'newest DONE backup that ends before the target',
  backupEndTime: '2026-11-24T22:08:20.000000Z',
  timeline: 1,
  targetTimeline: 1,
  timelineSwitches: [],
  stopLsn: '0/6000150',
  pgVersion: 15,
  segmentSize: 16777216,
  beginWal: '000000010000000000000026',
  endWal: '000000010000000000000030',
  walSegments: 11,
  walBytes: 1000,
  historyFiles: 0,
  baseObjects: 2,
  baseBytes: 5000,
  firstCommitAfterTarget: '2026-11-24T22:09:00.000000Z',
  workDir: '/nonexistent/work',
};

function inputFor(taskQueue: string, destination = `/restores/${randomUUID()}`): RestoreInput {
  return {
    server: 'pg',
    bucket: 'b',
    prefix: '',
    target: { kind: 'time', utc: '2026-11-24T22:08:46.010383Z', given: '2026-11-24 22:08:46.010383+00' },
    destination,
    taskQueue,
    force: false,
    timings: { retryInitialMs: 50, retryMaximumMs: 200, heartbeatTimeoutMs: 2000 },
  };
}

type Calls = string[];

const heldServer = { host: '127.0.0.1', port: 5001, socketDir: '/tmp/pitr-pg-abcdef', user: 'barman', dataDir: '/restores/x' };
function heldVerify(lsn: string, lastReplayedCommit: string) {
  return { state: 'paused', lastReplayedCommit, timeline: 1, stoppedAt: { lsn, timeline: 1, description: `before commit at ${lsn}` }, overriddenSettings: [] };
}

function mockActivities(calls: Calls, overrides: Partial<Record<keyof RestoreActivities, (...args: any[]) => Promise<unknown>>> = {}): RestoreActivities {
  const transfer = { objects: 1, objectsSkipped: 0, bytesFetched: 10, bytesTotal: 10 };
  const base: Record<keyof RestoreActivities, (...args: any[]) => Promise<unknown>> = {
    planRestore: async () => plan,
    syncAndExtractBaseBackup: async () => transfer,
    stageAndRebuildXlogdb: async () => ({ walFiles: 11 }),
    syncWalRange: async () => transfer,
    recoverWithBarman: async () => ({ movedAside: null }),
    verifyAndFinishRestore: async () => ({ state: 'paused', lastReplayedCommit: '2026-11-24T22:08:45.000000Z', timeline: 1 }),
    abandonRestore: async () => ({ destinationCleared: true, movedBack: null }),
    releaseDestination: async () => undefined,
    verifyAndHold: async () => ({ verify: heldVerify('0/6000150', '2026-11-24T22:08:45.000000Z'), server: heldServer }),
    // Watches the held server until a decision cancels it, as the real one does.
    keepHeld: async () => {
      const context = Context.current();
      for (;;) {
        context.heartbeat();
        await context.sleep(100);
      }
    },
    planAdvance: async (_input: RestoreInput, _held: RestorePlan, target: { utc: string }) => ({ ...plan, stopLsn: '0/7000100', endWal: '000000010000000000000031', firstCommitAfterTarget: target.utc }),
    advanceHeldRestore: async (input: RestoreInput) => ({ verify: heldVerify('0/7000100', (input.target as { utc: string }).utc), server: { ...heldServer, port: 5002 } }),
    finishHeldRestore: async (_input: RestoreInput, _plan: RestorePlan, verify: object, mode: string) => ({ ...verify, state: mode === 'promote' ? 'promoted' : 'paused' }),
  };
  const wrapped = {} as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of Object.keys(base) as (keyof RestoreActivities)[]) {
    const impl = overrides[name] ?? base[name];
    wrapped[name] = async (...args: unknown[]) => {
      calls.push(name);
      return impl(...args);
    };
  }
  return wrapped as unknown as RestoreActivities;
}

describe('restoreToPointInTime workflow (real dev server, mocked activities)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let client: Client;
  let workflowBundle: WorkflowBundleWithSourceMap;

  before(async () => {
    const stack = requireStackEnv();
    env = await TestWorkflowEnvironment.createFromExistingServer({ address: stack.temporalAddress, namespace: stack.namespace });
    client = env.client;
    workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../src/workflows'), logger: quietLogger });
  });

  after(async () => {
    await env?.teardown();
  });

  async function runWith<T>(activities: RestoreActivities, body: (taskQueue: string) => Promise<T>): Promise<T> {
    const taskQueue = `test-${randomUUID()}`;
    const worker = await Worker.create({ connection: env.nativeConnection, namespace: env.namespace, taskQueue, workflowBundle, activities });
    return worker.runUntil(body(taskQueue));
  }

  it('runs the steps in the order of the manual procedure and returns what they found', async () => {
    const calls: Calls = [];
    let verifyArgs: unknown[] = [];
    const activities = mockActivities(calls, {
      verifyAndFinishRestore: async (...args: unknown[]) => {
        verifyArgs = args;
        return { state: 'paused', lastReplayedCommit: '2026-11-24T22:08:45.000000Z', timeline: 1 };
      },
    });
    const { result, summaries, phase, backupId } = await runWith(activities, async (taskQueue) => {
      const handle = await startRestore(client, inputFor(taskQueue));
      const result: RestoreResult = await handle.result();
      const description = await handle.describe();
      const summaries = ((await handle.fetchHistory()).events ?? [])
        .filter((e) => e.activityTaskScheduledEventAttributes && e.userMetadata?.summary)
        .map((e) => defaultPayloadConverter.fromPayload<string>(e.userMetadata!.summary!));
      return { result, summaries, phase: description.typedSearchAttributes.get(SearchAttributes.phase), backupId: description.typedSearchAttributes.get(SearchAttributes.backupId) };
    });
    assert.deepEqual(calls, ['planRestore', 'syncAndExtractBaseBackup', 'syncWalRange', 'stageAndRebuildXlogdb', 'recoverWithBarman', 'verifyAndFinishRestore']);
    // Verify is the last step and frees the work area itself (finishRestore): no flag asks for it, no step follows it.
    assert.equal(verifyArgs.length, 2, 'verify gets the input and the plan, and no option');
    assert.deepEqual(verifyArgs[1], plan);
    assert.match(summaries.at(-1) ?? '', /then freeing the work area$/, 'the Verify step says it also frees the work area');
    assert.equal(result.plan.backupId, plan.backupId);
    assert.equal(result.walFilesRegistered, 11);
    assert.equal(result.verify.state, 'paused');
    assert.equal(phase, 'Done');
    assert.equal(backupId, plan.backupId);
    assert.equal(summaries[1], `downloading and extracting backup ${plan.backupId} (2 objects, 5000 bytes) into the Barman home`, 'each step carries a summary for the UI');
    assert.equal(summaries.length, 6, 'every step has a summary');
  });

  it('retries a step that fails transiently and goes on from that step, not from the start', async () => {
    const calls: Calls = [];
    let attempts = 0;
    const activities = mockActivities(calls, {
      syncAndExtractBaseBackup: async () => {
        attempts += 1;
        if (attempts < 3) throw new Error('ECONNRESET from S3');
        return { objects: 2, objectsSkipped: 1, bytesFetched: 5, bytesTotal: 10 };
      },
    });
    const result: RestoreResult = await runWith(activities, async (taskQueue) => (await startRestore(client, inputFor(taskQueue))).result());
    assert.equal(attempts, 3);
    assert.equal(calls.filter((c) => c === 'planRestore').length, 1);
    assert.equal(result.base.objectsSkipped, 1);
  });

  it(`gives up on a step other than a transfer after ${STEP_MAXIMUM_ATTEMPTS} attempts; transfers retry beyond that`, async function () {
    this.timeout(120_000);
    const failingSteps = ['planRestore', 'stageAndRebuildXlogdb', 'recoverWithBarman', 'verifyAndFinishRestore'] as const;
    // One restore per step, side by side: the step named in the restore's destination always fails, retryably.
    const attemptsOf: Record<string, number> = {};
    const failIfNamed = (step: string) => async (input: RestoreInput) => {
      if (!input.destination.includes(`/${step}/`)) return undefined;
      attemptsOf[step] = (attemptsOf[step] ?? 0) + 1;
      throw new Error(`${step} keeps failing the same way`);
    };
    const base = mockActivities([]);
    const activities = mockActivities(
      [],
      Object.fromEntries(
        failingSteps.map((step) => [step, async (input: RestoreInput, ...rest: unknown[]) => (await failIfNamed(step)(input)) ?? (base[step] as (...a: unknown[]) => Promise<unknown>)(input, ...rest)]),
      ),
    );
    const errors = await runWith(activities, (taskQueue) =>
      Promise.all(
        failingSteps.map(async (step) =>
          (await startRestore(client, inputFor(taskQueue, `/restores/${step}/${randomUUID()}`))).result().then(
            () => assert.fail(`the restore failing in ${step} should have failed`),
            (err: unknown) => err,
          ),
        ),
      ),
    );
    for (const [i, step] of failingSteps.entries()) {
      const error = errors[i];
      assert.ok(error instanceof WorkflowFailedError, String(error));
      assert.match(String(error.cause?.message), new RegExp(`${step} keeps failing the same way`));
      assert.equal(attemptsOf[step], STEP_MAXIMUM_ATTEMPTS, `${step} ran ${STEP_MAXIMUM_ATTEMPTS} attempts, then the restore failed`);
    }
    // A transfer resumes from what is on disk: it keeps retrying past that count (a long S3 outage, a full disk).
    const calls: Calls = [];
    let attempts = 0;
    const transferFailing = mockActivities(calls, {
      syncWalRange: async () => {
        attempts += 1;
        if (attempts <= STEP_MAXIMUM_ATTEMPTS + 2) throw new Error('ECONNRESET from S3');
        return { objects: 11, objectsSkipped: 9, bytesFetched: 2, bytesTotal: 11 };
      },
    });
    const result: RestoreResult = await runWith(transferFailing, async (taskQueue) => (await startRestore(client, inputFor(taskQueue))).result());
    assert.equal(attempts, STEP_MAXIMUM_ATTEMPTS + 3);
    assert.equal(result.wal.objectsSkipped, 9);
  });

  it('fails at once, with the step\'s own message, on a failure retrying cannot fix', async () => {
    const calls: Calls = [];
    let attempts = 0;
    const activities = mockActivities(calls, {
      planRestore: async () => {
        attempts += 1;
        throw ApplicationFailure.nonRetryable('target 2030-01-01T00:00:00.000000Z cannot be reached: the latest reachable target is 2026-11-24T22:10:00.000000Z', 'TargetUnreachable');
      },
    });
    const error = await runWith(activities, async (taskQueue) => {
      const handle = await startRestore(client, inputFor(taskQueue));
      return handle.result().then(
        () => assert.fail('the restore should have failed'),
        (err: unknown) => err,
      );
    });
    assert.ok(error instanceof WorkflowFailedError);
    assert.match(String(error.cause?.message), /latest reachable target is 2026-11-24T22:10:00/);
    assert.equal((error.cause as ApplicationFailure).type, 'TargetUnreachable');
    assert.equal(attempts, 1);
    assert.deepEqual(calls, ['planRestore', 'releaseDestination'], 'the ended run drops its claim and lock on the destination');
  });

  it('cancels a running transfer through its heartbeats', async () => {
    const calls: Calls = [];
    let sawCancellation = false;
    const activities = mockActivities(calls, {
      syncWalRange: async () => {
        const context = Context.current();
        for (;;) {
          context.heartbeat({ phase: 'SyncWal', bytesDone: 1, bytesTotal: 2, filesDone: 0, filesTotal: 1 });
          try {
            await context.sleep(100);
          } catch (err) {
            sawCancellation = true;
            throw err;
          }
        }
      },
    });
    const outcome = await runWith(activities, async (taskQueue) => {
      const handle = await startRestore(client, inputFor(taskQueue));
      while (!calls.includes('syncWalRange')) await new Promise((r) => setTimeout(r, 50));
      await handle.cancel();
      return handle.result().then(
        () => 'completed',
        (err: WorkflowFailedError) => err.cause?.name,
      );
    });
    assert.equal(outcome, 'CancelledFailure');
    assert.ok(sawCancellation, 'the activity should have seen the cancellation');
    assert.ok(!calls.includes('recoverWithBarman'));
    assert.equal(calls.at(-1), 'abandonRestore', 'staging is cleaned up after the cancelled step stopped');
    assert.ok(!calls.includes('releaseDestination'), 'a cancel releases the destination within abandonRestore, after its clean-up');
  });

  it('refuses a second restore into a destination a running restore owns, naming it', async () => {
    const calls: Calls = [];
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const activities = mockActivities(calls, { planRestore: async () => (await blocked, plan) });
    const destination = `/restores/${randomUUID()}`;
    await runWith(activities, async (taskQueue) => {
      const first = await startRestore(client, inputFor(taskQueue, destination));
      await assert.rejects(startRestore(client, inputFor(taskQueue, destination)), (err: unknown) => {
        assert.ok(err instanceof UsageError);
        assert.match(err.message, new RegExp(`already running \\(restore id ${first.workflowId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)`));
        return true;
      });
      release();
      await first.result();
    });
  });

  it('keeps the history the same length, under 60 events, whatever the number of WAL segments', async () => {
    const lengths: number[] = [];
    for (const walSegments of [10, 100_000]) {
      const calls: Calls = [];
      const activities = mockActivities(calls, { planRestore: async () => ({ ...plan, walSegments }) });
      const length = await runWith(activities, async (taskQueue) => {
        const handle = await startRestore(client, inputFor(taskQueue));
        await handle.result();
        return (await handle.fetchHistory()).events?.length ?? 0;
      });
      lengths.push(length);
    }
    assert.equal(lengths[0], lengths[1]);
    assert.ok(lengths[0]! > 20 && lengths[0]! < 60, `history has ${lengths[0]} events`);
  });

  describe('a held restore (--hold): decisions are validated updates', () => {
    const later = (utc: string) => ({ kind: 'time' as const, utc, given: utc });

    it('holds after verify, refuses an earlier target and a bad finish mode, advances twice, then finishes with promote', async () => {
      const calls: Calls = [];
      const advanceArgs: unknown[][] = [];
      const activities = mockActivities(calls, {
        advanceHeldRestore: async (input: RestoreInput, advancePlan: RestorePlan) => {
          advanceArgs.push([input.target, advancePlan.endWal]);
          return { verify: heldVerify(advancePlan.stopLsn, (input.target as { utc: string }).utc), server: { ...heldServer, port: 5002 } };
        },
      });
      const { result, heldFirst, refusals, history } = await runWith(activities, async (taskQueue) => {
        const pitr = new PitrClient(client, env.namespace ?? "default");
        const handle = await startRestore(client, { ...inputFor(taskQueue), hold: true });
        const heldFirst = await pitr.waitUntilHeld(handle.workflowId, { pollMs: 100 });
        const refusals: string[] = [];
        for (const attempt of [
          () => pitr.advance(handle.workflowId, later('2026-11-24T22:08:00.000000Z')),
          () => pitr.advance(handle.workflowId, { kind: 'immediate' }),
          () => pitr.finish(handle.workflowId, 'restart' as never),
        ]) {
          await attempt().then(
            () => assert.fail('the decision should have been refused'),
            (err: Error) => refusals.push(err.message),
          );
        }
        await pitr.advance(handle.workflowId, later('2026-11-24T22:09:30.000000Z'));
        const second = await pitr.advance(handle.workflowId, later('2026-11-24T22:10:30.000000Z'));
        assert.equal(second.server.port, 5002);
        const heldNow = await pitr.held(handle.workflowId);
        assert.equal(heldNow?.advances, 2);
        assert.equal((heldNow?.target as { utc: string }).utc, '2026-11-24T22:10:30.000000Z');
        const result = await pitr.finish(handle.workflowId, 'promote');
        return { result, heldFirst, refusals, history: (await handle.fetchHistory()).events ?? [] };
      });
      assert.equal(heldFirst.state, 'held');
      assert.equal(heldFirst.server.port, 5001);
      assert.equal(heldFirst.verify.stoppedAt.lsn, '0/6000150');
      assert.match(refusals[0]!, /target time 2026-11-24T22:08:00.000000Z is not later than the held target 2026-11-24T22:08:46.010383Z: replay only goes forward/);
      assert.match(refusals[1]!, /the end of the backup \(immediate\) is the earliest point/);
      assert.match(refusals[2]!, /finish takes "promote" or "stop"/);
      assert.deepEqual(calls, [
        'planRestore', 'syncAndExtractBaseBackup', 'syncWalRange', 'stageAndRebuildXlogdb', 'recoverWithBarman', 'verifyAndHold', 'keepHeld',
        'planAdvance', 'syncWalRange', 'advanceHeldRestore', 'keepHeld',
        'planAdvance', 'syncWalRange', 'advanceHeldRestore', 'keepHeld',
        'finishHeldRestore',
      ], 'each decision stops the keeper first; it starts again once the restore is held again');
      assert.equal(advanceArgs.length, 2);
      assert.equal(result.finishedWith, 'promote');
      assert.equal(result.verify.state, 'promoted');
      assert.equal(result.advances?.length, 2);
      assert.equal((result.advances?.[1]?.target as { utc: string }).utc, '2026-11-24T22:10:30.000000Z');
      // Accepted decisions are in the history; refused ones never reach it.
      const accepted = history.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).map((e) => e.workflowExecutionUpdateAcceptedEventAttributes!.acceptedRequest!.input!.name);
      assert.deepEqual(accepted, ['advance', 'advance', 'finish']);
    });

    it('refuses decisions on a restore started without --hold, and keeps a held restore held when the advance plan is refused', async () => {
      const calls: Calls = [];
      const activities = mockActivities(calls, {
        planAdvance: async () => {
          throw ApplicationFailure.nonRetryable('restore point "x" is at 0/5000000, before where replay stopped (0/6000150): replay only goes forward', 'NotAdvanceable');
        },
      });
      await runWith(activities, async (taskQueue) => {
        const pitr = new PitrClient(client, env.namespace ?? "default");
        const plain = await startRestore(client, inputFor(taskQueue));
        await plain.result();
        await assert.rejects(pitr.advance(plain.workflowId, later('2026-11-24T22:09:30.000000Z')), /started without --hold|not found|completed/);
        const held = await startRestore(client, { ...inputFor(taskQueue), hold: true });
        await pitr.waitUntilHeld(held.workflowId, { pollMs: 100 });
        await assert.rejects(pitr.advance(held.workflowId, { kind: 'name', name: 'x' }), (err: Error) => {
          assert.equal((err as { type?: string }).type, 'NotAdvanceable');
          assert.match(err.message, /before where replay stopped/);
          return true;
        });
        const still = await pitr.held(held.workflowId);
        assert.equal(still?.state, 'held', 'nothing changed: the restore is still held where it was');
        assert.equal(still?.advances, 0);
        const status = await pitr.status(held.workflowId);
        assert.equal(status.phase, 'Held');
        assert.equal(status.held?.server.port, 5001);
        await pitr.finish(held.workflowId, 'stop');
      });
    });

    it('refuses a decision before the restore is held; a cancelled held restore is removed like any cancelled restore', async () => {
      let release!: () => void;
      const blocked = new Promise<void>((resolve) => (release = resolve));
      const calls: Calls = [];
      const activities = mockActivities(calls, { syncWalRange: async () => (await blocked, { objects: 1, objectsSkipped: 0, bytesFetched: 1, bytesTotal: 1 }) });
      await runWith(activities, async (taskQueue) => {
        const pitr = new PitrClient(client, env.namespace ?? "default");
        const handle = await startRestore(client, { ...inputFor(taskQueue), hold: true });
        while (!calls.includes('syncWalRange')) await new Promise((r) => setTimeout(r, 50));
        await assert.rejects(pitr.advance(handle.workflowId, later('2026-11-24T22:09:30.000000Z')), /it is not held yet/);
        release();
        await pitr.waitUntilHeld(handle.workflowId, { pollMs: 100 });
        await handle.cancel();
        await handle.result().catch(() => undefined);
      });
      assert.equal(calls.at(-1), 'abandonRestore', 'a cancelled held restore is removed as any cancelled restore');
    });
  });
});

const quietLogger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
