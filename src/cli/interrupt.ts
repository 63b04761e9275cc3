// Ctrl-C for the commands that wait on a query the worker answers (`pitr plan`, `pitr backups`): the signal cancels
// the query's workflow, whose activity then stops and removes its scratch area on the worker.

/** Runs `body` with a signal that SIGINT and SIGTERM abort. */
export async function withInterrupt<T>(body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await body(controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The note printed while a query waits on a queue no worker polls (it waits up to 30 minutes for one). */
export function noWorkerNote(taskQueue: string): void {
  console.error(`pitr: no worker polls task queue ${taskQueue} now; waiting for one (start pitr-worker on the Barman host, or choose its queue with --task-queue or PITR_SERVER_QUEUES)`);
}
