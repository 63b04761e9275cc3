import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childEnvironment, runCommand } from '../../../src/io/run-command';

describe('io/run-command', () => {
  const secrets = {
    AWS_ACCESS_KEY_ID: 'AKIAPITRTESTKEY00000',
    AWS_SECRET_ACCESS_KEY: 'pitr-test-secret-never-in-a-child',
    AWS_SESSION_TOKEN: 'pitr-test-session-token',
    TEMPORAL_API_KEY: 'pitr-test-temporal-api-key',
  };
  const saved: Record<string, string | undefined> = {};
  before(() => {
    for (const [name, value] of Object.entries(secrets)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
  });
  after(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it("gives a child process only the allow-listed variables of the worker's environment, plus what the caller adds", async () => {
    const { stdout } = await runCommand('env', [], { env: { PGTZ: 'UTC' } });
    const names = stdout.split('\n').map((line) => line.slice(0, line.indexOf('=')));
    for (const name of Object.keys(secrets)) assert.ok(!names.includes(name), `${name} reached the child`);
    for (const value of Object.values(secrets)) assert.ok(!stdout.includes(value), 'a secret value reached the child');
    assert.ok(names.includes('PATH') && names.includes('PGTZ'), stdout);
    assert.deepEqual(names.filter((n) => !['PATH', 'LANG', 'LC_ALL', 'LC_CTYPE', 'LC_MESSAGES', 'TZ', 'TMPDIR', 'PGTZ'].includes(n)), []);
  });

  it('does the same for a child run as another user (runuser; the suites run as root)', async () => {
    const { stdout } = await runCommand('env', [], { asUser: 'postgres' });
    for (const value of Object.values(secrets)) assert.ok(!stdout.includes(value), 'a secret value reached the child');
  });

  it('builds the environment from the allow-list', () => {
    const env = childEnvironment({ EXTRA: '1' });
    assert.equal(env.EXTRA, '1');
    assert.equal(env.AWS_SECRET_ACCESS_KEY, undefined);
    assert.equal(env.PATH, process.env.PATH);
  });

  describe('cancellation kills the whole process group (barman and the rsync children it starts)', function () {
    this.timeout(30_000);
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'pitr-run-command-'));
      await chmod(dir, 0o777); // the child run as postgres writes its pid here
    });
    afterEach(async () => {
      // Whatever a failed test left running.
      for (const pid of childPids(dir)) killQuietly(pid);
      await rm(dir, { recursive: true, force: true });
    });

    /**
     * A parent (barman) that started a child (rsync) in the background and waits for it. The child writes its
     * pid once it is set up (`setup`), then runs `sleep 300` in its place.
     */
    const parentOfChild = (pidFile: string, setup: string) => ['-c', `bash -c '${setup}; echo $$ > ${pidFile}.tmp && mv ${pidFile}.tmp ${pidFile}; exec sleep 300' & wait`];

    for (const asUser of [undefined, 'postgres']) {
      it(`kills a child of the command on abort, not only the command${asUser ? ` (run as ${asUser} through runuser)` : ''}`, async () => {
        const pidFile = join(dir, 'child.pid');
        const controller = new AbortController();
        const running = runCommand('bash', parentOfChild(pidFile, ':'), { signal: controller.signal, asUser, cwd: '/' });
        const child = await waitForPid(pidFile);
        controller.abort(new Error('cancelled by the test'));
        await assert.rejects(returnsWithin(running, 12_000), /cancelled by the test/);
        await waitGone(child, 5_000);
      });
    }

    it('kills the process group of a command still running when the worker process exits', async () => {
      const pidFile = join(dir, 'child.pid');
      const module = join(__dirname, '..', '..', '..', 'src', 'io', 'run-command.js');
      const script = [
        `const { runCommand } = require(${JSON.stringify(module)});`,
        `runCommand('bash', ${JSON.stringify(parentOfChild(pidFile, ':'))}).catch(() => {});`,
        `const wait = setInterval(() => { if (require('node:fs').existsSync(${JSON.stringify(pidFile)})) { clearInterval(wait); process.exit(0); } }, 20);`,
      ].join('\n');
      const worker = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
      await new Promise((resolve) => worker.once('exit', resolve));
      await waitGone(await waitForPid(pidFile), 5_000);
    });

    it('kills a child that ignores SIGTERM once the grace period is over', async () => {
      const pidFile = join(dir, 'child.pid');
      const controller = new AbortController();
      const running = runCommand('bash', parentOfChild(pidFile, 'trap "" TERM'), { signal: controller.signal });
      const child = await waitForPid(pidFile);
      controller.abort(new Error('cancelled by the test'));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      assert.ok(alive(child), 'the child outlived SIGTERM (it ignores it)');
      await assert.rejects(returnsWithin(running, 12_000), /cancelled by the test/);
      await waitGone(child, 1_000);
    });
  });
});

/** `running`, or a failure naming the hang when it has not settled within `ms` (a child holding its output open). */
function returnsWithin<T>(running: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`runCommand had not returned ${ms} ms after the cancel`)), ms);
  });
  return Promise.race([running, hang]).finally(() => clearTimeout(timer));
}

async function waitForPid(file: string): Promise<number> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (existsSync(file)) return Number(readFileSync(file, 'utf8').trim());
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no pid in ${file} after 10 s`);
}

function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX] /s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function waitGone(pid: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (alive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  if (alive(pid)) {
    killQuietly(pid);
    assert.fail(`the command's child ${pid} was still running ${ms} ms after the command was ended`);
  }
}

function childPids(dir: string): number[] {
  const file = join(dir, 'child.pid');
  return existsSync(file) ? [Number(readFileSync(file, 'utf8').trim())] : [];
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}
