// The worker as operators run it: `npx pitr-worker` (bin/pitr-worker.js, the built package in this very
// process), or `npm run worker`, which runs that. A SIGTERM to either drains the worker and leaves no
// process behind (before, `npm run worker` was `sh -c "npm run -s build && node ..."`: a SIGTERM ended npm
// and left the node worker polling).
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freeLoopbackPort } from '../../src/io/postgres-instance';
import { REPO_ROOT, requireStackEnv } from '../support/stack-env';

const run = promisify(execFile);

/** Pids of `pid` and all its descendants (from ps). */
async function processTree(pid: number): Promise<number[]> {
  const { stdout } = await run('ps', ['-e', '-o', 'pid=,ppid=']);
  const children = new Map<number, number[]>();
  for (const line of stdout.trim().split('\n')) {
    const [child, parent] = line.trim().split(/\s+/).map(Number);
    children.set(parent!, [...(children.get(parent!) ?? []), child!]);
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
  return tree;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('worker entry point', function () {
  this.timeout(120_000);

  const entries: Array<{ name: string; command: string; args: string[] }> = [
    { name: 'npx pitr-worker (bin/pitr-worker.js)', command: process.execPath, args: [join(REPO_ROOT, 'bin', 'pitr-worker.js')] },
    { name: 'npm run worker', command: 'npm', args: ['run', '-s', 'worker'] },
  ];

  for (const entry of entries) {
    it(`${entry.name}: logs JSON lines, serves Prometheus metrics, and drains on SIGTERM leaving no process behind`, async () => {
      requireStackEnv();
      const port = await freeLoopbackPort();
      const child = spawn(entry.command, entry.args, {
        cwd: REPO_ROOT,
        env: { ...process.env, PITR_TASK_QUEUE: `entry-${randomUUID()}`, PITR_METRICS_ADDRESS: `127.0.0.1:${port}` },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? `exit ${code}`)));
      let tree: number[] = [];
      const startedAt = Date.now();
      try {
        const deadline = Date.now() + 60_000;
        while (!stdout.includes('pitr worker started')) {
          assert.ok(Date.now() < deadline, `worker did not start: ${stdout}`);
          await new Promise((r) => setTimeout(r, 200));
        }
        console.log(`      started in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
        const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        assert.match(metrics, /^temporal_\w+/m);
        tree = await processTree(child.pid!);
      } finally {
        child.kill('SIGTERM');
      }
      // node exits 0 once drained; npm passes the SIGTERM on to the worker and ends by it itself.
      assert.ok(['exit 0', ...(entry.command === 'npm' ? ['SIGTERM'] : [])].includes(await exited), `ended by ${await exited}`);
      // Every process of the entry (npm, a shell, node) is gone once it has exited, the worker included.
      const deadline = Date.now() + 10_000;
      while (tree.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(tree.filter(alive), [], `left running after SIGTERM: ${tree.filter(alive).join(', ')}`);
      const lines = stdout.trim().split('\n');
      for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), `not a JSON log line: ${line}`);
      const started = lines.map((l) => JSON.parse(l)).find((e) => e.message === 'pitr worker started');
      assert.equal(started.level, 'INFO');
      assert.equal(started.workflowCode, 'prebuilt bundle', 'npm run build made the workflow bundle the worker loads');
      assert.ok(lines.some((l) => /"state":"STOPPED"/.test(l)), 'the worker drains and stops');
      assert.ok(!stdout.includes(process.env.AWS_SECRET_ACCESS_KEY!), 'no secret in the logs');
    });
  }
});
