// Histories of real restores (completed, refused as unreachable, cancelled), recorded from the
// local stack with `temporal workflow show -o json`, replayed against today's workflow code: a
// change that would break restores already running fails here. The unfused-* ones were recorded
// before the 'fused-steps' patch and take the workflow's old path.
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

  it('has recorded histories of a completed, a refused and a cancelled restore, of today\'s steps and of the unfused ones', () => {
    // unfused-*: restores started before the 'fused-steps' patch, which must still replay and finish.
    for (const generation of ['', 'unfused-']) {
      for (const kind of ['ok', 'unreachable', 'cancelled']) assert.ok(files.includes(`${generation}restore-${kind}.json`), `missing ${generation}restore-${kind}.json`);
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
