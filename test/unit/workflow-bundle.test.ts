// The worker loads the prebuilt workflow bundle only while it is newer than the compiled workflow code.
import assert from 'node:assert/strict';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshWorkflowBundle } from '../../src/workflow-bundle';

describe('freshWorkflowBundle', () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(join(tmpdir(), 'pitr-bundle-'))));
  after(async () => rm(dir, { recursive: true, force: true }));

  it('takes a bundle written after the workflow code was compiled', async () => {
    const bundle = join(dir, 'new.js');
    await writeFile(bundle, '');
    const future = new Date(Date.now() + 60_000);
    await utimes(bundle, future, future);
    assert.equal(freshWorkflowBundle(bundle), bundle);
  });

  it('ignores a bundle older than the compiled workflow code (a build without bundling since)', async () => {
    const bundle = join(dir, 'old.js');
    await writeFile(bundle, '');
    await utimes(bundle, new Date(0), new Date(0));
    assert.equal(freshWorkflowBundle(bundle), undefined);
  });

  it('ignores a missing bundle', () => {
    assert.equal(freshWorkflowBundle(join(dir, 'missing.js')), undefined);
  });
});
