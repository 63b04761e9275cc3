import assert from 'node:assert/strict';
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
});
