// `pitr plan` on the worker of the Barman host: the dry run (io/restore-dry-run.ts) with this host's S3 client,
// PostgreSQL binaries, work area and destination rules, so that the client needs only Temporal. Its outcome is
// plain JSON data (strings, numbers, booleans, arrays, objects): it crosses Temporal as the activity's and the
// workflow's result. Heartbeats carry the planner's progress and bring cancellation (Ctrl-C on the CLI).
import { validatePreviewRestoreInput, type PreviewRestoreInput } from '../core/archive-queries';
import { dryRunRestore, type DryRunOutcome } from '../io/restore-dry-run';
import { linkableObjects } from './base-backup-targets';
import { restoreWorkDir, type ActivityDeps } from './deps';
import { adaptFailures } from './failures';
import { withProgress } from './progress';

export function previewRestoreActivity(deps: ActivityDeps) {
  return async (input: PreviewRestoreInput): Promise<DryRunOutcome> =>
    adaptFailures(async () => {
      validatePreviewRestoreInput(input);
      return withProgress('Plan', deps.heartbeatIntervalMs, undefined, (progress) =>
        dryRunRestore(deps, {
          ...input,
          barmanHome: deps.workRoot,
          destinationRoots: deps.destinationRoots,
          ...(input.destination === undefined
            ? {}
            : { linkable: (backup, backupId) => linkableObjects(deps.barmanUser, restoreWorkDir(deps, { server: input.server, destination: input.destination! }), input.server, backupId, backup.objects) }),
          signal: progress.signal,
          onProgress: (current) => progress.update({ current }),
        }),
      );
    });
}
