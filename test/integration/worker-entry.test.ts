// The worker as operators run it: `npm run worker` is `node lib/src/worker.js` with the environment.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { freeLoopbackPort } from '../../src/io/postgres-instance';
import { REPO_ROOT, requireStackEnv } from '../support/stack-env';

describe('worker entry point', function () {
  this.timeout(120_000);

  it('logs JSON lines, serves Prometheus metrics, and shuts down cleanly on SIGTERM', async () => {
    requireStackEnv();
    const port = await freeLoopbackPort();
    const child = spawn(process.execPath, [join(REPO_ROOT, 'lib', 'src', 'worker.js')], {
      env: { ...process.env, PITR_TASK_QUEUE: `entry-${randomUUID()}`, PITR_METRICS_ADDRESS: `127.0.0.1:${port}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 60_000;
      while (!stdout.includes('pitr worker started')) {
        assert.ok(Date.now() < deadline, `worker did not start: ${stdout}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.match(metrics, /^temporal_\w+/m);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
    const lines = stdout.trim().split('\n');
    for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), `not a JSON log line: ${line}`);
    const started = lines.map((l) => JSON.parse(l)).find((e) => e.message === 'pitr worker started');
    assert.equal(started.level, 'INFO');
    assert.equal(started.workflowCode, 'prebuilt bundle', 'npm run build made the workflow bundle the worker loads');
    assert.ok(lines.some((l) => /"state":"STOPPED"/.test(l)), 'the worker drains and stops');
    assert.ok(!stdout.includes(process.env.AWS_SECRET_ACCESS_KEY!), 'no secret in the logs');
  });
});
