// The worker: runs next to the Barman volume and polls its host's task queue.
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from './activities';
import { createS3Client } from './io/s3-client';
import { loadWorkerSettings, pgBinDir, type WorkerSettings } from './settings';

export async function createWorker(
  settings: WorkerSettings,
  connection: NativeConnection,
  namespace: string,
  s3Env: Record<string, string | undefined> = process.env,
): Promise<Worker> {
  const activities = createActivities({
    s3: createS3Client(s3Env),
    workRoot: settings.workRoot,
    barmanUser: settings.barmanUser,
    pgBinDir: (major) => pgBinDir(settings.pgBinDirPattern, major),
    download: { concurrency: settings.downloadConcurrency, partSize: settings.partSizeBytes, partConcurrency: settings.partConcurrency },
    scanSkewMarginMicros: 5 * 60 * 1_000_000,
    verify: { pollMs: 250, timeoutMs: settings.verifyTimeoutMs },
    heartbeatIntervalMs: 5_000,
  });
  return Worker.create({
    connection,
    namespace,
    taskQueue: settings.taskQueue,
    workflowsPath: require.resolve('./workflows'),
    activities,
    maxConcurrentActivityTaskExecutions: settings.maxConcurrentActivities,
    shutdownGraceTime: settings.shutdownGraceMs,
    // Cancellation reaches an activity only with a heartbeat the server sees: keep that within seconds.
    maxHeartbeatThrottleInterval: '5 seconds',
  });
}

async function main(): Promise<void> {
  const settings = loadWorkerSettings();
  const config = loadClientConnectConfig();
  const connection = await NativeConnection.connect(config.connectionOptions);
  try {
    const worker = await createWorker(settings, connection, config.namespace ?? 'default');
    console.log(`pitr worker polling task queue "${settings.taskQueue}" (work area ${settings.workRoot})`);
    await worker.run();
  } finally {
    await connection.close();
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
