// scripts/make-fixture.sh on a shared machine. CI stop 15 failed because a point-in-time copy left running by
// another checkout held 127.0.0.1:54330, the failover fixture's fixed copy port: "could not bind IPv4 address
// "127.0.0.1": Address already in use", and nothing could be tested. A fixture build must take the ports that are
// free, and a build must leave no PostgreSQL of its own running, whether it succeeds or fails.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../support/stack-env';

const run = promisify(execFile);
const SERVER = 'port-taken-failover';

/** Listen on 127.0.0.1:port as "someone else" would. */
async function occupy(port: number): Promise<Server> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return server;
}

/** postgres processes whose command line names a data directory under the stack's source folder. */
async function fixturePostmasters(): Promise<string[]> {
  const { stdout } = await run('ps', ['-eo', 'pid=,args='], { maxBuffer: 4 << 20 });
  const sourceDir = join(REPO_ROOT, '.stack', 'source');
  return stdout.split('\n').filter((line) => /postgres/.test(line) && line.includes(sourceDir));
}

describe('scripts/make-fixture.sh on a machine where its usual ports are taken', function () {
  this.timeout(300_000);
  const blockers: Server[] = [];
  const sourcePort = Number(process.env.PITR_SOURCE_PORT ?? 54329);

  before(async () => {
    // The source's port and the copy's: both held by a process the build does not own.
    for (const port of [sourcePort, sourcePort + 1]) blockers.push(await occupy(port));
  });

  after(async () => {
    await Promise.all(blockers.map((server) => new Promise((resolve) => server.close(resolve))));
  });

  it('builds a failover fixture on other free ports, says which, and leaves no PostgreSQL running', async () => {
    const { stdout, stderr } = await run('bash', [
      join(REPO_ROOT, 'scripts', 'make-fixture.sh'),
      '--server', SERVER, '--barman', '3.19.1', '--base-compression', 'gzip', '--wal-compression', 'gzip',
      '--pg-major', '15', '--shape', 'failover', '--rebuild',
    ], { cwd: REPO_ROOT, maxBuffer: 16 << 20, env: process.env }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
      assert.fail(`the fixture build failed with its ports taken:\n${error.stderr ?? ''}\n${(error.stdout ?? '').slice(-3000)}`);
    });
    const output = `${stdout}\n${stderr}`;
    const fixture = JSON.parse(readFileSync(join(REPO_ROOT, '.stack', 'fixtures', `${SERVER}.json`), 'utf8'));
    assert.equal(fixture.shape, 'failover');
    assert.ok(fixture.branch?.switchLsn, `the fixture records the branch: ${JSON.stringify(fixture.branch)}`);
    assert.match(output, new RegExp(`source PostgreSQL started on 127\\.0\\.0\\.1:(?!${sourcePort}\\b)\\d+`), output);
    assert.deepEqual(await fixturePostmasters(), [], 'no source or copy PostgreSQL is left running');
  });
});
