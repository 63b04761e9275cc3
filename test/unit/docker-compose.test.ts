// docker-compose.yml cannot run here (no Docker engine): check that it parses and defines the
// topology the README describes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../support/stack-env';

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, { image?: string; build?: { context: string; args?: Record<string, string> }; command?: string[]; environment?: Record<string, string>; volumes?: string[] }>;
  };

  it('defines Temporal with its UI and search attributes, an S3 server and the worker', () => {
    assert.deepEqual(Object.keys(compose.services).sort(), ['s3', 'temporal', 'worker']);
    const temporal = compose.services.temporal.command?.join(' ') ?? '';
    for (const attribute of ['RestoreServer', 'RestoreDestination', 'RestorePhase', 'RestoreBackupId', 'RestoreTargetTime']) {
      assert.match(temporal, new RegExp(`--search-attribute=${attribute}=`));
    }
    assert.match(temporal, /--ui-ip/);
  });

  it('gives the worker the Barman volume and the connection settings, with no secret written in the file', () => {
    const worker = compose.services.worker;
    assert.equal(worker.build?.context, '.');
    assert.match(worker.build?.args?.PG_MAJOR ?? '', /^\$\{PG_MAJOR:-1[5-9]\}$/);
    assert.ok(worker.volumes?.some((v) => v.endsWith(':/var/lib/pitr')));
    assert.equal(worker.environment?.PITR_BARMAN_HOME, '/var/lib/pitr');
    // The CLI runs in the worker's container: it takes the server-to-queue mapping from the caller's environment.
    assert.equal(worker.environment?.PITR_SERVER_QUEUES, '${PITR_SERVER_QUEUES:-}');
    assert.match(worker.environment?.AWS_SECRET_ACCESS_KEY ?? '', /^\$\{AWS_SECRET_ACCESS_KEY/);
  });

  it("builds a worker image with the newest Barman, its codecs, `file`, and the PostgreSQL major given as a build argument", () => {
    const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    assert.match(dockerfile, /^ARG PG_MAJOR=\d+$/m);
    assert.match(dockerfile, /"postgresql-\$\{PG_MAJOR\}"/);
    for (const pkg of ['file', 'rsync', 'bzip2', 'xz-utils', 'zstd', 'lz4', 'python3-snappy', 'python3-crc32c']) assert.match(dockerfile, new RegExp(`\\s${pkg}\\s`), pkg);
    // Barman from the same pinned requirements the bootstrap installs, and the worker pointed at it.
    assert.match(dockerfile, /COPY scripts\/barman-requirements.txt/);
    assert.match(dockerfile, /pip install --no-cache-dir -r \/opt\/barman-requirements\/barman-requirements.txt/);
    assert.match(dockerfile, /PITR_BARMAN_BIN=\/opt\/barman\/bin\/barman/);
    assert.match(readFileSync(join(REPO_ROOT, 'scripts', 'barman-requirements.txt'), 'utf8'), /^barman\[cloud,snappy,zstandard,lz4\]==\d+\.\d+\.\d+$/m);
  });
});
