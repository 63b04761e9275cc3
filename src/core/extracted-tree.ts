// What a restore records of each base backup directory it extracted (data, or a tablespace), and whether
// another restore of the same backup may take that directory by hard links instead of extracting its
// tarballs again (issue 13: a restore beside a held one). Pure: src/io/extracted-trees.ts lists the trees
// (find -printf) and links them, and acts on these answers.

/** A tarball as the bucket holds it: the version the directory was extracted from. */
export interface ExtractedObject {
  key: string;
  /** Unquoted. */
  etag: string;
  size: number;
}

/** The shape of an extracted tree: how many entries (directories, files, links) and the bytes of its files. */
export interface TreeSummary {
  entries: number;
  bytes: number;
}

/** Written by the restore that extracted the directory, beside its work area's journal, when it published it. */
export interface ExtractionRecord extends TreeSummary {
  objects: ExtractedObject[];
}

/**
 * The `find DIR -printf '%y %U %m %s\n'` listing of a tree (no names: nothing in a name can confuse it), summed, or
 * why it is not what the worker's extraction leaves: only directories, regular files and symbolic links, all
 * owned by `ownerUid`, with no setuid, setgid or sticky bit and no group or other permission on directories and
 * files (src/io/tar-extract.ts strips them). A tree that differs was changed after its extraction.
 */
export function summarizeListing(listing: string, ownerUid: number): TreeSummary | { refused: string } {
  let entries = 0;
  let bytes = 0;
  for (const line of listing.split('\n')) {
    if (line === '') continue;
    const [type, uid, mode, size] = line.split(' ');
    if (!['d', 'f', 'l'].includes(type ?? '')) return { refused: `holds an entry of type ${type ?? '?'} (only directories, files and symbolic links are extracted)` };
    if (Number(uid) !== ownerUid) return { refused: `holds an entry owned by uid ${uid ?? '?'}, not by uid ${ownerUid}` };
    if (type !== 'l' && (parseInt(mode ?? '', 8) & 0o7077) !== 0) return { refused: `holds an entry with mode ${mode ?? '?'} (extraction leaves no group, other, setuid, setgid or sticky bit)` };
    entries++;
    if (type === 'f') bytes += Number(size);
  }
  return { entries, bytes };
}

/** A record's text, or undefined when it is not one (torn, edited, or of another format). */
export function parseExtractionRecord(text: string): ExtractionRecord | undefined {
  try {
    const v = JSON.parse(text) as Partial<ExtractionRecord>;
    const objects = Array.isArray(v.objects) ? v.objects.filter(isExtractedObject) : [];
    if (!Number.isSafeInteger(v.entries) || !Number.isSafeInteger(v.bytes) || objects.length === 0 || objects.length !== v.objects?.length) return undefined;
    return { entries: v.entries!, bytes: v.bytes!, objects };
  } catch {
    return undefined;
  }
}

function isExtractedObject(o: unknown): o is ExtractedObject {
  const v = o as Partial<ExtractedObject> | null;
  return typeof v?.key === 'string' && typeof v.etag === 'string' && Number.isSafeInteger(v.size);
}

/**
 * Whether another restore's record shows its directory was extracted from exactly the tarballs this restore
 * wants, in the same order: the same keys, ETags (S3's name for a version's content) and sizes. A backup whose
 * objects were uploaded again since is extracted afresh.
 */
export function extractedFromSameObjects(record: ExtractionRecord, wanted: readonly ExtractedObject[]): boolean {
  return record.objects.length === wanted.length && record.objects.every((o, i) => o.key === wanted[i]!.key && o.etag === wanted[i]!.etag && o.size === wanted[i]!.size);
}

/**
 * Why a tree linked from another restore may not stand for this restore's extraction, or undefined when it may:
 * its listing must be what the extraction leaves (summarizeListing, owned by that restore's Barman user) with the
 * entries and bytes its record gives. A file removed, truncated, grown, added, or given another mode or owner
 * since shows; a rewrite in place of the same size does not, and needs no more than the Barman user's rights,
 * who reads and writes every staged backup anyway between its stage and its recovery.
 */
export function linkedTreeRefusal(record: ExtractionRecord, linked: TreeSummary | { refused: string }): string | undefined {
  if ('refused' in linked) return linked.refused;
  if (linked.entries !== record.entries || linked.bytes !== record.bytes) {
    return `has ${linked.entries} entries and ${linked.bytes} bytes of files, where its extraction recorded ${record.entries} and ${record.bytes}`;
  }
  return undefined;
}
