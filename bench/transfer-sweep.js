#!/usr/bin/env node
// The measurement behind the download defaults (PITR_PART_SIZE_MB, PITR_PART_CONCURRENCY,
// PITR_DOWNLOAD_CONCURRENCY): on the benchmark fixture, time
//   - the base step as the worker runs it (ranged GETs teed into the streaming extraction) for part
//     sizes x parallel parts, and
//   - the WAL download (one GET per segment) for object concurrencies,
// each setting --runs times (median), alternating settings run by run, into fresh directories;
// directly against the local S3 server and through a proxy adding --latency-ms before each response
// (a remote bucket's first-byte latency, which is what parallel GETs hide).
// usage: node bench/transfer-sweep.js [--runs N] [--latency-ms MS] [--out FILE]
// Needs `npm run build` (it runs lib/) and the stack's environment (source .stack/env) and the
// benchmark fixture (bench/work/fixture.json, made by npm run bench).
'use strict';
const { mkdtemp, rm, readFile, writeFile } = require('node:fs/promises');
const { tmpdir, cpus, totalmem } = require('node:os');
const { join, basename } = require('node:path');
const { PassThrough } = require('node:stream');

const ROOT = join(__dirname, '..');
const lib = (p) => require(join(ROOT, 'lib', p));
const { createS3Client } = lib('src/io/s3-client.js');
const { downloadObjects } = lib('src/io/s3-download.js');
const { openJournal } = lib('src/io/download-journal.js');
const { extractStream } = lib('src/io/tar-extract.js');
const { listWalArchive } = lib('src/io/wal-archive.js');
const { startS3FaultProxy } = lib('test/support/s3-fault-proxy.js');

const MiB = 1024 * 1024;
const PART_SIZES_MIB = [4, 8, 16, 32];
const PART_CONCURRENCIES = [1, 2, 4, 8];
const WAL_CONCURRENCIES = [1, 2, 4, 8, 16];

function args() {
  const a = { runs: 3, latencyMs: 25, out: join(__dirname, 'transfer-sweep.md') };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const [k, v] = [argv[i], argv[i + 1]];
    if (k === '--runs') a.runs = Number(v);
    else if (k === '--latency-ms') a.latencyMs = Number(v);
    else if (k === '--out') a.out = v;
    else throw new Error(`unknown argument ${k} (usage: node bench/transfer-sweep.js [--runs N] [--latency-ms MS] [--out FILE])`);
  }
  if (!(a.runs >= 1)) throw new Error('--runs must be at least 1');
  return a;
}

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)];

