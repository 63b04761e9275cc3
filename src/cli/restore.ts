// `pitr restore`: starts a restore to a recovery target (a time, an LSN, a transaction id, a restore point, or immediate), optionally following it to the end.
import { WorkflowFailedError } from '@temporalio/client';
import { parseArgs } from 'node:util';
import { describeTimelinePath } from '../core/timeline-path';
import { parseTargetAction, parseTargetTimeline } from '../core/recovery-target';
import { TARGET_OPTIONS, targetFromFlags } from './target-arguments';
import { loadProjectSettings, settingsEnvironment } from '../settings';
import { taskQueueFor, type QueueSource } from '../core/server-queues';
import { restoreInputFor, startRestore, withPitrClient, type RestoreRequest } from '../pitr-client';
import { describeHeld } from './held-report';
import { type OverriddenSetting, type RestoreInput, type RestoreResult, type TransferResult, type VerifyResult } from '../shared';
import { followRestore, watchRestore } from './follow';
import { formatBytes } from '../core/report-format';
import { required } from './usage-error';
import { destinationArgument } from './destination-argument';
import { tablespaceArguments } from './tablespace-argument';
import { terminalSafe, terminalSafeJson, terminalSafeMessage } from '../core/untrusted-text';

export const RESTORE_USAGE = `pitr restore --server NAME TARGET --dest DIR [--backup-id ID] [--target-tli N|current|latest] [--target-action pause|promote|shutdown]
               [--tablespace NAME=DIR]... [--bucket B] [--prefix P] [--task-queue Q] [--force] [--hold] [--wait] [--json]
  TARGET is one of --target-time TIME, --target-lsn LSN, --target-xid XID, --target-name NAME, --target-immediate
  --task-queue Q: the Barman host's worker; default the server's PITR_SERVER_QUEUES entry, else PITR_TASK_QUEUE
  TIME needs an explicit UTC offset: "2022-09-07 06:32:06.397252+00" or 2022-09-07T06:32:06.397252+02:00
  --target-xid and --target-name need --backup-id (backup.info cannot tell which backup precedes them)
  --tablespace NAME=DIR restores tablespace NAME into DIR (repeatable); one not named goes beside the data directory,
  to <dest>.tablespaces/NAME: the folder the backup recorded is used only when named
  --hold keeps PostgreSQL running paused at the target (port and socket printed) for pitr advance and pitr finish;
  with --wait, returns once it is held there`;

