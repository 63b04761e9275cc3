// The download engine shared by the base backup and the WAL: bounded parallel GETs, ranged GETs for
// large objects, resumable `.part` files, integrity checks, atomic renames and a journal of what is done.
import { GetObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { createHash, type Hash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { WantedObject } from '../core/local-copies';
import { FailureTypes, RestoreError, type ProgressDetails, type TransferResult } from '../shared';
import { asDiskFull } from './disk-full';
import { runPool } from './run-pool';
import type { DownloadJournal } from './download-journal';
import { withS3Context } from './s3-client';
import { unquoteEtag } from './s3-listing';

/** Objects in parallel; measured in bench/transfer-sweep.md (see settings.ts). */
export const DEFAULT_CONCURRENCY = 16;
export const DEFAULT_PART_SIZE = 16 * 1024 * 1024;
export const DEFAULT_PART_CONCURRENCY = 4;
const PROGRESS_INTERVAL_MS = 250;
const READ_BUFFER_BYTES = 1024 * 1024;

export interface DownloadItem {
  key: string;
  size: number;
  /** As listed, with or without quotes. */
  etag: string;
  localPath: string;
  /**
   * Also receives the object's bytes, in order, while it downloads: read back from the `.part` file as
   * soon as every part before them is on disk (an object already complete is read from its file). Ended
   * once the object is verified; destroyed if the download fails. A slow reader never slows the GETs, and
   * one that stops (destroys the tee) does not stop the download: it goes on, and is verified.
   */
  tee?: Writable;
}

export interface DownloadProgress extends Omit<ProgressDetails, 'phase'> {
  /** Objects copied from another restore's work area instead of downloaded (see LocalCopySource); absent when none. */
  objectsReused?: number;
}

/**
 * Another place on this host that may already hold an object (src/io/local-copies.ts: another restore's
 * work area). Asked before an object is fetched; it either writes the whole, verified object to `target`
 * (fsync'd) and resolves true, or leaves no `target` and resolves false, and the object is downloaded.
 */
export interface LocalCopySource {
  copyInto(item: WantedObject, target: string, signal?: AbortSignal): Promise<boolean>;
}

export interface DownloadOptions {
  journal: DownloadJournal;
  /** Objects downloaded in parallel. */
  concurrency?: number;
  /** Objects larger than this are fetched as ranged GETs of this size. */
  partSize?: number;
  /** Parallel ranged GETs per large object. */
  partConcurrency?: number;
  /** On abort no new GET starts, running ones are aborted, and `.part` files stay for resuming. */
  signal?: AbortSignal;
  /** Called at most every `progressIntervalMs`, and once at the end. */
  onProgress?(p: DownloadProgress): void;
  /** Default 250. */
  progressIntervalMs?: number;
  /** Copies instead of GETs where another restore on this host already has the object. */
  localCopies?: LocalCopySource;
}

/** A downloaded object that does not match its listing: retryable, the next attempt fetches it again. */
export class DownloadIntegrityError extends Error {
  readonly retryable = true;
  constructor(message: string) {
    super(message);
    this.name = 'DownloadIntegrityError';
  }
}

/** The sidecar of a ranged download: which chunks of which object version are on disk. */
interface PartState {
  etag: string;
  size: number;
  partSize: number;
  done: number[];
}

/** One downloadObjects call: the options the downloads use (the part settings checked and defaulted), and what it counts. */
interface Context extends Pick<DownloadOptions, 'journal' | 'signal' | 'localCopies'>, Required<Pick<DownloadOptions, 'partSize' | 'partConcurrency'>> {
  s3: S3Client;
  bucket: string;
  progress: Progress;
  bytesFetched: number;
  madeDirs: Set<string>;
}

/**
 * Downloads `items` from `bucket` to their local paths, skipping what the journal says is complete.
 * Network and 5xx errors propagate after the SDK's own retries; what is on disk decides, on the next
 * call, what is left to fetch.
 */
export async function downloadObjects(
  s3: S3Client,
  bucket: string,
  items: readonly DownloadItem[],
  opts: DownloadOptions,
): Promise<TransferResult> {
  const concurrency = positiveInt(opts.concurrency ?? DEFAULT_CONCURRENCY, 'concurrency');
  const partSize = positiveInt(opts.partSize ?? DEFAULT_PART_SIZE, 'partSize');
  const partConcurrency = positiveInt(opts.partConcurrency ?? DEFAULT_PART_CONCURRENCY, 'partConcurrency');
  const bytesTotal = items.reduce((sum, i) => sum + i.size, 0);
  const ctx: Context = {
    s3,
    bucket,
    journal: opts.journal,
    partSize,
    partConcurrency,
    signal: opts.signal,
    progress: new Progress(bytesTotal, items.length, opts.onProgress, opts.progressIntervalMs ?? PROGRESS_INTERVAL_MS),
    bytesFetched: 0,
    madeDirs: new Set(),
    localCopies: opts.localCopies,
  };
  let objectsSkipped = 0;
  try {
    await runPool(items, concurrency, opts.signal, async (raw) => {
      const item = { ...raw, etag: unquoteEtag(raw.etag) };
      if (await ctx.journal.isComplete(item)) {
        objectsSkipped++;
        ctx.progress.fileDone(item.size, item.key);
        if (item.tee) await feedFromFile(item.localPath, item.tee, opts.signal);
        return;
      }
      try {
        await downloadOne(ctx, item);
      } catch (err) {
        const failure = withS3Context(asDiskFull(err, item.localPath, `downloading s3://${bucket}/${item.key} to`), { bucket, key: item.key });
        item.tee?.destroy(failure as Error);
        throw failure;
      }
    });
  } catch (err) {
    // Tees of objects never started would otherwise wait for bytes forever.
    for (const item of items) if (item.tee && !item.tee.writableEnded) item.tee.destroy(err as Error);
    // Report the caller's own abort reason rather than whichever request noticed it first.
    opts.signal?.throwIfAborted();
    throw err;
  } finally {
    ctx.progress.report(true);
  }
  const result: TransferResult = { objects: items.length, objectsSkipped, bytesFetched: ctx.bytesFetched, bytesTotal };
  const reused = ctx.progress.reusedTotals;
  return reused.objects > 0 ? { ...result, reused } : result;
}

async function downloadOne(ctx: Context, item: DownloadItem): Promise<void> {
  const dir = dirname(item.localPath);
  if (!ctx.madeDirs.has(dir)) {
    await mkdir(dir, { recursive: true });
    ctx.madeDirs.add(dir);
  }
  const part = `${item.localPath}.part`;
  const sidecar = `${part}.json`;
  if (await putInPlaceBefore(item, part, sidecar)) {
    // An earlier attempt verified this very object and renamed it into place, then could not record it in
    // the journal (a full disk): it is recorded now, not fetched again.
    ctx.progress.add(item.size, item.key);
    if (item.tee) await feedFromFile(item.localPath, item.tee, ctx.signal);
  } else if (await copyLocally(ctx, item, part)) {
    ctx.progress.reused(item.size, item.key);
    if (item.tee) await feedFromFile(item.localPath, item.tee, ctx.signal);
  } else {
    // A teed object always goes the ranged way, whose in-order read-back feeds the tee.
    if (item.size > ctx.partSize || item.tee) await fetchRanged(ctx, item, part);
    else await fetchWhole(ctx, item, part);
    // The sidecar, listing every chunk, outlives the rename until the journal has the object.
    await rename(part, item.localPath);
  }
  await ctx.journal.markComplete(item);
  await rm(sidecar, { force: true });
  if (item.tee && !item.tee.destroyed && !item.tee.writableEnded) item.tee.end();
  ctx.progress.fileDone(0, item.key);
}

/**
 * The object from another restore's area, in place, instead of a GET. It is copied beside `.part`, which
 * keeps what an interrupted download of this object left (its sidecar lists the chunks a resumed download
 * skips) until the copy is complete; then both are removed and the copy renamed into place.
 */
async function copyLocally(ctx: Context, item: DownloadItem, part: string): Promise<boolean> {
  if (!ctx.localCopies) return false;
  const copy = `${item.localPath}.local-copy`;
  if (!(await ctx.localCopies.copyInto(item, copy, ctx.signal))) return false;
  await discard(part);
  await rename(copy, item.localPath);
  return true;
}

/** The sidecar lists every chunk of this object version, and the file is in place (no `.part` left): verified, renamed, not journalled. */
async function putInPlaceBefore(item: DownloadItem, part: string, sidecar: string): Promise<boolean> {
  const state = await readSidecar(sidecar);
  if (!state || state.etag !== item.etag || state.size !== item.size || state.partSize < 1) return false;
  const chunks = Math.ceil(item.size / state.partSize);
  const done = new Set(state.done);
  for (let i = 0; i < chunks; i++) if (!done.has(i)) return false;
  return (await sizeOf(item.localPath)) === item.size && (await sizeOf(part)) === undefined;
}

/** One GET streamed to `.part`, hashed on the way when the ETag is an MD5. */
async function fetchWhole(ctx: Context, item: DownloadItem, part: string): Promise<void> {
  // A sidecar left by an earlier ranged attempt (other partSize) no longer describes this `.part`.
  await rm(`${part}.json`, { force: true });
  const res = await ctx.s3.send(
    new GetObjectCommand({ Bucket: ctx.bucket, Key: item.key, IfMatch: quote(item.etag) }),
    { abortSignal: ctx.signal },
  );
  const md5 = etagIsMd5(item.etag) && !isServerEncrypted(res) ? createHash('md5') : undefined;
  let received = 0;
  const count = new Transform({
    transform: (chunk: Buffer, _enc, cb) => {
      received += chunk.length;
      ctx.bytesFetched += chunk.length;
      md5?.update(chunk);
      ctx.progress.add(chunk.length, item.key);
      cb(null, chunk);
    },
  });
  try {
    // flush: fsync before close, so that the rename never publishes data still in the page cache.
    await pipeline(res.Body as Readable, count, createWriteStream(part, { flush: true }), { signal: ctx.signal });
  } catch (err) {
    // The SDK checks the object's own checksum (x-amz-checksum-*) when the server sends one: a mismatch is
    // the same question as an MD5 ETag that does not match, and gets the same second opinion. The copy is
    // known by the checksum the SDK computed over all of it (it withholds the last bytes when it refuses).
    const refused = sdkChecksumMismatch(err);
    if (!refused) throw err;
    await mismatch(ctx, item, part, `${refused.header} ${refused.received}`, `S3 gives their checksum as ${refused.expected}`);
  }
  await verify(ctx, item, part, received, md5);
  // Verified: the object is one chunk, done (see downloadOne).
  await writeSidecar(`${part}.json`, { etag: item.etag, size: item.size, partSize: ctx.partSize, done: item.size > 0 ? [0] : [] });
}

/**
 * Parallel ranged GETs written at their offsets into `.part`. The sidecar lists the chunks on disk
 * (each fsync'd before it is listed), so that a crashed or retried download fetches only the rest,
 * provided the object is still the same version (ETag) and was cut the same way (partSize).
 */
async function fetchRanged(ctx: Context, item: DownloadItem, part: string): Promise<void> {
  const chunks = Math.ceil(item.size / ctx.partSize);
  const { fh, record } = await openPart(ctx, item, part, chunks);
  let encrypted = false;
  const md5 = etagIsMd5(item.etag) ? createHash('md5') : undefined;
  const reader = md5 || item.tee ? new InOrderReader(fh, record.done, chunks, (i) => chunkBounds(ctx, item, i), md5, item.tee) : undefined;
  try {
    for (const i of record.done) {
      const [start, end] = chunkBounds(ctx, item, i);
      ctx.progress.add(end - start, item.key);
    }
    reader?.advance();
    const todo = Array.from({ length: chunks }, (_, i) => i).filter((i) => !record.done.has(i));
    await runPool(todo, ctx.partConcurrency, ctx.signal, async (i) => {
      if (await fetchChunk(ctx, item, fh, i)) encrypted = true;
      record.add(i);
      reader?.advance();
      await record.save();
    });
    const size = (await fh.stat()).size;
    await reader?.finish();
    await verify(ctx, item, part, size, encrypted ? undefined : md5);
    await fh.sync();
  } finally {
    await reader?.settle();
    await fh.close();
  }
}

/**
 * Opens `.part` for a ranged download: to resume, when its sidecar describes this object version cut into
 * chunks of this size and the file has the object's size; otherwise afresh, at full size, with an empty sidecar.
 */
async function openPart(ctx: Context, item: DownloadItem, part: string, chunks: number): Promise<{ fh: FileHandle; record: ChunkRecord }> {
  const sidecar = `${part}.json`;
  const previous = await readSidecar(sidecar);
  const resumable =
    previous !== undefined &&
    previous.etag === item.etag &&
    previous.size === item.size &&
    previous.partSize === ctx.partSize &&
    (await sizeOf(part)) === item.size;
  if (resumable) {
    const fh = await open(part, 'r+');
    return { fh, record: new ChunkRecord(sidecar, { ...previous, done: previous.done.filter((i) => Number.isInteger(i) && i >= 0 && i < chunks) }) };
  }
  await rm(sidecar, { force: true });
  const fh = await open(part, 'w+');
  const record = new ChunkRecord(sidecar, { etag: item.etag, size: item.size, partSize: ctx.partSize, done: [] });
  try {
    await fh.truncate(item.size);
    await record.save();
  } catch (err) {
    await fh.close();
    throw err;
  }
  return { fh, record };
}

/**
 * One chunk's ranged GET, written at its offset and fsync'd; it must be exactly the chunk's length. Whether
 * the server encrypted it (then the ETag is no MD5 of the data).
 */
async function fetchChunk(ctx: Context, item: DownloadItem, fh: FileHandle, i: number): Promise<boolean> {
  const [start, end] = chunkBounds(ctx, item, i);
  const res = await ctx.s3.send(
    new GetObjectCommand({
      Bucket: ctx.bucket,
      Key: item.key,
      Range: `bytes=${start}-${end - 1}`,
      IfMatch: quote(item.etag),
    }),
    { abortSignal: ctx.signal },
  );
  let pos = start;
  for await (const buf of res.Body as Readable as AsyncIterable<Buffer>) {
    ctx.signal?.throwIfAborted();
    if (pos + buf.length > end) {
      throw new DownloadIntegrityError(`s3://${ctx.bucket}/${item.key}: range ${start}-${end - 1} returned too many bytes`);
    }
    await writeAt(fh, buf, pos);
    pos += buf.length;
    ctx.bytesFetched += buf.length;
    ctx.progress.add(buf.length, item.key);
  }
  if (pos !== end) {
    throw new DownloadIntegrityError(`s3://${ctx.bucket}/${item.key}: range ${start}-${end - 1} ended after ${pos - start} of ${end - start} bytes`);
  }
  await fh.datasync();
  return isServerEncrypted(res);
}

/** Chunk `i`'s first byte and the byte past its last. */
function chunkBounds(ctx: Context, item: DownloadItem, i: number): [number, number] {
  return [i * ctx.partSize, Math.min(item.size, (i + 1) * ctx.partSize)];
}

/**
 * The chunks of a ranged download that are on disk, and its sidecar listing them. Chunks complete in any
 * order; the sidecar is rewritten one write at a time, each listing every chunk done by then.
 */
class ChunkRecord {
  readonly done: Set<number>;
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly sidecar: string,
    private readonly state: PartState,
  ) {
    this.done = new Set(state.done);
  }

  /** Call once the chunk is fsync'd. */
  add(chunk: number): void {
    this.done.add(chunk);
  }

  /** Writes the sidecar after the writes before it: resolves once it lists every chunk added so far. */
  async save(): Promise<void> {
    this.writes = this.writes.then(() => writeSidecar(this.sidecar, { ...this.state, done: [...this.done].sort((a, b) => a - b) }));
    await this.writes;
  }
}

/** Size and (when it is an MD5) ETag; a mismatch removes the part and throws (see `mismatch`). */
async function verify(ctx: Context, item: DownloadItem, part: string, size: number, md5: Hash | undefined): Promise<void> {
  if (size !== item.size) {
    await discard(part);
    throw new DownloadIntegrityError(`s3://${ctx.bucket}/${item.key}: expected ${item.size} bytes, got ${size}; the download was discarded`);
  }
  if (md5) {
    const digest = md5.digest('hex');
    if (digest !== item.etag.toLowerCase()) await mismatch(ctx, item, part, `MD5 ${digest}`, `the object's ETag is ${item.etag}`);
  }
  // A copy refused before (by its MD5 or by the SDK's checksum) was damage in transit after all.
  await rm(mismatchNote(item), { force: true });
}

/**
 * Bytes that do not match what S3 says of them. Damage in transit is cured by a fresh copy, so the first
 * time the download is discarded and the failure is retryable; the copy's MD5 (or checksum) is noted beside
 * it, across attempts and workers. A fresh copy with the very same bytes means the object itself does not
 * match its ETag (damaged in storage, or a server whose ETags are no MD5s): non-retryable, since every later
 * copy would be the same.
 */
async function mismatch(ctx: Context, item: DownloadItem, part: string, copy: string, problem: string): Promise<never> {
  await discard(part);
  const note = mismatchNote(item);
  const seen = JSON.stringify({ etag: item.etag, size: item.size, copy });
  if ((await readFile(note, 'utf8').catch(() => '')) === seen) {
    await rm(note, { force: true });
    throw new RestoreError(
      FailureTypes.EtagMismatch,
      `s3://${ctx.bucket}/${item.key}: two downloads gave the same ${item.size} bytes (${copy}), but ${problem}: ` +
        'the object in the bucket does not match what S3 says of it, so downloading it again cannot help. It was damaged in storage, or this S3 server ' +
        "does not give MD5s as ETags (some gateways and encryption modes). Check the object (aws s3api head-object; the MD5 of a downloaded copy), upload it again if it is damaged, " +
        'or restore from another backup (--backup-id)',
    );
  }
  await writeFile(note, seen);
  throw new DownloadIntegrityError(
    `s3://${ctx.bucket}/${item.key}: ${copy.startsWith('MD5 ') ? `${copy} does not match ETag ${item.etag}` : `the bytes (${copy}) do not match their checksum, ${problem}`}; ` +
      'the download was discarded and is fetched again (the same bytes twice: the object itself does not match)',
  );
}

function mismatchNote(item: DownloadItem): string {
  return `${item.localPath}.mismatch`;
}

async function discard(part: string): Promise<void> {
  await rm(part, { force: true });
  await rm(`${part}.json`, { force: true });
}

/** The SDK's own response checksum check (flexible checksums) refused the body: what it expected and computed. */
function sdkChecksumMismatch(err: unknown): { expected: string; received: string; header: string } | undefined {
  const m = err instanceof Error ? /^Checksum mismatch: expected "([^"]{1,100})" but received "([^"]{1,100})" in response header "([^"]{1,100})"/.exec(err.message) : null;
  return m ? { expected: m[1]!, received: m[2]!, header: m[3]! } : undefined;
}

