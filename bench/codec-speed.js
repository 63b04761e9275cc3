#!/usr/bin/env node
// How fast the worker decompresses one WAL segment in each compression barman-cloud-wal-archive writes:
// a real 16 MiB segment of pgbench traffic (from a throwaway PostgreSQL cluster, or --wal FILE) is
// compressed by barman's own compressor for each codec (test/support/barman-compress.py in the Barman
// venv), then decompressFile (what the planner runs before pg_waldump) decompresses it --runs times,
// codecs alternating run by run; the median gives MB/s of decompressed output, and the ratio to gzip.
// usage: node bench/codec-speed.js [--runs N] [--wal FILE] [--out FILE]
// Needs `npm run build` (it runs lib/), the Barman venv (.tools/barman-3.19.1, from npm run bootstrap),
// and, without --wal, PostgreSQL 15's binaries and root (the cluster runs as postgres).
'use strict';
const { execFileSync } = require('node:child_process');
const { chownSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, statSync } = require('node:fs');
const { rm, writeFile } = require('node:fs/promises');
const { cpus, loadavg, tmpdir } = require('node:os');
const { join } = require('node:path');
const { gzipSync } = require('node:zlib');

const ROOT = join(__dirname, '..');
const lib = (p) => require(join(ROOT, 'lib', p));
const { decompressFile } = lib('src/io/decompress.js');
const { barmanCompress, EXTENSION, WAL_CODECS } = lib('test/support/barman-codecs.js');

const PG_BIN = '/usr/lib/postgresql/15/bin';
const MB = 1e6;

function args() {
  const a = { runs: 5, wal: undefined, out: join(__dirname, 'codec-speed.md') };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const [k, v] = [argv[i], argv[i + 1]];
    if (k === '--runs') a.runs = Number(v);
    else if (k === '--wal') a.wal = v;
    else if (k === '--out') a.out = v;
    else throw new Error(`unknown argument ${k} (usage: node bench/codec-speed.js [--runs N] [--wal FILE] [--out FILE])`);
  }
  if (!(a.runs >= 1)) throw new Error('--runs must be at least 1');
  return a;
}

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)];

/**
 * A complete WAL segment of `pgbench -i -s 3` plus some pgbench traffic, from a throwaway cluster: of those
 * before the current one, the least compressible (gzip), i.e. the one fullest of row data, not of zeroes.
 */
function realWalSegment(dir) {
  const cluster = join(dir, 'cluster');
  const asPostgres = (tool, toolArgs) => execFileSync('runuser', ['-u', 'postgres', '--', join(PG_BIN, tool), ...toolArgs], { stdio: ['ignore', 'pipe', 'inherit'] }).toString();
  chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString()), 0);
  asPostgres('initdb', ['-D', join(cluster, 'data'), '-A', 'trust', '--no-sync']);
  const conn = ['-h', cluster, '-p', '54329'];
  asPostgres('pg_ctl', ['-D', join(cluster, 'data'), '-o', `-p 54329 -k ${cluster} -c listen_addresses=''`, '-l', join(cluster, 'log'), '-w', 'start']);
  try {
    asPostgres('pgbench', [...conn, '-q', '-i', '-s', '3', 'postgres']);
    asPostgres('pgbench', [...conn, '-c', '2', '-t', '2000', 'postgres']);
    const current = asPostgres('psql', [...conn, '-XAtc', 'select pg_walfile_name(pg_current_wal_lsn())', 'postgres']).trim();
    const gzipped = (name) => gzipSync(readFileSync(join(cluster, 'data', 'pg_wal', name)), { level: 1 }).length;
    const full = readdirSync(join(cluster, 'data', 'pg_wal'))
      .filter((name) => /^[0-9A-F]{24}$/.test(name) && name < current)
      .map((name) => ({ name, size: gzipped(name) }))
      .sort((x, y) => y.size - x.size)[0]?.name;
    if (!full) throw new Error(`no complete WAL segment before ${current}`);
    copyFileSync(join(cluster, 'data', 'pg_wal', full), join(dir, full));
    return join(dir, full);
  } finally {
    asPostgres('pg_ctl', ['-D', join(cluster, 'data'), '-m', 'immediate', '-w', 'stop']);
  }
}

async function main() {
  const a = args();
  const dir = mkdtempSync(join(tmpdir(), 'pitr-codec-speed-'));
  try {
    const wal = a.wal ?? realWalSegment(dir);
    const plainBytes = statSync(wal).size;
    const codecs = ['none', ...WAL_CODECS];
    const compressed = { none: wal };
    for (const codec of WAL_CODECS) {
      compressed[codec] = join(dir, `segment${EXTENSION[codec]}`);
      await barmanCompress('wal', codec, wal, compressed[codec]);
    }
    const seconds = Object.fromEntries(codecs.map((codec) => [codec, []]));
    for (let run = 0; run < a.runs; run++) {
      for (const codec of codecs) {
        const target = join(dir, 'out');
        const started = process.hrtime.bigint();
        await decompressFile(compressed[codec], target, codec);
        seconds[codec].push(Number(process.hrtime.bigint() - started) / 1e9);
        await rm(target);
      }
    }
    const speed = (codec) => plainBytes / MB / median(seconds[codec]);
    const rows = codecs.map((codec) => {
      const size = statSync(compressed[codec]).size;
      return `| ${codec} | ${(size / MB).toFixed(2)} | ${(plainBytes / size).toFixed(1)} | ${(median(seconds[codec]) * 1000).toFixed(0)} | ${speed(codec).toFixed(0)} | ${(speed(codec) / speed('gzip')).toFixed(2)} |`;
    });
    const report = [
      '# WAL decompression speed per codec',
      '',
      `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'} (load average ${loadavg()[0].toFixed(1)} at the end: other work shared the machine), Node ${process.version}, with`,
      '```sh',
      `npm run -s build && node bench/codec-speed.js --runs ${a.runs}${a.wal ? ` --wal ${a.wal}` : ''}`,
      '```',
      '',
      `One ${(plainBytes / 2 ** 20).toFixed(0)} MiB WAL segment (${a.wal ? a.wal : 'of `pgbench -i -s 3` and 4,000 pgbench transactions on a throwaway PostgreSQL 15 cluster: the complete segment least compressible by gzip'}),`,
      "compressed by barman-cloud-wal-archive's own compressor for each codec (barman 3.19.1, `test/support/barman-compress.py`),",
      `then decompressed with \`decompressFile\` (src/io/decompress.ts), the worker's path before pg_waldump, ${a.runs} runs each,`,
      'codecs alternating run by run. gzip is inflated in-process (node:zlib); the others stream through their',
      'decompressor process (src/io/external-decompressor.ts): `bzip2 -dc`, `xz -dc`, `zstd -dcq`, `lz4 -dc`, and for',
      "snappy python3-snappy's stream decoder in Debian's /usr/bin/python3. Times include starting that process.",
      'none is the uncompressed segment copied (copyFile): the cost of reading and writing 16 MiB here.',
      '',
      '| codec | compressed MB | ratio | median ms | MB/s (decompressed) | × gzip |',
      '|---|---:|---:|---:|---:|---:|',
      ...rows,
      '',
    ].join('\n');
    await writeFile(a.out, report);
    process.stdout.write(report);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
