// The worker: runs next to the Barman volume and polls its host's task queue.
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogEntry } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from './activities';
import { createS3Client } from './io/s3-client';
import { loadWorkerSettings, pgBinDir, settingsEnvironment, type WorkerSettings } from './settings';
import { freshWorkflowBundle, WORKFLOWS_PATH } from './workflow-bundle';

/** What the activities get from this host's settings (also used by tests that run a step directly). */
export function activityDeps(settings: WorkerSettings, s3Env: Record<string, string | undefined> = process.env): ActivityDeps {
  return {
    s3: createS3Client(s3Env),
    workRoot: settings.workRoot,
    destinationRoots: settings.destinationRoots,
    barmanUser: settings.barmanUser,
    barmanBin: settings.barmanBin,
    pgBinDir: (major) => pgBinDir(settings, major),
    download: { concurrency: settings.downloadConcurrency, partSize: settings.partSizeBytes, partConcurrency: settings.partConcurrency },
    // A segment archived up to 5 minutes before the target may still hold a later commit (clock skew between the database host and the object store).
    scanSkewMarginMicros: 5 * 60 * 1_000_000,
    verify: { pollMs: 250, timeoutMs: settings.verifyTimeoutMs },
    heartbeatIntervalMs: 5_000,
  };
}

export async function createWorker(
  settings: WorkerSettings,
  connection: NativeConnection,
  namespace: string,
  s3Env: Record<string, string | undefined> = process.env,
  code: WorkflowCode = workflowCode(),
): Promise<Worker> {
  const activities = createActivities(activityDeps(settings, s3Env));
  return Worker.create({
    connection,
    namespace,
    taskQueue: settings.taskQueue,
    ...code,
    activities,
    maxConcurrentActivityTaskExecutions: settings.maxConcurrentActivities,
    shutdownGraceTime: settings.shutdownGraceMs,
    // Cancellation reaches an activity only with a heartbeat the server sees: keep that within a second, which is
    // how long a held restore's decision waits for keepHeld to let go of the server (it beats every second).
    maxHeartbeatThrottleInterval: '1 second',
  });
}

/** The bundle `npm run build` made, unless the workflow code was compiled again since: then bundle it here. */
type WorkflowCode = { workflowBundle: { codePath: string } } | { workflowsPath: string };

function workflowCode(): WorkflowCode {
  const bundle = freshWorkflowBundle();
  return bundle ? { workflowBundle: { codePath: bundle } } : { workflowsPath: WORKFLOWS_PATH };
}

/** One JSON object per line on stdout (for log shippers), or Temporal's plain text. */
function installRuntime(settings: WorkerSettings): void {
  const writeJson = (entry: LogEntry) =>
    process.stdout.write(
      `${JSON.stringify({ time: new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString(), level: entry.level, message: entry.message, ...entry.meta })}\n`,
    );
  Runtime.install({
    logger: settings.logFormat === 'json' ? new DefaultLogger(settings.logLevel, writeJson) : new DefaultLogger(settings.logLevel),
    telemetryOptions: settings.metricsAddress ? { metrics: { prometheus: { bindAddress: settings.metricsAddress } } } : undefined,
  });
}

/** Runs the worker until SIGTERM or SIGINT has drained it: the entry of `pitr-worker` and of `node lib/src/worker.js`. */
export async function runWorker(): Promise<void> {
  // The AWS SDK is pinned to a version that supports this Node; its notice about future versions is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const settings = loadWorkerSettings(settingsEnvironment());
  installRuntime(settings);
  const config = loadClientConnectConfig();
  const connection = await NativeConnection.connect(config.connectionOptions);
  try {
    const code = workflowCode();
    const worker = await createWorker(settings, connection, config.namespace ?? 'default', process.env, code);
    Runtime.instance().logger.info('pitr worker started', {
      taskQueue: settings.taskQueue,
      workRoot: settings.workRoot,
      metrics: settings.metricsAddress ?? 'off',
      workflowCode: 'workflowBundle' in code ? 'prebuilt bundle' : 'bundled at start (no fresh lib/workflow-bundle.js)',
    });
    // SIGTERM/SIGINT: the runtime stops polling, lets running steps finish for the grace time, then exits.
    await worker.run();
  } finally {
    await connection.close();
  }
}

if (require.main === module) {
  runWorker().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
