// Crafted barman-cloud server folders for the bad-input suite: a copy of the real fixture's newer
// backup (its backup.info and the WAL from its begin_wal on), and on request the older one with its real
// data.tar.gz, under `crafted-<run>-<label>/` in the fixture's bucket, with data.tar.gz, backup.info or a WAL
// object replaced. Everything uploaded is removed again.
import { DeleteObjectsCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { backupInfoKey, baseBackupsPrefix, parseWalKey, serverPrefix, walHashDirPrefix, walsPrefix } from '../../src/core/s3-layout';
import { walHashDir } from '../../src/core/wal-names';
import { createS3Client } from '../../src/io/s3-client';
import { listAll } from '../../src/io/s3-listing';
import type { Fixture, FixtureBackup } from './fixture';
import { buildTar, gzip } from './tar-test-archive';

export interface CraftedBackupOptions {
  /** The base backup tarball to upload as data.tar.gz (default: a tiny harmless archive). */
  dataTar?: Buffer;
  /** WAL objects to replace, by bare segment name (e.g. 000000010000000000000008): the bytes stored instead. */
  walOverrides?: Record<string, Buffer>;
  /** Rewrites the copied backup.info (e.g. to make it an incremental or encrypted backup's). */
  editInfo?: (text: string) => string;
  /** Also copy the fixture's older backup, unchanged (backup.info, its real data.tar.gz) and the WAL from its begin_wal. */
  withOlderBackup?: boolean;
}

export interface CraftedBackups {
  /** The fixture backup every crafted folder copies (the newer one). */
  readonly backup: FixtureBackup;
  /** The one `withOlderBackup` adds. */
  readonly olderBackup: FixtureBackup;
  /** Uploads a crafted server folder and returns its server name. */
  create(label: string, options?: CraftedBackupOptions): Promise<string>;
  /** The real backup's data.tar.gz. */
  realDataTar(): Promise<Buffer>;
  /** The S3 key a crafted server's copy of a WAL segment has. */
  walKey(server: string, segment: string): string;
  /** Keys still present under this run's crafted folders. */
  remainingKeys(): Promise<string[]>;
  /** Deletes every object this run uploaded. */
  removeAll(): Promise<void>;
}

interface SourceObject {
  relativeKey: string;
  body: Buffer;
}

export function craftedBackups(fixture: Fixture, s3: S3Client = createS3Client()): CraftedBackups {
  const run = randomBytes(4).toString('hex');
  const backup = fixture.backups[fixture.backups.length - 1]!;
  const olderBackup = fixture.backups[0]!;
  const sourceRoot = serverPrefix(fixture.prefix, fixture.server);
  // Every crafted folder of this run starts with this key prefix.
  const runRoot = `${serverPrefix(fixture.prefix, 'x').slice(0, -2)}crafted-${run}-`;
  let sources: Promise<{ infos: Map<string, SourceObject>; wals: (SourceObject & { segment: string })[] }> | undefined;
  let realTar: Promise<Buffer> | undefined;

  const get = async (key: string): Promise<Buffer> => {
    const res = await s3.send(new GetObjectCommand({ Bucket: fixture.bucket, Key: key }));
    return Buffer.from(await res.Body!.transformToByteArray());
  };

  // Both backup.info files and every WAL object of the backups' timeline from the older begin_wal on (a few small segments).
  const loadSources = () =>
    (sources ??= (async () => {
      const infos = new Map<string, SourceObject>();
      for (const { id } of [backup, olderBackup]) {
        const infoKey = backupInfoKey(fixture.prefix, fixture.server, id);
        infos.set(id, { relativeKey: infoKey.slice(sourceRoot.length), body: await get(infoKey) });
      }
      const wals: (SourceObject & { segment: string })[] = [];
      for (const object of await listAll(s3, fixture.bucket, walsPrefix(fixture.prefix, fixture.server))) {
        const parsed = parseWalKey(object.key);
        if (!parsed || parsed.kind === 'history') continue;
        const segment = parsed.name.slice(0, 24);
        if (segment.slice(0, 8) !== olderBackup.beginWal.slice(0, 8) || segment < olderBackup.beginWal) continue;
        wals.push({ relativeKey: object.key.slice(sourceRoot.length), body: await get(object.key), segment: parsed.name });
      }
      return { infos, wals };
    })());
  const dataTarKey = (server: string, id: string) => `${baseBackupsPrefix(fixture.prefix, server)}${id}/data.tar.gz`;

  const put = (key: string, body: Buffer) => s3.send(new PutObjectCommand({ Bucket: fixture.bucket, Key: key, Body: body }));

  return {
    backup,
    olderBackup,
    async create(label, options = {}) {
      const server = `crafted-${run}-${label}`;
      const root = serverPrefix(fixture.prefix, server);
      const { infos, wals: allWals } = await loadSources();
      const info = infos.get(backup.id)!;
      await put(root + info.relativeKey, options.editInfo ? Buffer.from(options.editInfo(info.body.toString('utf8'))) : info.body);
      await put(dataTarKey(server, backup.id), options.dataTar ?? HARMLESS_TAR_GZ);
      if (options.withOlderBackup) {
        await put(root + infos.get(olderBackup.id)!.relativeKey, infos.get(olderBackup.id)!.body);
        await put(dataTarKey(server, olderBackup.id), await get(dataTarKey(fixture.server, olderBackup.id)));
      }
      const firstWal = (options.withOlderBackup ? olderBackup : backup).beginWal;
      const wals = allWals.filter((w) => w.segment.slice(0, 24) >= firstWal);
      const overrides = { ...options.walOverrides };
      for (const wal of wals) {
        await put(root + wal.relativeKey, overrides[wal.segment] ?? wal.body);
        delete overrides[wal.segment];
      }
      const unknown = Object.keys(overrides);
      if (unknown.length > 0) throw new Error(`no WAL object to replace for ${unknown.join(', ')}; the copied ones are ${wals.map((w) => w.segment).join(', ')}`);
      return server;
    },
    realDataTar() {
      return (realTar ??= get(dataTarKey(fixture.server, backup.id)));
    },
    walKey(server, segment) {
      // The copies keep the fixture's gzip WAL compression.
      return `${walHashDirPrefix(fixture.prefix, server, walHashDir(segment))}${segment}.gz`;
    },
    async remainingKeys() {
      return (await listAll(s3, fixture.bucket, runRoot)).map((o) => o.key);
    },
    async removeAll() {
      const keys = await this.remainingKeys();
      for (let i = 0; i < keys.length; i += 1000) {
        const batch = keys.slice(i, i + 1000).map((Key) => ({ Key }));
        await s3.send(new DeleteObjectsCommand({ Bucket: fixture.bucket, Delete: { Objects: batch, Quiet: true } }));
      }
    },
  };
}

/** backup.info text with `key` set to `value` (replaced when present, appended when not). */
export function setInfoField(info: string, key: string, value: string): string {
  const lines = info.split('\n').filter((line) => !line.startsWith(`${key}=`) && line !== '');
  return [...lines, `${key}=${value}`].join('\n') + '\n';
}

// A harmless archive: for crafted folders whose tarball is never read.
const HARMLESS_TAR_GZ = gzip(buildTar([{ path: 'PG_VERSION', body: '15\n', mode: 0o600 }]));
