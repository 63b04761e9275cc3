// A worker on the real stack for integration suites: its own task queue and destinations, restores
// started the way the CLI starts them, and cleanup of everything it made.
import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection, type Worker } from '@temporalio/worker';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { restoreWorkDir } from '../../src/activities/deps';
import { PitrClient, startRestore } from '../../src/pitr-client';
import type { WorkDirLayout } from '../../src/io/work-dir';
import type { UtcMicros } from '../../src/core/timestamp';
import { loadWorkerSettings, type WorkerSettings } from '../../src/settings';
import type { RestoreInput, RestoreResult } from '../../src/shared';
import { createWorker } from '../../src/worker';
import { loadFixture, type Fixture } from './fixture';
import { REPO_ROOT, requireStackEnv } from './stack-env';

export interface RestoreHarness {
  fixture: Fixture;
  client: Client;
  taskQueue: string;
  settings: WorkerSettings;
  /** The work area the worker gives a restore of `server` into `destination` (the worker's own formula). */
  workArea(input: Pick<RestoreInput, 'server' | 'destination'>): WorkDirLayout;
  /** A fresh destination path (not created) under this suite's folder. */
  newDestination(): string;
  inputFor(target: UtcMicros, destination?: string, overrides?: Partial<RestoreInput>): RestoreInput;
  start(input: RestoreInput): Promise<WorkflowHandle>;
  /** Runs a restore that must fail; returns its failure type and message. */
  expectFailure(input: RestoreInput): Promise<{ type: string | undefined; message: string }>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** The fixture (barman-cloud server folder) restores read; default `pg`. */
  server?: string;
  /** Start a worker in this process (default true); false for suites that run their own. */
  inProcessWorker?: boolean;
  /** Worker settings overrides, e.g. another S3 endpoint. */
  settings?: Partial<WorkerSettings>;
  /** Environment for the worker's S3 client (default process.env). */
  s3Env?: Record<string, string | undefined>;
}

export async function openRestoreHarness(options: HarnessOptions = {}): Promise<RestoreHarness> {
  requireStackEnv(); // the stack's TEMPORAL_* and S3 settings into process.env, where the project reads them
  const fixture = loadFixture(options.server);
  const taskQueue = `it-${randomUUID()}`;
  const destinationsRoot = join(REPO_ROOT, '.stack', 'restored', taskQueue);
  const settings: WorkerSettings = { ...loadWorkerSettings(process.env), taskQueue, ...options.settings };
  // Connected as pitr and the worker connect (TEMPORAL_* settings, profiles, TLS): the same server and namespace.
  const connected = await PitrClient.connect();
  const client = connected.temporal;
  let nativeConnection: NativeConnection | undefined;
  let worker: Worker | undefined;
  let workerRun: Promise<void> | undefined;
  if (options.inProcessWorker !== false) {
    nativeConnection = await NativeConnection.connect(loadClientConnectConfig().connectionOptions);
    worker = await createWorker(settings, nativeConnection, connected.namespace, options.s3Env);
    workerRun = worker.run();
  }

  // Work areas of restores that failed stay for a resume; the suite removes them when it closes.
  const workAreas = new Set<string>();
  const inputFor = (target: UtcMicros, destination = join(destinationsRoot, randomUUID()), overrides: Partial<RestoreInput> = {}): RestoreInput => ({
    server: fixture.server,
    bucket: fixture.bucket,
    prefix: fixture.prefix,
    target: { kind: 'time', utc: target, given: target },
    destination,
    taskQueue,
    force: false,
    timings: { retryInitialMs: 200, retryMaximumMs: 2000, heartbeatTimeoutMs: 30_000 },
    ...overrides,
  });
  const workArea = (input: Pick<RestoreInput, 'server' | 'destination'>) => restoreWorkDir(settings, input);
  const track = (input: RestoreInput) => workAreas.add(workArea(input).root);

  return {
    fixture,
    client,
    taskQueue,
    settings,
    workArea,
    newDestination: () => join(destinationsRoot, randomUUID()),
    inputFor,
    start: (input) => {
      track(input);
      return startRestore(client, input);
    },
    async expectFailure(input) {
      track(input);
      const handle = await startRestore(client, input);
      const error = await handle.result().then(
        (result: RestoreResult) => assert.fail(`the restore should have failed, but completed: ${JSON.stringify(result.verify)}`),
        (err: unknown) => err,
      );
      assert.ok(error instanceof WorkflowFailedError, String(error));
      return { type: (error.cause as { type?: string }).type, message: String(error.cause?.message) };
    },
    async close() {
      worker?.shutdown();
      await workerRun;
      await nativeConnection?.close();
      await connected.close();
      await rm(destinationsRoot, { recursive: true, force: true });
      for (const area of workAreas) await rm(area, { recursive: true, force: true });
    },
  };
}
