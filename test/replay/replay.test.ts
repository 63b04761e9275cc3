// Histories of real restores (completed, refused as unreachable, cancelled), recorded from the
// local stack with `temporal workflow show -o json` by scripts/record-replay-histories.sh, replayed
// against today's workflow code: a change that would break restores already running fails here.
// When to patch and when to re-record: docs/versioning.md.
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { REPO_ROOT } from '../support/stack-env';

const HISTORIES = join(REPO_ROOT, 'test', 'replay', 'histories');

describe('replay of recorded restore histories', function () {
  this.timeout(120_000);
  const files = readdirSync(HISTORIES).filter((f) => f.endsWith('.json'));
  let workflowBundle: WorkflowBundleWithSourceMap;

  before(async () => {
    workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../src/workflows'), logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } });
  });

  it('has recorded histories of a completed, a refused, a held and a cancelled restore, each ended its own way', () => {
    const expected = [
      { kind: 'ok', end: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED', cleanup: null },
      { kind: 'held', end: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED', cleanup: 'finishHeldRestore' },
      { kind: 'unreachable', end: 'EVENT_TYPE_WORKFLOW_EXECUTION_FAILED', cleanup: 'releaseDestination' },
      { kind: 'cancelled', end: 'EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED', cleanup: 'abandonRestore' },
    ];
    for (const { kind, end, cleanup } of expected) {
      const file = `restore-${kind}.json`;
      assert.ok(files.includes(file), `missing ${file}`);
      const events: { eventType: string; activityTaskScheduledEventAttributes?: { activityType?: { name?: string } } }[] = JSON.parse(readFileSync(join(HISTORIES, file), 'utf8')).events;
      assert.equal(events.at(-1)?.eventType, end, `${file} records a restore that ended that way`);
      const scheduled = events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
      if (cleanup) assert.equal(scheduled.at(-1), cleanup, `${file} covers the clean-up step ${cleanup}`);
      else assert.equal(scheduled.at(-1), 'verifyAndFinishRestore', `${file} runs every step`);
    }
  });

  for (const file of files) {
    it(`replays ${file} without a determinism error`, async () => {
      const history = historyFromJSON(JSON.parse(readFileSync(join(HISTORIES, file), 'utf8')));
      await Worker.runReplayHistory({ workflowBundle }, history, file);
    });
  }

  it('detects a workflow that no longer matches a recorded history', async () => {
    const history = historyFromJSON(JSON.parse(readFileSync(join(HISTORIES, 'restore-ok.json'), 'utf8')));
    const reordered = await bundleWorkflowCode({ workflowsPath: require.resolve('./fixtures/reordered-workflow'), logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } });
    await assert.rejects(Worker.runReplayHistory({ workflowBundle: reordered }, history, 'reordered'), /Nondeterminism|DeterminismViolation|nondeterminism/i);
  });
});
