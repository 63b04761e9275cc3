// Safe streaming extraction of barman-cloud tar archives (gzip, bzip2, snappy, lz4 or plain).
import { createReadStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { createGunzip, type Gunzip } from 'node:zlib';
import { Unpack, type ReadEntry } from 'tar';
import type { ExtractionLimits } from '../core/extraction-limits';
import { EntryGuard } from '../core/tar-entry-guard';
import { formatBytes } from '../core/report-format';
import type { BaseBackupCompression } from '../core/s3-layout';
import { asDiskFull } from './disk-full';
import { DecompressorFailedError, startDecompressor, type DecompressorProcess } from './external-decompressor';
import { FailureTypes, RestoreError } from '../shared';

export type Compression = BaseBackupCompression;

export interface ExtractProgress {
  /** Bytes of the archive file read so far (compressed bytes). */
  bytesRead: number;
  bytesTotal: number;
  entries: number;
}

export interface ExtractOptions {
  compression: Compression;
  /** On abort the streams are destroyed, the decompressor is killed, and the call rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called at most every 250 ms, and once at the end. */
  onProgress?(p: ExtractProgress): void;
  /**
   * The guard of the directory, when several archives are extracted into it: the parts barman-cloud cuts one
   * directory's archive into (data.tar, data_0001.tar, ...) must share one, in part order, so that a later
   * part's entries are checked against the symlinks of the earlier ones. Made with `new EntryGuard(destDir)`.
   */
  guard?: EntryGuard;
  /**
   * What the archive may expand to and how many entries it may hold, shared by every archive of one backup
   * (its limits from core/extraction-limits). Without one, nothing bounds the extraction but the disk.
   */
  budget?: ExtractionBudget;
}

/** The bytes and entries the archives of one backup have used so far, against its limits. */
export class ExtractionBudget {
  /** Decompressed tar bytes (headers and contents) seen so far. */
  bytes = 0;
  entries = 0;
  constructor(readonly limits: ExtractionLimits) {}

  /**
   * Counts an entry when its header is read, before anything of it is written: what it breaks, or
   * undefined. Its declared size counts on top of the stream read so far (which runs up to one buffer
   * ahead of the parser, so this errs early by at most that), so a bomb stops at its header.
   */
  chargeEntry(declaredSize: number): string | undefined {
    this.entries += 1;
    if (this.entries > this.limits.maxEntries) return `holds more than ${this.limits.maxEntries} entries, the most one backup may hold`;
    if (this.bytes + declaredSize > this.limits.maxBytes) return this.tooLarge();
    return undefined;
  }

  /** Counts tar bytes as they reach node-tar: past the limit, extraction stops whatever the headers declare. */
  chargeTarBytes(bytes: number): string | undefined {
    this.bytes += bytes;
    return this.bytes > this.limits.maxBytes ? this.tooLarge() : undefined;
  }

  private tooLarge(): string {
    return `expands past ${formatBytes(this.limits.maxBytes)} (${this.limits.basis}), the most this backup's tarballs may hold`;
  }
}

/** The archive expands past what its backup may hold, or holds more entries: a crafted or mismatched archive. */
export class ArchiveLimitError extends RestoreError {
  constructor(
    readonly file: string,
    detail: string,
    /** The entry being extracted when the limit was passed, if any. */
    readonly entry?: string,
  ) {
    super(
      FailureTypes.UnsafeArchive,
      `archive ${file} ${detail}${entry === undefined ? '' : `; extraction stopped at entry ${JSON.stringify(entry)}, before writing it`}. ` +
        "A backup's tarballs hold its database's files and little more, so this archive, or its backup.info, is not what " +
        'barman-cloud wrote for this backup: restore from another backup (a target that another backup covers), and find out what wrote these objects',
    );
    this.name = 'ArchiveLimitError';
  }
}

export interface ExtractResult {
  entries: number;
  /** Bytes of regular-file content written. */
  bytesWritten: number;
}

/** The archive holds an entry that would write outside the destination, or something that is not data. */
export class UnsafeArchiveError extends RestoreError {
  constructor(
    readonly file: string,
    readonly entry: string,
    readonly rule: string,
  ) {
    super(
      FailureTypes.UnsafeArchive,
      `unsafe archive ${file}: entry ${JSON.stringify(entry)}: ${rule}; extraction stopped before writing it, and nothing was ` +
        'written outside the staging directory. barman-cloud never writes such entries: find out where this backup came from, ' +
        'and restore from another one (a target that another backup covers)',
    );
    this.name = 'UnsafeArchiveError';
  }
}

/**
 * The archive is truncated or damaged. Extracting it again cannot help, nor can downloading it again once
 * the download matched the size and checksum the bucket lists: the object itself is bad.
 */
export class CorruptArchiveError extends RestoreError {
  constructor(
    readonly file: string,
    detail: string,
    /** The entry being extracted when the damage showed, if any. */
    readonly entry?: string,
  ) {
    super(
      FailureTypes.CorruptArchive,
      `corrupt archive ${file}: ${detail}${entry === undefined ? '' : ` (while extracting entry ${JSON.stringify(entry)})`}; ` +
        'the archive is truncated or damaged, so this backup cannot be restored as it is: check the object in the bucket, ' +
        'or restore from another backup (a target that another backup covers)',
    );
    this.name = 'CorruptArchiveError';
  }
}

const PROGRESS_INTERVAL_MS = 250;
const DECOMPRESSOR_GRACE_MS = 500;
/**
 * Inflate into 1 MiB buffers rather than zlib's 16 KiB default (which node-tar's own gunzip uses): each
 * buffer becomes one write per file, and with 16 KiB ones the writes, not the inflating, bound the
 * extraction (1 GB PGDATA: 4.5-5.1 s with 16 KiB, 2.0-2.2 s with 1 MiB, the floor's `gunzip | tar x` 1.7 s).
 */
const GUNZIP_CHUNK_BYTES = 1024 * 1024;
const READ_CHUNK_BYTES = 1024 * 1024;

/** What extractStream reads: the archive's bytes in order, and how to name it in errors. */
export interface ArchiveSource {
  stream: Readable;
  /** Compressed size, for progress. */
  bytesTotal: number;
  /** The file or object named in errors. */
  name: string;
}

/**
 * Extracts `file` into `destDir` (created if missing) in one streaming pass.
 *
 * Every entry is checked before anything of it is written (tar's `filter` runs when the header is parsed):
 * absolute paths, `..` components, paths through a symlink of the archive, symlinks and hard links whose
 * target resolves outside `destDir`, and device/FIFO entries reject the whole extraction with an
 * UnsafeArchiveError. node-tar would otherwise strip `/` and skip `..` entries with a mere warning.
 * Entries before the bad one stay written, inside `destDir`: extract into a staging directory.
 *
 * `strict: true` turns tar's warnings (bad checksum, truncated entry) into errors; a plain tar cut at an
 * entry boundary raises none, so the end-of-archive marker is required too. Both give CorruptArchiveError.
 *
 * Ownership and modes: files belong to the caller, never to the archive's numeric uid/gid (the stage step
 * hands them to the Barman user). Modes keep only the archive's owner bits: no setuid/setgid/sticky bit and
 * nothing for group or others, so no other local user reads a restored file (pg_authid included) and no
 * crafted archive plants a setuid program. PostgreSQL's 0700 directories and 0600 files stay so. node-tar
 * adds u+rwx to directories, which PostgreSQL's layout has anyway.
 */
export async function extractArchive(file: string, destDir: string, opts: ExtractOptions): Promise<ExtractResult> {
  opts.signal?.throwIfAborted();
  const bytesTotal = (await stat(file)).size;
  return extractStream({ stream: createReadStream(file, { highWaterMark: READ_CHUNK_BYTES }), bytesTotal, name: file }, destDir, opts);
}

/** extractArchive for bytes that arrive as a stream (a download in progress); the stream is destroyed on failure. */
export async function extractStream(archive: ArchiveSource, destDir: string, opts: ExtractOptions): Promise<ExtractResult> {
  if (opts.signal?.aborted) {
    archive.stream.destroy();
    opts.signal.throwIfAborted();
  }
  const root = resolve(destDir);
  await mkdir(root, { recursive: true });
  const guard = opts.guard ?? new EntryGuard(root);
  if (guard.root !== root) {
    archive.stream.destroy();
    throw new Error(`extraction into ${root} was given the guard of another directory (${guard.root}): each directory needs its own`);
  }
  return new Promise<ExtractResult>((resolvePromise, rejectPromise) =>
    new ArchiveExtraction(archive, root, guard, opts, resolvePromise, rejectPromise).start(),
  );
}

/** What one extraction has counted so far, and its reports of it to `onProgress`. */
class ExtractionTally {
  entries = 0;
  /** Bytes of regular-file content written. */
  bytesWritten = 0;
  /** Bytes of the archive read (compressed bytes). */
  bytesRead = 0;
  /** The last entry accepted: where a damaged stream or a full disk showed up. */
  currentEntry: string | undefined;
  private lastReport = 0;

  constructor(
    private readonly bytesTotal: number,
    private readonly onProgress: ExtractOptions['onProgress'],
  ) {}

  entryAccepted(entry: ReadEntry): void {
    this.entries++;
    this.currentEntry = entry.path;
    if (isRegularFile(entry.type)) this.bytesWritten += entry.size;
    this.report(false);
  }

  archiveRead(bytes: number): void {
    this.bytesRead += bytes;
    this.report(false);
  }

  /** At most every PROGRESS_INTERVAL_MS, unless forced (the final report). */
  report(force: boolean): void {
    const now = Date.now();
    if (!this.onProgress || (!force && now - this.lastReport < PROGRESS_INTERVAL_MS)) return;
    this.lastReport = now;
    this.onProgress({ bytesRead: this.bytesRead, bytesTotal: this.bytesTotal, entries: this.entries });
  }
}

/**
 * One archive being extracted: the pipe from the source through its decompressor into node-tar, the checks
 * every entry passes before it is written, and the end, which comes once. It succeeds when node-tar and the
 * decompressor are both done and the end-of-archive marker was seen; it fails at the first problem, with
 * every stream stopped and the writes already under way settled.
 */
class ArchiveExtraction {
  private readonly tally: ExtractionTally;
  private readonly unpack: Unpack;
  private settled = false;
  private unpackDone = false;
  private sawEndMarker = false;
  private gunzip: Gunzip | undefined;
  /** The external decompressor (bzip2, snappy, lz4), if any. */
  private child: DecompressorProcess | undefined;
  private childDone = true;
  /** A tar error held back while the decompressor says what is wrong, in its own words. */
  private decompressorGrace: CorruptArchiveError | undefined;
  private readonly onAbort = (): void => this.fail(this.opts.signal?.reason);

  constructor(
    private readonly archive: ArchiveSource,
    private readonly root: string,
    private readonly guard: EntryGuard,
    private readonly opts: ExtractOptions,
    private readonly resolvePromise: (result: ExtractResult) => void,
    private readonly rejectPromise: (err: unknown) => void,
  ) {
    this.tally = new ExtractionTally(archive.bytesTotal, opts.onProgress);
    this.unpack = new Unpack({
      cwd: root,
      strict: true,
      // Never the archive's owners: they are numbers from another host (root's, or a user's here).
      preserveOwner: false,
      // The zip-bomb guard (default 1000:1) trips on legitimate data: gzip's ceiling is about 1030:1, so
      // it really means "not mostly zeros", and zero-filled relation segments are a normal sight in PGDATA.
      maxDecompressionRatio: Infinity,
      filter: (_path, entry) => this.admit(entry as ReadEntry),
    });
  }

  start(): void {
    this.opts.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.unpack.on('eof', () => (this.sawEndMarker = true));
    this.unpack.on('ignoredEntry', (entry: ReadEntry) => {
      // Our own rejections are ignored entries too; anything else is a type node-tar would silently skip.
      if (!this.settled) this.fail(new UnsafeArchiveError(this.archive.name, entry.path, `unsupported entry type ${entry.type}`));
    });
    this.unpack.on('error', (err: Error) => this.onTarError(err));
    this.unpack.on('close', () => {
      this.unpackDone = true;
      this.succeedIfDone();
    });
    const source = this.archive.stream;
    source.on('data', (chunk: Buffer) => this.tally.archiveRead(chunk.length));
    source.on('error', (err) => this.fail(err));
    const compression = this.opts.compression;
    if (compression === 'gzip') this.pipeThroughGunzip();
    else if (compression === 'none') this.pipePlain();
    else this.pipeThroughDecompressor(compression);
  }

  /**
   * node-tar's filter, run when an entry's header is parsed: whether to write the entry. One that breaks the
   * guard's rules or the budget fails the extraction before anything of it is written.
   */
  private admit(entry: ReadEntry): boolean {
    if (this.settled) return false;
    const rule = this.guard.check(entry);
    if (rule) {
      this.fail(new UnsafeArchiveError(this.archive.name, entry.path, rule));
      return false;
    }
    const overLimit = this.opts.budget?.chargeEntry(entry.size ?? 0);
    if (overLimit) {
      this.fail(new ArchiveLimitError(this.archive.name, overLimit, entry.path));
      return false;
    }
    // Only the owner's bits of the archive's mode: no setuid, setgid or sticky bit, nothing for other
    // local users (PostgreSQL wants 0700 directories and 0600 files, and accepts nothing looser it needs).
    if (typeof entry.mode === 'number') entry.mode &= 0o700;
    this.tally.entryAccepted(entry);
    return true;
  }

  /** The tar stream as it reaches node-tar, against the budget. */
  private readonly chargeTarBytes = (chunk: Buffer): void => {
    const budget = this.opts.budget;
    if (!budget || this.settled) return;
    const overLimit = budget.chargeTarBytes(chunk.length);
    if (overLimit) this.fail(new ArchiveLimitError(this.archive.name, overLimit, this.tally.currentEntry));
  };

  private onTarError(err: Error): void {
    if (this.settled) return;
    const translated = translateTarError(this.archive.name, this.root, err, this.tally.currentEntry);
    const child = this.child;
    if (child && !this.childDone && translated instanceof CorruptArchiveError) {
      // A damaged .bz2 (or .lz4, ...) first shows as a confusing tar error ("unrecognized archive"); the
      // decompressor's own complaint says more, so give it a moment to exit, draining what it still writes.
      this.decompressorGrace = translated;
      child.stdout.unpipe();
      child.stdout.resume();
      setTimeout(() => this.fail(translated), DECOMPRESSOR_GRACE_MS).unref();
    } else {
      this.fail(translated);
    }
  }

  private pipeThroughGunzip(): void {
    const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES });
    this.gunzip = gunzip;
    gunzip.on('error', (err) => this.fail(translateTarError(this.archive.name, this.root, err, this.tally.currentEntry)));
    gunzip.on('data', this.chargeTarBytes);
    this.archive.stream.pipe(gunzip).pipe(this.unpack as unknown as Writable);
  }

  private pipePlain(): void {
    this.archive.stream.on('data', this.chargeTarBytes);
    this.archive.stream.pipe(this.unpack as unknown as Writable);
  }

  /**
   * node-tar reads neither bzip2, snappy nor lz4; their decompressor runs beside us, fed from our read
   * stream so that progress counts compressed bytes like for the other formats.
   */
  private pipeThroughDecompressor(codec: Exclude<Compression, 'gzip' | 'none'>): void {
    let child: DecompressorProcess;
    try {
      child = startDecompressor(codec);
    } catch (err) {
      this.fail(err); // not installed
      return;
    }
    this.child = child;
    this.childDone = false;
    child.exited.then(
      () => {
        this.childDone = true;
        if (this.decompressorGrace) this.fail(this.decompressorGrace);
        else this.succeedIfDone();
      },
      (err: unknown) =>
        this.fail(err instanceof DecompressorFailedError ? new CorruptArchiveError(this.archive.name, err.detail, this.tally.currentEntry) : err),
    );
    this.archive.stream.pipe(child.stdin);
    child.stdout.on('data', this.chargeTarBytes);
    child.stdout.pipe(this.unpack as unknown as Writable);
  }

  /** Once node-tar and the decompressor are both done: a whole archive resolves, a truncated one fails. */
  private succeedIfDone(): void {
    if (this.settled || !this.unpackDone || !this.childDone) return;
    if (!this.sawEndMarker) {
      this.fail(new CorruptArchiveError(this.archive.name, 'no end-of-archive marker: the archive is truncated', this.tally.currentEntry));
      return;
    }
    this.settled = true;
    this.opts.signal?.removeEventListener('abort', this.onAbort);
    this.tally.report(true);
    this.resolvePromise({ entries: this.tally.entries, bytesWritten: this.tally.bytesWritten });
  }

  /** Stops every stream and the decompressor; rejects with `err` once the writes under way are done. */
  private fail(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.opts.signal?.removeEventListener('abort', this.onAbort);
    this.archive.stream.destroy();
    this.gunzip?.destroy();
    this.child?.kill();
    this.unpack.abort(new Error('extraction stopped'));
    // Entries accepted before the failure may still be being written: settle only once they are, so
    // that whoever cleans up after us (a retry, a cancelled restore) finds a directory at rest.
    void untilWritesSettle(this.unpack).then(() => this.rejectPromise(err));
  }
}