/**
 * Reads a ranged download back in order, for its MD5 and for the item's tee. Chunks land in any order,
 * so the file is read sequentially, chunk by chunk as soon as every chunk before it is on disk: the pass
 * overlaps the download instead of following it, and a resumed download reads what was already there
 * while fetching the rest.
 */
class InOrderReader {
  private next = 0;
  private running: Promise<void> = Promise.resolve();
  private error: { cause: unknown } | undefined;

  constructor(
    private readonly fh: FileHandle,
    private readonly done: ReadonlySet<number>,
    private readonly chunks: number,
    private readonly bounds: (chunk: number) => [number, number],
    private readonly md5: Hash | undefined,
    /** Dropped once its reader stops: the MD5 pass goes on without it. */
    private tee: Writable | undefined,
  ) {}

  /** Reads whatever has become contiguous; call whenever a chunk is complete on disk. */
  advance(): void {
    this.running = this.running
      .then(() => this.readContiguous())
      .catch((cause: unknown) => {
        this.error ??= { cause };
      });
  }

  private async readContiguous(): Promise<void> {
    while (!this.error && this.next < this.chunks && this.done.has(this.next)) {
      const [start, end] = this.bounds(this.next);
      for (let pos = start; pos < end; ) {
        // A fresh buffer each time: the tee may still hold the previous one.
        const buf = Buffer.allocUnsafe(Math.min(READ_BUFFER_BYTES, end - pos));
        const { bytesRead } = await this.fh.read(buf, 0, buf.length, pos);
        if (bytesRead === 0) throw new Error(`short read at ${pos} while reading the download back`);
        const bytes = buf.subarray(0, bytesRead);
        this.md5?.update(bytes);
        if (this.tee && !(await writeWithBackpressure(this.tee, bytes))) this.tee = undefined;
        pos += bytesRead;
      }
      this.next++;
    }
  }

