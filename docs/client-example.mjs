#!/usr/bin/env node
// A script that uses pitr's typed client (the package's main export, src/pitr-client.ts) instead of the CLI.
// Like the CLI, it needs only Temporal: the worker of the Barman host reads S3 and runs pg_waldump.
//
//   TEMPORAL_ADDRESS=127.0.0.1:7233 PITR_TASK_QUEUE=pitr PITR_BUCKET=pitr-backups \
//     node docs/client-example.mjs --server pg --target-time "2026-11-24 06:32:06.397252+00" [--dest DIR] [--restore]
//       [--advance-to LATER_TIME]
//
// It lists the server's backups and recoverable window, plans a restore to the target (with --dest, also the
// disk checks on the worker's host), and with --restore (and --dest) starts the restore and waits for it. With
// --advance-to, the restore is held at the target (PostgreSQL paused there, reachable), advanced to the later
// time (replay goes on from where it paused, only the extra WAL is fetched), then finished: stopped, paused there.
// Outside this repository, install the package and import from 'pitr-temporal' the same way.
import { parseArgs } from 'node:util';
import { PitrClient, RestoreError } from 'pitr-temporal';

const { values } = parseArgs({
  options: {
    server: { type: 'string' },
    'target-time': { type: 'string' },
    dest: { type: 'string' },
    restore: { type: 'boolean', default: false },
    'advance-to': { type: 'string' },
  },
});
if (!values.server || !values['target-time']) {
  console.error('usage: node docs/client-example.mjs --server NAME --target-time TIME [--dest DIR] [--restore] [--advance-to LATER_TIME]');
  process.exit(2);
}

// Temporal's address, namespace and TLS come from TEMPORAL_* variables or a profile; the bucket, prefix and task
// queue default to PITR_BUCKET, PITR_PREFIX and PITR_SERVER_QUEUES / PITR_TASK_QUEUE, as for the CLI.
const pitr = await PitrClient.connect();
try {
  const archive = await pitr.backups({ server: values.server });
  console.log(`backups of ${archive.server}: ${archive.backups.map((b) => `${b.id} (${b.status}, ended ${b.endTime})`).join(', ')}`);
  for (const timeline of archive.timelines) {
    for (const window of timeline.windows) console.log(`timeline ${timeline.timeline}: recoverable from ${window.from} to ${window.to}`);
  }

  const plan = await pitr.plan({ server: values.server, targetTime: values['target-time'], destination: values.dest });
  if (!plan.reachable) {
    console.log(`not reachable (${plan.type}): ${plan.message}`);
    process.exitCode = 3;
  } else {
    console.log(`plan: backup ${plan.plan.backupId}, WAL ${plan.plan.beginWal}..${plan.plan.endWal} (${plan.plan.walSegments} segments), ` +
      `${plan.plan.baseBytes + plan.plan.walBytes} bytes to fetch${plan.space ? `, disk ${plan.space.enough ? 'enough' : 'NOT ENOUGH'}` : ''}`);
    if (values.restore && values.dest) {
      const hold = values['advance-to'] !== undefined;
      const handle = await pitr.startRestore({ server: values.server, target: { time: values['target-time'] }, destination: values.dest, hold });
      console.log(`restore started: ${handle.workflowId} (${pitr.uiLink(handle.workflowId)})`);
      if (hold) {
        const held = await pitr.waitUntilHeld(handle.workflowId);
        console.log(`held: replay stopped ${held.verify.stoppedAt.description}; psql -h ${held.server.socketDir} -p ${held.server.port} -d postgres`);
        const advanced = await pitr.advance(handle.workflowId, { time: values['advance-to'] });
        console.log(`advanced: replay stopped ${advanced.verify.stoppedAt.description}; ${advanced.wal.bytesFetched} bytes of WAL fetched`);
        await pitr.finish(handle.workflowId, 'stop');
      }
      const result = await handle.result();
      console.log(`restore completed: PostgreSQL ${result.verify.state} at the target in ${result.destination}`);
      const status = await pitr.status(handle.workflowId);
      console.log(`status: ${status.status}, ${status.record?.steps.length ?? 0} steps recorded`);
    }
  }
} catch (err) {
  // Failures the worker names (ServerNotFound, AccessDenied, ToolMissing, ...) arrive typed.
  if (err instanceof RestoreError) console.error(`${err.type}: ${err.message}`);
  else throw err;
  process.exitCode = 1;
} finally {
  await pitr.close();
}
