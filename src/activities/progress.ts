// Heartbeats for long activities: on a timer (so a quiet `barman recover` still proves the worker is
// alive and still receives cancellation) and on progress. Details are a hint for the UI and
// `pitr status`; what is on disk decides what is left to do.
import { Context } from '@temporalio/activity';
import type { ProgressDetails, RestorePhase } from '../shared';

export interface ProgressReporter {
  update(change: Partial<Omit<ProgressDetails, 'phase'>>): void;
  readonly signal: AbortSignal;
}

/**
 * Runs `body` with a reporter of `phase`, whose heartbeats stop when it ends. `alsoStopOn`: a further reason to
 * stop, e.g. the attempt fence taken over by a later attempt.
 */
export async function withProgress<T>(phase: RestorePhase, intervalMs: number, alsoStopOn: AbortSignal | undefined, body: (progress: ProgressReporter) => Promise<T>): Promise<T> {
  const context = Context.current();
  const details: ProgressDetails = { phase, bytesDone: 0, bytesTotal: 0, filesDone: 0, filesTotal: 0 };
  const beat = () => context.heartbeat({ ...details });
  const timer = setInterval(beat, intervalMs);
  beat();
  try {
    return await body({
      update(change) {
        Object.assign(details, change);
        beat();
      },
      signal: alsoStopOn ? AbortSignal.any([context.cancellationSignal, alsoStopOn]) : context.cancellationSignal,
    });
  } finally {
    clearInterval(timer);
  }
}