export function parseRestoreArgs(argv: string[], env = settingsEnvironment()): { input: RestoreInput; wait: boolean; json: boolean; queueSource: QueueSource } {
  const { values } = parseArgs({
    args: argv,
    options: {
      server: { type: 'string' },
      ...TARGET_OPTIONS,
      'target-tli': { type: 'string' },
      'target-action': { type: 'string' },
      'backup-id': { type: 'string' },
      dest: { type: 'string' },
      bucket: { type: 'string' },
      prefix: { type: 'string' },
      'task-queue': { type: 'string' },
      force: { type: 'boolean', default: false },
      tablespace: { type: 'string', multiple: true },
      hold: { type: 'boolean', default: false },
      wait: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const settings = loadProjectSettings(env);
  const server = required(values.server, '--server', RESTORE_USAGE);
  const target = targetFromFlags(values, RESTORE_USAGE);
  const destination = destinationArgument(required(values.dest, '--dest', RESTORE_USAGE));
  const request: RestoreRequest = {
    server,
    target,
    destination,
    bucket: values.bucket,
    prefix: values.prefix,
    taskQueue: values['task-queue'],
    targetTimeline: values['target-tli'] ? parseTargetTimeline(values['target-tli']) : undefined,
    targetAction: values['target-action'] ? parseTargetAction(values['target-action']) : undefined,
    backupId: values['backup-id'],
    force: values.force,
    tablespaces: tablespaceArguments(values.tablespace, destination),
    hold: values.hold,
  };
  const queue = taskQueueFor(server, { explicit: values['task-queue'], serverQueues: settings.serverQueues, defaultQueue: settings.taskQueue });
  return {
    input: restoreInputFor(request, settings),
    wait: values.wait ?? false,
    json: values.json ?? false,
    queueSource: queue.source,
  };
}

export async function runRestore(argv: string[]): Promise<number> {
  const { input, wait, json, queueSource } = parseRestoreArgs(argv);
  return withPitrClient(async (client) => {
    const handle = await startRestore(client.temporal, input);
    const link = client.uiLink(handle.workflowId, handle.firstExecutionRunId);
    if (!json) {
      console.log(`restore started: ${handle.workflowId}`);
      console.log(`task queue: ${input.taskQueue} (from ${queueSource})`);
      console.log(`Temporal UI: ${link}`);
    }
    if (!wait) {
      if (json) console.log(JSON.stringify({ id: handle.workflowId, runId: handle.firstExecutionRunId, ui: link }));
      return 0;
    }
    try {
      if (input.hold) {
        await watchRestore(handle, { quiet: json });
        const held = await client.waitUntilHeld(handle.workflowId);
        console.log(json ? terminalSafeJson(JSON.stringify({ id: handle.workflowId, status: 'HELD', held })) : describeHeld(handle.workflowId, held));
        return 0;
      }
      const result: RestoreResult = await followRestore(handle, { quiet: json });
      console.log(json ? JSON.stringify({ id: handle.workflowId, status: 'COMPLETED', result }) : describeResult(result));
      return 0;
    } catch (err) {
      if (err instanceof WorkflowFailedError) {
        const message = err.cause?.message ?? err.message;
        // The message may quote names and values from the bucket: no control character reaches the terminal.
        console.log(json ? terminalSafeJson(JSON.stringify({ id: handle.workflowId, status: 'FAILED', error: message })) : `restore failed: ${terminalSafeMessage(message)}`);
        return 1;
      }
      throw err;
    }
  });
}

export function describeResult(result: RestoreResult): string {
  const { plan, verify } = result;
  return [
    `restore completed: ${result.restoreId}`,
    `  backup ${plan.backupId} (ended ${plan.backupEndTime}): ${plan.backupReason}`,
    `  WAL ${plan.beginWal}..${plan.endWal}: ${plan.walSegments} segments, ${formatBytes(plan.walBytes)} (read while planning or fetched after); barman registered ${result.walFilesRegistered}`,
    `  base backup: ${plan.baseObjects} objects, ${formatBytes(plan.baseBytes)}, ${formatBytes(result.base.bytesFetched)} fetched by this run${copiedWords(result.base)}`,
    `  timeline: ${describeTimelinePath(plan)}`,
    ...(plan.abandoned ?? []).map((a) => `  not restored: ${a.note}`),
    ...(plan.tablespaces ?? []).map((t) => `  tablespace ${terminalSafe(t.name)} (oid ${t.oid}): ${t.location}${t.source === 'default' ? ' (beside the data directory; --tablespace NAME=DIR chooses another)' : ''}`),
    `  PostgreSQL ${verify.state} at the target${stopWords(verify)}; last replayed commit ${verify.lastReplayedCommit ?? 'none after the backup'}`,
    ...overriddenSettingsLine(verify.overriddenSettings),
    `  data directory ready: ${result.destination}`,
  ].join('\n');
}

/** What a step copied (or linked) from another restore's work area on this host instead of downloading it. */
function copiedWords(transfer: TransferResult): string {
  const reused = transfer.reused;
  if (!reused) return '';
  if (!reused.linkedDirectories) return `, ${formatBytes(reused.bytes)} copied from another restore on this host`;
  const directories = reused.linkedDirectories === 1 ? 'its extracted directory' : `its ${reused.linkedDirectories} extracted directories`;
  return `, ${formatBytes(reused.bytes)} reused from another restore on this host (${directories} linked, not extracted again)`;
}

/** Where verify proved replay stopped, and the timeline a promotion started. */
function stopWords(verify: VerifyResult): string {
  const stop = verify.stoppedAt;
  // The description quotes a restore point name from PostgreSQL's log, escaped: still kept off the terminal's controls.
  const at = stop.lsn ? ` at ${stop.lsn}` : '';
  const now = verify.timeline !== stop.timeline ? `; now on timeline ${verify.timeline}` : '';
  return ` (replay stopped ${terminalSafe(stop.description)}${at}, on timeline ${stop.timeline}${now})`;
}

/** Settings of the backup's configuration verify ran without: the restored files keep them, for whoever starts the copy next. */
function overriddenSettingsLine(settings: OverriddenSetting[]): string[] {
  if (settings.length === 0) return [];
  const each = settings.map((s) => (s.configured === undefined ? `${s.name} (value not shown)` : `${s.name} = '${terminalSafe(s.configured)}'`));
  return [`  verify ran PostgreSQL without these settings of the backup's configuration, which the restored files keep (check them before starting it): ${each.join(', ')}`];
}
