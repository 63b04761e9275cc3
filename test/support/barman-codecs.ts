// Files compressed by barman-cloud's own code, for the decompression tests: test/support/barman-compress.py
// run by the Python of the Barman venv that bootstrap installs (.tools/barman-3.19.1, with barman's
// snappy, zstandard and lz4 extras). A missing venv fails the suite with the command that installs it.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './stack-env';

export const BARMAN_PYTHON = process.env.PITR_TEST_BARMAN_PYTHON || join(REPO_ROOT, '.tools', 'barman-3.19.1', 'bin', 'python');
const SCRIPT = join(REPO_ROOT, 'test', 'support', 'barman-compress.py');

export const WAL_CODECS = ['gzip', 'bzip2', 'xz', 'zstd', 'lz4', 'snappy'] as const;
export const TAR_CODECS = ['none', 'gzip', 'bzip2', 'snappy', 'lz4'] as const;
/** The extension barman-cloud gives each compression. */
export const EXTENSION: Record<string, string> = { none: '', gzip: '.gz', bzip2: '.bz2', xz: '.xz', zstd: '.zst', lz4: '.lz4', snappy: '.snappy' };

/**
 * `wal`: compresses one file as barman-cloud-wal-archive does; `tar`: makes a tarball of a directory as
 * barman-cloud-backup streams it (barman.cloud.CloudTarUploader).
 */
export async function barmanCompress(mode: 'wal' | 'tar', codec: string, source: string, target: string): Promise<void> {
  if (!existsSync(BARMAN_PYTHON)) {
    throw new Error(`barman's compressors are needed and ${BARMAN_PYTHON} is missing: run \`npm run bootstrap\` (it installs .tools/barman-3.19.1)`);
  }
  await promisify(execFile)(BARMAN_PYTHON, [SCRIPT, mode, codec, source, target]);
}

/**
 * `size` bytes that compress like WAL does: runs of pgbench-like text rows, zero-filled pages, and
 * pseudo-random pages (these make snappy write uncompressed chunks). Deterministic.
 */
export function walLikeBytes(size: number): Buffer {
  const out = Buffer.alloc(size);
  let seed = 0x2545f491;
  const random = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  const page = 8192;
  for (let offset = 0, n = 0; offset < size; offset += page, n++) {
    const end = Math.min(offset + page, size);
    const kind = random() % 8;
    if (kind === 0) continue; // zeros
    if (kind === 1) {
      for (let i = offset; i < end; i += 4) out.writeUInt32LE(random(), i);
      continue;
    }
    let row = '';
    for (let i = 0; row.length < end - offset; i++) row += `${n * 100 + i}|${random() % 10}|${random() % 100000}|${'x'.repeat(random() % 40)}\n`;
    out.write(row.slice(0, end - offset), offset, 'latin1');
  }
  return out;
}