  /** Waits for reads in progress (before the file is closed), whatever their outcome. */
  async settle(): Promise<void> {
    await this.running;
  }

  /** Waits until every chunk has been read back; throws what stopped it otherwise. */
  async finish(): Promise<void> {
    await this.running;
    if (this.error) throw this.error.cause;
    if (this.next !== this.chunks) throw new Error(`read back ${this.next} of ${this.chunks} chunks`);
  }
}

/** An object already complete, to its tee: like the read-back of a download, a reader that stops stops only this. */
async function feedFromFile(path: string, tee: Writable, signal: AbortSignal | undefined): Promise<void> {
  const fh = await open(path, 'r');
  try {
    for (;;) {
      signal?.throwIfAborted();
      const buf = Buffer.allocUnsafe(READ_BUFFER_BYTES);
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      if (!(await writeWithBackpressure(tee, buf.subarray(0, bytesRead)))) return;
    }
  } finally {
    await fh.close();
  }
  tee.end();
}

/** Writes, waiting for room; false when the stream was destroyed (its reader stopped). */
async function writeWithBackpressure(stream: Writable, bytes: Buffer): Promise<boolean> {
  if (stream.destroyed) return false;
  if (stream.write(bytes)) return true;
  return new Promise<boolean>((resolve) => {
    const onDrain = (): void => {
      stream.off('close', onClose);
      resolve(true);
    };
    const onClose = (): void => {
      stream.off('drain', onDrain);
      resolve(false);
    };
    stream.once('drain', onDrain);
    stream.once('close', onClose);
  });
}

