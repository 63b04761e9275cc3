// Which other restore's work area on this host may lend an object this restore would otherwise download
// from S3 (issue 13: a held restore, or a failed one kept for resume, of the same server and backup), and
// whether the file found there may be copied. Pure: the adapter (src/io/local-copies.ts) reads the
// directories, journals and file status and acts on these answers.

/** A completed download as another area's journal records it (src/io/download-journal.ts). */
export interface RecordedDownload {
  key: string;
  etag: string;
  size: number;
  /** Absolute path in that area. */
  path: string;
  /**
   * The inode the download was renamed into place as. Between steps the Barman user owns the area and could
   * put another file of the same size there (or a link to one of root's): only the file written is reused.
   */
  inode: string;
}

/** What this restore wants: an object of the bucket and where it goes in this restore's area. */
export interface WantedObject {
  key: string;
  /** Unquoted. */
  etag: string;
  size: number;
  localPath: string;
}

/**
 * The names, among the entries of `<workRoot>/restores`, of the other work areas of `server`: exactly
 * `<server>-<16 hex digits>` (src/io/work-dir.ts workDirName), never this restore's own. A server `pg`
 * does not take the areas of a server `pg-2` (`pg-2-<digest>` has no 16 hex digits after `pg-`).
 */
export function otherAreasOfServer(entries: readonly string[], server: string, ownName: string): string[] {
  const prefix = `${server}-`;
  return entries
    .filter((name) => name !== ownName && name.startsWith(prefix) && /^[0-9a-f]{16}$/.test(name.slice(prefix.length)))
    .sort();
}

/**
 * Where `localPath` of this restore's area (`ownRoot`) lies in another area (`otherRoot`): the same place
 * relative to the area's root, since both follow one layout. Undefined for a path outside `ownRoot` or one
 * with `..` (nothing outside an area is ever looked for).
 */
export function samePlaceIn(ownRoot: string, otherRoot: string, localPath: string): string | undefined {
  const base = ownRoot.endsWith('/') ? ownRoot : `${ownRoot}/`;
  if (!localPath.startsWith(base)) return undefined;
  const rel = localPath.slice(base.length);
  if (rel === '' || rel.split('/').some((part) => part === '' || part === '.' || part === '..')) return undefined;
  return `${otherRoot.replace(/\/+$/, '')}/${rel}`;
}

/**
 * The other area's record proving it holds this very object version at the same place: same key, ETag
 * (S3's name for the version's content) and size. A file name alone proves nothing: the bucket may have
 * been written again since, and the journal is what the download engine wrote once it verified the bytes.
 */
export function provenCopy(records: ReadonlyMap<string, RecordedDownload>, wanted: WantedObject, otherPath: string): RecordedDownload | undefined {
  const r = records.get(otherPath);
  if (!r || r.key !== wanted.key || r.etag !== wanted.etag || r.size !== wanted.size) return undefined;
  return r;
}

/** Who may own another area, and so the files root copies from it. */
export interface AreaOwnership {
  /** The area root's owner and mode, from lstat (not followed). */
  rootUid: number;
  rootMode: number;
  rootIsDirectory: boolean;
  /** The Barman user, to whom the stage step hands a whole area. */
  barmanUid: number;
}

/**
 * Whose files root may copy from the area, or why none. A root-owned area closed to others (0700, as
 * makeWorkArea creates it) cannot have been changed by anyone but root. An area handed to the Barman
 * user (after its stage step: held and most failed restores) can: that user could rewrite its journal
 * and files, or swap a folder for a link to somewhere else. Root then copies only files that the
 * Barman user owns, which that user could read and write anyway: whatever was swapped in, no byte of
 * anyone else's reaches the new restore (itself handed to the Barman user).
 */
export function trustedOwner(area: AreaOwnership): { uid: number } | { refused: string } {
  if (!area.rootIsDirectory) return { refused: 'not a directory' };
  if (area.rootUid === 0) {
    return (area.rootMode & 0o077) === 0 ? { uid: 0 } : { refused: `owned by root but open to others (mode ${(area.rootMode & 0o777).toString(8)})` };
  }
  if (area.rootUid === area.barmanUid) return { uid: area.barmanUid };
  return { refused: `owned by uid ${area.rootUid}, neither root nor the Barman user` };
}

/** fstat of the opened source (opened without following a link). */
export interface OpenedFile {
  isFile: boolean;
  nlink: number;
  size: number;
  inode: string;
  uid: number;
}

/**
 * Whether the file opened at the recorded path is the recorded download: a regular file, with one name
 * (a hard link would be a file someone linked in, and the source's own journal would no longer trust it),
 * the recorded size and inode, and owned by the area's trusted owner. Undefined when it may be copied,
 * otherwise why not.
 */
export function copyRefusal(opened: OpenedFile, record: RecordedDownload, owner: { uid: number }): string | undefined {
  if (!opened.isFile) return 'not a regular file';
  if (opened.nlink !== 1) return `${opened.nlink} names (hard links)`;
  if (opened.size !== record.size) return `size ${opened.size}, recorded ${record.size}`;
  if (opened.inode !== record.inode) return 'not the file the download wrote (another inode)';
  if (opened.uid !== owner.uid) return `owned by uid ${opened.uid}, not by the area's owner (uid ${owner.uid})`;
  return undefined;
}
