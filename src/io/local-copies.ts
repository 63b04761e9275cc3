// Copies, into this restore's work area, objects that another restore of the same server already downloaded
// on this host (issue 13): a held restore keeps its work area (tarballs and WAL) until `pitr finish`, a failed
// one until it is resumed or cancelled. Reuse is proven by that area's download journal (key, ETag, size,
// inode), never by a file name; what may be copied is decided in src/core/local-copies.ts.
//
// The other area is never changed: its files are opened read-only and copied, not linked. A hard link
// would give the file a second name, and both journals trust a file only while it has one (a resumed or
// advanced source restore would download it again), and it would share one inode with a file the Barman
// user may own and rewrite. A copy also leaves nothing behind in the other area if this restore fails.
// The base backup's extracted directories are another matter: nothing writes into them once published, and
// src/io/extracted-trees.ts links them (so their tarballs are not copied at all). WAL that the other restore's
// stage step decompressed for Barman is copied from where that step kept it as downloaded (archivedWalPath).
import { constants } from 'node:fs';
import { lstat, open, readdir, rm, type FileHandle } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { copyRefusal, otherAreasOfServer, provenCopy, samePlaceIn, trustedOwner, type RecordedDownload, type WantedObject } from '../core/local-copies';
import { parseJournal } from './download-journal';
import { etagIsMd5, type LocalCopySource } from './s3-download';
import { userIds } from './user-ids';
import { archivedWalPath, workDirLayout } from './work-dir';

/** Larger than any journal of a real restore (a line per object, about 300 bytes), small enough to read whole. */
const MAX_JOURNAL_BYTES = 256 * 1024 * 1024;
const COPY_BUFFER_BYTES = 1024 * 1024;
/**
 * O_NOFOLLOW: a link planted at the file's name is not followed (open fails with ELOOP). O_NONBLOCK: a FIFO
 * planted there does not block the open; fstat then shows it is no regular file. Intermediate folders may
 * still be links: the owner check (trustedOwner, copyRefusal) is what makes that harmless.
 */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

interface OtherArea {
  root: string;
  ownerUid: number;
  records: Map<string, RecordedDownload>;
}

export interface LocalCopiesRequest {
  /** This restore's work area root, in `<workRoot>/restores` beside the others (its name is left out of the scan). */
  ownRoot: string;
  server: string;
  barmanUser: string;
}

/**
 * The other work areas of the server, read once, when the first object asks (a restore with everything
 * in its own journal never scans). An area whose journal cannot be read safely lends nothing.
 */
export function localCopies(request: LocalCopiesRequest): LocalCopySource {
  let areas: Promise<OtherArea[]> | undefined;
  return {
    async copyInto(item, part, signal) {
      areas ??= scanAreas(request);
      // At the same place in the other area, or, for WAL its stage step decompressed for Barman, kept as archived beside.
      const places = [item.localPath, archivedWalPath(request.ownRoot, item.localPath)];
      for (const area of await areas) {
        for (const place of places) {
          const otherPath = samePlaceIn(request.ownRoot, area.root, place);
          const record = otherPath === undefined ? undefined : provenCopy(area.records, item, otherPath);
          if (record && (await copyProven(record, area.ownerUid, item, part, signal))) return true;
        }
      }
      return false;
    },
  };
}

async function scanAreas(request: LocalCopiesRequest): Promise<OtherArea[]> {
  const areas: OtherArea[] = [];
  for (const { root, ownerUid } of await otherAreas(request)) {
    const text = await readOwnedText(workDirLayout(root).journal, ownerUid);
    if (text) areas.push({ root, ownerUid, records: parseJournal(text) });
  }
  return areas;
}

/** The other work areas of the server on this host, each with the one user whose files in it may be trusted (trustedOwner). */
export async function otherAreas(request: LocalCopiesRequest): Promise<Pick<OtherArea, 'root' | 'ownerUid'>[]> {
  const restoresDir = dirname(request.ownRoot);
  let names: string[];
  try {
    names = await readdir(restoresDir);
  } catch {
    return [];
  }
  const { uid: barmanUid } = await userIds(request.barmanUser);
  const areas: Pick<OtherArea, 'root' | 'ownerUid'>[] = [];
  for (const name of otherAreasOfServer(names, request.server, basename(request.ownRoot))) {
    const root = join(restoresDir, name);
    // Removed meanwhile (a finished restore frees its area), or unreadable: it lends nothing.
    const st = await lstat(root).catch(() => undefined);
    const owner = st && trustedOwner({ rootUid: st.uid, rootMode: st.mode, rootIsDirectory: st.isDirectory(), barmanUid });
    if (owner && !('refused' in owner)) areas.push({ root, ownerUid: owner.uid });
  }
  return areas;
}

/** A regular file owned by `uid`, read without following a link or blocking on a FIFO; '' otherwise (absent too). */
export async function readOwnedText(path: string, uid: number): Promise<string> {
  let fh: FileHandle;
  try {
    fh = await open(path, OPEN_FLAGS);
  } catch {
    return '';
  }
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.uid !== uid || st.size > MAX_JOURNAL_BYTES) return '';
    return await fh.readFile('utf8');
  } finally {
    await fh.close();
  }
}

/**
 * Copies the recorded file to `part` (the download engine's `<file>.local-copy`, fsync'd), checking it is the file the journal recorded (copyRefusal)
 * and that the bytes read are the object's: its size, and its MD5 when the ETag is one (a single-part
 * upload). False, with `part` removed, when anything does not hold: the object is then downloaded.
 */
async function copyProven(record: RecordedDownload, ownerUid: number, item: WantedObject, part: string, signal?: AbortSignal): Promise<boolean> {
  let source: FileHandle;
  try {
    source = await open(record.path, OPEN_FLAGS);
  } catch {
    return false;
  }
  try {
    const st = await source.stat({ bigint: true });
    const opened = { isFile: st.isFile(), nlink: Number(st.nlink), size: Number(st.size), inode: String(st.ino), uid: Number(st.uid) };
    if (copyRefusal(opened, record, { uid: ownerUid }) !== undefined) return false;
    const md5 = etagIsMd5(item.etag) ? createHash('md5') : undefined;
    const copied = await copyBytes(source, part, md5, signal);
    if (copied === item.size && (!md5 || md5.digest('hex') === item.etag.toLowerCase())) return true;
  } catch (err) {
    await rm(part, { force: true });
    if (signal?.aborted) throw err;
    return false;
  } finally {
    await source.close();
  }
  await rm(part, { force: true });
  return false;
}

async function copyBytes(source: FileHandle, part: string, md5: ReturnType<typeof createHash> | undefined, signal?: AbortSignal): Promise<number> {
  const target = await open(part, 'w', 0o600);
  let total = 0;
  try {
    for (;;) {
      signal?.throwIfAborted();
      const buf = Buffer.allocUnsafe(COPY_BUFFER_BYTES);
      const { bytesRead } = await source.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      const bytes = buf.subarray(0, bytesRead);
      md5?.update(bytes);
      for (let off = 0; off < bytes.length; ) off += (await target.write(bytes, off, bytes.length - off)).bytesWritten;
      total += bytesRead;
    }
    // As a download: fsync before the rename publishes it.
    await target.sync();
  } finally {
    await target.close();
  }
  return total;
}

/** For a step's heartbeat `current` text: how many objects came from another restore's area, if any. */
export function reusedNote(objectsReused: number): string {
  return objectsReused > 0 ? `, ${objectsReused} copied from another restore on this host` : '';
}
