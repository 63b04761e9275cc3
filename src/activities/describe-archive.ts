// `pitr backups` on the worker of the Barman host: the archive overview (io/archive-overview.ts) with this host's
// S3 client and pg_waldump, read in a throw-away work area, so that the client needs only Temporal. The overview is
// plain JSON data; heartbeats bring cancellation (Ctrl-C on the CLI) while the WAL is read.
import { validateArchiveQueryInput, type ArchiveQueryInput } from '../core/archive-queries';
import { inspectArchive, type ArchiveOverview } from '../io/archive-overview';
import { withThrowAwayWorkDir } from '../io/throwaway-work-dir';
import type { ActivityDeps } from './deps';
import { adaptFailures } from './failures';
import { withProgress } from './progress';

export function describeArchiveActivity(deps: ActivityDeps) {
  return async (input: ArchiveQueryInput): Promise<ArchiveOverview> =>
    adaptFailures(async () => {
      validateArchiveQueryInput(input);
      const location = { server: input.server, bucket: input.bucket, prefix: input.prefix };
      return withProgress('Plan', deps.heartbeatIntervalMs, undefined, (progress) => withThrowAwayWorkDir((area) => inspectArchive(deps, location, area, progress.signal)));
    });
}
