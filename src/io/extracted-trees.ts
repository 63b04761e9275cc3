// A base backup directory extracted by another restore of the same backup on this host (a held restore, or a
// failed one kept for resume) is taken by hard links instead of being extracted again (issue 13): no byte is
// downloaded, decompressed or written, whatever the size of the backup. What may be linked is decided in
// src/core/extracted-tree.ts.
//
// Why links are safe here, where src/io/local-copies.ts copies the tarballs instead: nothing writes into a
// published directory again. The restore's extraction publishes it whole (base-backup-targets.ts), barman
// recover only reads it (rsync copies it into the destination, which is what PostgreSQL then writes), and the
// reclaim of a work area leaves it alone (work-dir.ts reclaimWorkArea), so neither restore's steps can change
// the other's files through the shared inodes. Removing either area only removes its own names.
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { extractedFromSameObjects, linkedTreeRefusal, parseExtractionRecord, summarizeListing, type ExtractedObject, type ExtractionRecord } from '../core/extracted-tree';
import { samePlaceIn } from '../core/local-copies';
import { otherAreas, readOwnedText } from './local-copies';
import { runCommand } from './run-command';
import { handOverTree, removeTree } from './tree-operations';
import { userIds } from './user-ids';
import { reclaimWorkArea, type WorkDirLayout } from './work-dir';

/** A directory of the base backup (data, or a tablespace) as this restore extracts it. */
export interface TreeTarget {
  /** Where it is published, in this restore's Barman home. */
  finalDir: string;
  /** Where root builds it before publishing it. */
  partialDir: string;
  recordPath: string;
  /** Its tarballs, in part order. */
  objects: readonly ExtractedObject[];
}

/** The entries of a tree, without names; find walks it without following a link (gnulib fts, FTS_PHYSICAL). */
async function listTree(dir: string, signal?: AbortSignal): Promise<string> {
  return (await runCommand('find', [dir, '-xdev', '-printf', '%y %U %m %s\\n'], { signal })).stdout;
}

/** Writes the record of a directory root has just extracted into `target.partialDir`, before it is published. */
export async function recordExtraction(target: TreeTarget, signal?: AbortSignal): Promise<void> {
  const summary = summarizeListing(await listTree(target.partialDir, signal), process.getuid?.() ?? 0);
  if ('refused' in summary) throw new Error(`the extraction in ${target.partialDir} ${summary.refused}`);
  await writeRecord(target.recordPath, { ...summary, objects: target.objects.map(({ key, etag, size }) => ({ key, etag, size })) });
}

async function writeRecord(path: string, record: ExtractionRecord): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  // A new file ('wx'), never one left at the name: the area was the Barman user's between steps.
  await rm(`${path}.tmp`, { force: true });
  await writeFile(`${path}.tmp`, JSON.stringify(record), { flag: 'wx', mode: 0o600, flush: true });
  await rename(`${path}.tmp`, path);
}

export interface BorrowRequest<T extends TreeTarget> {
  layout: WorkDirLayout;
  server: string;
  barmanUser: string;
  /** The directories this restore has still to extract. */
  targets: readonly T[];
  signal?: AbortSignal;
}

/** A directory published by links, from another area's `from`. */
export interface LinkedTree<T extends TreeTarget> {
  target: T;
  from: string;
  /** Its tarballs' size. */
  bytes: number;
}

/** A directory another area lends, with its record there. */
export interface Offer<T extends TreeTarget> {
  target: T;
  from: string;
  record: ExtractionRecord;
}

/**
 * Publishes, linked from another restore's area, each of `targets` that one has extracted from the same object
 * versions; returns those published, with where they came from. The others are left to extract.
 */
export async function borrowExtractedTrees<T extends TreeTarget>(request: BorrowRequest<T>): Promise<LinkedTree<T>[]> {
  const offers = await lendableTrees(request);
  if (offers.length === 0) return [];
  const { layout, barmanUser, signal } = request;
  // Links are made by the Barman user, who owns the lending areas: it can link nothing it could not read
  // anyway. It needs this area for that, handed over as the stage step hands it, and reclaimed right after.
  for (const { target } of offers) {
    await removeTree(linkingDir(target), signal);
    await mkdir(dirname(target.finalDir), { recursive: true });
  }
  await handOverTree(layout.root, barmanUser, signal);
  const linked = new Set<Offer<T>>();
  for (const offer of offers) {
    const copy = await runCommand('cp', ['-a', '-l', '--no-target-directory', '--', offer.from, linkingDir(offer.target)], { asUser: barmanUser, signal, allowFailure: true });
    if (copy.exitCode === 0) linked.add(offer);
  }
  await reclaimWorkArea(layout, signal);
  const { uid: barmanUid } = await userIds(barmanUser);
  const published: LinkedTree<T>[] = [];
  for (const offer of offers) {
    const dir = linkingDir(offer.target);
    // A lender finished meanwhile, or its tree changed since its extraction: this directory is extracted instead.
    if (!linked.has(offer) || linkedTreeRefusal(offer.record, summarizeListing(await listTree(dir, signal), barmanUid)) !== undefined) {
      await removeTree(dir, signal);
      continue;
    }
    await writeRecord(offer.target.recordPath, offer.record);
    await rename(dir, offer.target.finalDir);
    published.push({ target: offer.target, from: offer.from, bytes: offer.target.objects.reduce((sum, o) => sum + o.size, 0) });
  }
  return published;
}

/** What of a backup a restore would link: how many directories, and the keys of their tarballs. */
export interface LinkableObjects {
  directories: number;
  keys: string[];
}

/**
 * For each target, the first other area of the server, handed to the Barman user (one a stage step has run in:
 * a held restore's, a failed one's), whose record says it extracted that directory from the same objects. Nothing
 * is linked here: the base step links them (borrowExtractedTrees), the plan's disk check counts them.
 */
export async function lendableTrees<T extends TreeTarget>(request: BorrowRequest<T>): Promise<Offer<T>[]> {
  if (request.targets.length === 0) return [];
  const { uid: barmanUid } = await userIds(request.barmanUser);
  const lenders = (await otherAreas({ ownRoot: request.layout.root, server: request.server, barmanUser: request.barmanUser })).filter((a) => a.ownerUid === barmanUid);
  const offers: Offer<T>[] = [];
  for (const target of request.targets) {
    for (const { root } of lenders) {
      const recordPath = samePlaceIn(request.layout.root, root, target.recordPath);
      const from = samePlaceIn(request.layout.root, root, target.finalDir);
      const record = recordPath && parseExtractionRecord(await readOwnedText(recordPath, barmanUid));
      if (from && record && extractedFromSameObjects(record, target.objects)) {
        offers.push({ target, from, record });
        break;
      }
    }
  }
  return offers;
}

/** Where a lent directory is linked before it is checked and published. */
function linkingDir(target: TreeTarget): string {
  return `${target.finalDir}.linking`;
}