async function writeAt(fh: FileHandle, buf: Buffer, position: number): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off, position + off);
    off += bytesWritten;
  }
}

async function readSidecar(path: string): Promise<PartState | undefined> {
  try {
    const v = JSON.parse(await readFile(path, 'utf8')) as Partial<PartState>;
    if (
      typeof v.etag === 'string' &&
      typeof v.size === 'number' &&
      typeof v.partSize === 'number' &&
      Array.isArray(v.done)
    ) {
      return { etag: v.etag, size: v.size, partSize: v.partSize, done: v.done };
    }
  } catch {
    // Missing or torn: start the object over.
  }
  return undefined;
}

// Write-then-rename: a crash leaves the old sidecar or the new one, never half of one.
async function writeSidecar(path: string, state: PartState): Promise<void> {
  await writeFile(`${path}.tmp`, JSON.stringify(state));
  await rename(`${path}.tmp`, path);
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

/** Whether a download of this object is checked against its ETag (multipart uploads' ETags are no MD5). */
export function etagIsMd5(etag: string): boolean {
  return /^[0-9a-f]{32}$/i.test(etag);
}

// With SSE-KMS or SSE-C, S3's ETag is not the MD5 of the data even for single-part objects.
function isServerEncrypted(res: GetObjectCommandOutput): boolean {
  return Boolean(res.SSECustomerAlgorithm) || (res.ServerSideEncryption ?? '').startsWith('aws:kms');
}


function quote(etag: string): string {
  return `"${etag}"`;
}

function positiveInt(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, got ${n}`);
  return n;
}


class Progress {
  private bytesDone = 0;
  private filesDone = 0;
  /** Objects copied from another restore's work area (LocalCopySource), and their bytes. */
  readonly reusedTotals = { objects: 0, bytes: 0 };
  private current: string | undefined;
  private lastReport = 0;

  constructor(
    private readonly bytesTotal: number,
    private readonly filesTotal: number,
    private readonly onProgress: ((p: DownloadProgress) => void) | undefined,
    private readonly intervalMs: number,
  ) {}

  add(bytes: number, current: string): void {
    this.bytesDone += bytes;
    this.current = current;
    this.report(false);
  }

  reused(bytes: number, current: string): void {
    this.reusedTotals.objects++;
    this.reusedTotals.bytes += bytes;
    this.add(bytes, current);
  }

  fileDone(bytes: number, current: string): void {
    this.filesDone++;
    this.add(bytes, current);
  }

  report(force: boolean): void {
    if (!this.onProgress) return;
    const now = Date.now();
    if (!force && now - this.lastReport < this.intervalMs) return;
    this.lastReport = now;
    this.onProgress({
      bytesDone: this.bytesDone,
      bytesTotal: this.bytesTotal,
      filesDone: this.filesDone,
      filesTotal: this.filesTotal,
      current: this.current,
      ...(this.reusedTotals.objects > 0 ? { objectsReused: this.reusedTotals.objects } : {}),
    });
  }
}
