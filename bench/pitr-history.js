#!/usr/bin/env node
// Reads a finished restore's workflow history (handle.fetchHistory()) and prints, as JSON, the event
// count and, per activity, when it was scheduled, started and completed (from the events' own times).
// usage: node bench/pitr-history.js WORKFLOW_ID
const { Client, Connection } = require('@temporalio/client');
const { loadClientConnectConfig } = require('@temporalio/envconfig');

const seconds = (t) => (t ? Number(t.seconds) + (t.nanos || 0) / 1e9 : null);

async function main() {
  const workflowId = process.argv[2];
  if (!workflowId) throw new Error('usage: pitr-history.js WORKFLOW_ID');
  const config = loadClientConnectConfig();
  const connection = await Connection.connect(config.connectionOptions);
  try {
    const client = new Client({ connection, namespace: config.namespace ?? 'default' });
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const events = history.events ?? [];
    const byScheduled = new Map();
    let workflowStart = null;
    let workflowClose = null;
    for (const e of events) {
      const id = Number(e.eventId);
      const time = seconds(e.eventTime);
      if (e.workflowExecutionStartedEventAttributes) workflowStart = time;
      if (e.workflowExecutionCompletedEventAttributes || e.workflowExecutionFailedEventAttributes) workflowClose = time;
      if (e.activityTaskScheduledEventAttributes) {
        byScheduled.set(id, { type: e.activityTaskScheduledEventAttributes.activityType?.name, scheduled: time, started: null, closed: null, attempt: null, outcome: null });
      }
      const started = e.activityTaskStartedEventAttributes;
      if (started) {
        const a = byScheduled.get(Number(started.scheduledEventId));
        if (a) Object.assign(a, { started: time, attempt: started.attempt });
      }
      for (const [field, outcome] of [
        ['activityTaskCompletedEventAttributes', 'completed'],
        ['activityTaskFailedEventAttributes', 'failed'],
        ['activityTaskTimedOutEventAttributes', 'timedOut'],
        ['activityTaskCanceledEventAttributes', 'cancelled'],
      ]) {
        const closed = e[field];
        if (closed) {
          const a = byScheduled.get(Number(closed.scheduledEventId));
          if (a) Object.assign(a, { closed: time, outcome });
        }
      }
    }
    const activities = [...byScheduled.values()].map((a) => ({
      ...a,
      queued_s: a.started !== null ? +(a.started - a.scheduled).toFixed(3) : null,
      run_s: a.started !== null && a.closed !== null ? +(a.closed - a.started).toFixed(3) : null,
    }));
    const eventTypes = {};
    for (const e of events) {
      const name = Object.keys(e).find((k) => k.endsWith('EventAttributes') && e[k]) ?? String(e.eventType);
      const short = name.replace(/EventAttributes$/, '');
      eventTypes[short] = (eventTypes[short] ?? 0) + 1;
    }
    console.log(JSON.stringify({ events: events.length, eventTypes, workflow_s: workflowStart && workflowClose ? +(workflowClose - workflowStart).toFixed(3) : null, activities }));
  } finally {
    await connection.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