/**
 * node-tar counts the files it is still writing (its `pending` counter) but emits nothing when they are
 * done after an abort; a file cut off mid-entry never completes at all. So the counter is polled until it
 * is zero or has not moved for a while, for at most a few seconds. tar is pinned; without the counter
 * this waits the quiet time once.
 */
async function untilWritesSettle(unpack: Unpack, quietMs = 250, limitMs = 5_000): Promise<void> {
  const pending = Object.getOwnPropertySymbols(unpack).find((symbol) => symbol.description === 'pending');
  const count = () => (pending ? Number((unpack as unknown as Record<symbol, number>)[pending]) : 0);
  const deadline = Date.now() + limitMs;
  let last = count();
  let lastChange = Date.now();
  while (Date.now() < deadline && Date.now() - lastChange < quietMs && !(pending && last === 0)) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    const now = count();
    if (now !== last) {
      last = now;
      lastChange = Date.now();
    }
  }
}

function isRegularFile(type: string): boolean {
  return type === 'File' || type === 'OldFile' || type === 'ContiguousFile';
}

function translateTarError(file: string, root: string, err: Error & { tarCode?: string; code?: string; entry?: ReadEntry }, currentEntry: string | undefined): Error {
  if (err.name === 'SymlinkError') {
    // A symlink that was in the destination before we started (ours are caught by the guard).
    const where = (err as { path?: string }).path;
    return new UnsafeArchiveError(file, where ? relative(root, where) : '?', 'path passes through a symlink already in the destination');
  }
  const tarCode = err.tarCode ?? '';
  const zlib = typeof err.code === 'string' && err.code.startsWith('Z_');
  if (zlib || tarCode === 'TAR_BAD_ARCHIVE' || tarCode === 'TAR_ENTRY_INVALID' || tarCode === 'TAR_ABORT') {
    return new CorruptArchiveError(file, err.message, currentEntry);
  }
  // File-system trouble (ENOSPC, EACCES, ...): not the archive's fault. A full disk gets a message naming the file
  // being written (node-tar's names none, and its error carries the whole parser entry, flooding any log that prints it).
  const entry = err.entry?.path ?? currentEntry;
  return asDiskFull(err, entry === undefined ? root : join(root, entry), `extracting ${file}, writing`) as Error;
}