/** The base step of the worker (syncAndExtractBaseBackup) without Temporal: GETs teed into the extraction. */
async function baseStep(s3, bucket, tarball, settings) {
  const dir = await mkdtemp(join(tmpdir(), 'pitr-sweep-'));
  try {
    const journal = await openJournal(join(dir, 'journal'));
    const tee = new PassThrough({ highWaterMark: 4 * MiB });
    const started = process.hrtime.bigint();
    const extraction = extractStream({ stream: tee, bytesTotal: tarball.size, name: tarball.key }, join(dir, 'data'), { compression: 'gzip' });
    await Promise.all([
      downloadObjects(s3, bucket, [{ ...tarball, localPath: join(dir, 'data.tar.gz'), tee }], { journal, ...settings }),
      extraction,
    ]);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await journal.close();
    return seconds;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function walDownload(s3, bucket, wals, concurrency) {
  const dir = await mkdtemp(join(tmpdir(), 'pitr-sweep-'));
  try {
    const journal = await openJournal(join(dir, 'journal'));
    const items = wals.map((w) => ({ key: w.key, size: w.size, etag: w.etag, localPath: join(dir, basename(w.key)) }));
    const started = process.hrtime.bigint();
    await downloadObjects(s3, bucket, items, { journal, concurrency, partSize: 16 * MiB, partConcurrency: 4 });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await journal.close();
    return seconds;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs every case `runs` times, case after case within a round (alternating), and keeps the median. */
async function sweep(cases, runs, measure) {
  const times = new Map(cases.map((c) => [c.label, []]));
  for (let r = 0; r < runs; r++) {
    for (const c of cases) times.get(c.label).push(await measure(c));
  }
  return cases.map((c) => ({ ...c, median: median(times.get(c.label)), all: times.get(c.label) }));
}

async function main() {
  const a = args();
  const fixture = JSON.parse(await readFile(join(__dirname, 'work', 'fixture.json'), 'utf8'));
  const bucket = fixture.bucket;
  const direct = createS3Client();
  const tarballKey = fixture.baseObjects.find((o) => o.key.endsWith('.tar.gz')).key;
  const { HeadObjectCommand } = require(join(ROOT, 'node_modules', '@aws-sdk', 'client-s3'));
  const head = await direct.send(new HeadObjectCommand({ Bucket: bucket, Key: tarballKey }));
  const tarball = { key: tarballKey, size: Number(head.ContentLength), etag: head.ETag };
  const archive = await listWalArchive(direct, bucket, fixture.prefix, fixture.server);
  const needed = archive.segments.filter((w) => w.name >= fixture.firstWal && w.name <= fixture.lastWalNeeded);

  const proxy = await startS3FaultProxy({ delayMs: a.latencyMs, delayRate: 1 });
  const viaProxy = createS3Client({ ...process.env, AWS_ENDPOINT_URL: proxy.endpoint, AWS_ENDPOINT_URL_S3: proxy.endpoint });
  const networks = [
    { name: 'loopback', s3: direct },
    { name: `+${a.latencyMs} ms latency`, s3: viaProxy },
  ];
  const sections = [];
  try {
    for (const net of networks) {
      const baseCases = PART_SIZES_MIB.flatMap((p) => PART_CONCURRENCIES.map((c) => ({ label: `${p}x${c}`, partSize: p * MiB, partConcurrency: c })));
      process.stderr.write(`[sweep] base step, ${net.name}: ${baseCases.length} settings x ${a.runs} runs\n`);
      const base = await sweep(baseCases, a.runs, (c) => baseStep(net.s3, bucket, tarball, { partSize: c.partSize, partConcurrency: c.partConcurrency }));
      process.stderr.write(`[sweep] WAL download, ${net.name}: ${WAL_CONCURRENCIES.length} settings x ${a.runs} runs\n`);
      const wal = await sweep(WAL_CONCURRENCIES.map((c) => ({ label: String(c), concurrency: c })), a.runs, (c) => walDownload(net.s3, bucket, needed, c.concurrency));
      sections.push({ net: net.name, base, wal });
    }
  } finally {
    await proxy.stop();
  }

  const lines = [
    '# Download settings sweep',
    '',
    `Written by \`node bench/transfer-sweep.js --runs ${a.runs} --latency-ms ${a.latencyMs}\` on ${new Date().toISOString()}:`,
    `${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, S3 = versitygw on 127.0.0.1.`,
    `Fixture: ${tarball.key} (${(tarball.size / MiB).toFixed(1)} MiB gzip, ${(fixture.pgdataBytes / 1e9).toFixed(2)} GB extracted) and ${needed.length} WAL objects`,
    `(${(needed.reduce((s, w) => s + w.size, 0) / MiB).toFixed(1)} MiB). Median of ${a.runs} runs, settings alternating run by run.`,
    '',
  ];
  for (const { net, base, wal } of sections) {
    lines.push(`## ${net}`, '', '**Base step** (ranged GETs teed into the streaming extraction), seconds; rows: part size, columns: parts in parallel', '');
    lines.push(`| part size | ${PART_CONCURRENCIES.map((c) => `${c} parallel`).join(' | ')} |`, `|---|${PART_CONCURRENCIES.map(() => '---:').join('|')}|`);
    for (const p of PART_SIZES_MIB) {
      lines.push(`| ${p} MiB | ${PART_CONCURRENCIES.map((c) => base.find((b) => b.label === `${p}x${c}`).median.toFixed(2)).join(' | ')} |`);
    }
    lines.push('', '**WAL download** (one GET per segment), seconds', '', `| objects in parallel | ${WAL_CONCURRENCIES.join(' | ')} |`, `|---|${WAL_CONCURRENCIES.map(() => '---:').join('|')}|`);
    lines.push(`| median | ${WAL_CONCURRENCIES.map((c) => wal.find((w) => w.label === String(c)).median.toFixed(2)).join(' | ')} |`, '');
  }
  await writeFile(a.out, `${lines.join('\n')}\n`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((err) => {
  console.error(`transfer-sweep: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
