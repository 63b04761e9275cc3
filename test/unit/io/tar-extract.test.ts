import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ToolMissingError } from '../../../src/io/run-command';
import {
  ArchiveLimitError,
  CorruptArchiveError,
  ExtractionBudget,
  extractArchive,
  UnsafeArchiveError,
  type Compression,
} from '../../../src/io/tar-extract';
import { create } from 'tar';
import { EntryGuard } from '../../../src/core/tar-entry-guard';
import { barmanCompress, EXTENSION, TAR_CODECS, walLikeBytes } from '../../support/barman-codecs';
import { buildTar, bzip2, gzip, type TestEntry } from '../../support/tar-test-archive';


describe('tar-extract', () => {
  let work: string;
  let dest: string;

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'pitr-tar-'));
    // The destination sits one level down, so that "outside" is a directory we can look into.
    dest = join(work, 'stage', 'data');
  });
  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  async function archive(name: string, bytes: Buffer): Promise<string> {
    const file = join(work, name);
    await writeFile(file, bytes);
    return file;
  }

  async function rejectsUnsafe(entries: TestEntry[], entryPath: string, rule: RegExp): Promise<void> {
    const file = await archive('bad.tar', buildTar(entries));
    await assert.rejects(extractArchive(file, dest, { compression: 'none' }), (err: unknown) => {
      assert.ok(err instanceof UnsafeArchiveError, `expected UnsafeArchiveError, got ${String(err)}`);
      assert.equal(err.type, 'UnsafeArchive');
      assert.equal(err.entry, entryPath);
      assert.match(err.rule, rule);
      assert.ok(err.message.includes(file), 'the message names the archive');
      assert.ok(err.message.includes(JSON.stringify(entryPath)), 'the message names the entry');
      return true;
    });
  }

  const pgdata: TestEntry[] = [
    { path: './', type: 'dir', mode: 0o700 },
    { path: './PG_VERSION', body: '16\n', mode: 0o600 },
    { path: './base/', type: 'dir', mode: 0o700 },
    { path: './base/1/', type: 'dir', mode: 0o700 },
    { path: './base/1/1259', body: randomBytes(20_000), mode: 0o600, uid: 4321, gid: 4322 },
    { path: './backup_label', body: 'START WAL LOCATION: 0/2000028\n', mode: 0o644 },
    { path: './conf/', type: 'dir', mode: 0o750 },
    { path: './conf/pg_hba.conf', body: 'local all all trust\n', mode: 0o640 },
    { path: './pg_wal/', type: 'dir', mode: 0o700 },
    { path: './current', type: 'symlink', linkpath: 'base/1' },
    { path: './hba-link', type: 'hardlink', linkpath: './conf/pg_hba.conf' },
    { path: './global/pg_control', body: randomBytes(8192), mode: 0o600 },
  ];

  for (const compression of ['none', 'gzip', 'bzip2'] as Compression[]) {
    it(`extracts a good ${compression} archive with contents, modes, links and owners`, async () => {
      const tar = buildTar(pgdata);
      const bytes = compression === 'gzip' ? gzip(tar) : compression === 'bzip2' ? bzip2(tar) : tar;
      const file = await archive(`data.tar${compression === 'gzip' ? '.gz' : compression === 'bzip2' ? '.bz2' : ''}`, bytes);
      const progress: number[] = [];
      const result = await extractArchive(file, dest, { compression, onProgress: (p) => progress.push(p.bytesRead) });

      assert.equal(result.entries, pgdata.length);
      const fileBytes = pgdata.filter((e) => (e.type ?? 'file') === 'file').reduce((n, e) => n + Buffer.from(e.body ?? '').length, 0);
      assert.equal(result.bytesWritten, fileBytes);
      assert.equal(progress.at(-1), bytes.length, 'the last progress report covers the whole archive');

      for (const e of pgdata.filter((x) => (x.type ?? 'file') === 'file')) {
        assert.deepEqual(await readFile(join(dest, e.path)), Buffer.from(e.body ?? ''), e.path);
      }
      // Only the owner's bits survive: nothing for other local users.
      assert.equal((await stat(join(dest, 'PG_VERSION'))).mode & 0o7777, 0o600);
      assert.equal((await stat(join(dest, 'backup_label'))).mode & 0o7777, 0o600);
      assert.equal((await stat(join(dest, 'conf/pg_hba.conf'))).mode & 0o7777, 0o600);
      assert.equal((await stat(join(dest, 'base'))).mode & 0o7777, 0o700);
      assert.equal((await stat(join(dest, 'conf'))).mode & 0o7777, 0o700);
      assert.equal(await readlink(join(dest, 'current')), 'base/1');
      assert.equal((await stat(join(dest, 'hba-link'))).ino, (await stat(join(dest, 'conf/pg_hba.conf'))).ino);
      const st = await stat(join(dest, 'base/1/1259'));
      assert.deepEqual([st.uid, st.gid], [process.getuid?.(), process.getgid?.()], "the archive's owner (4321) is never kept");
    });
  }

  it('drops setuid, setgid and sticky bits and every group/other bit of a crafted archive', async () => {
    const file = await archive('setuid.tar', buildTar([
      { path: './', type: 'dir', mode: 0o700 },
      { path: './bin/', type: 'dir', mode: 0o1777 },
      { path: './bin/sh', body: '#!/bin/sh\n', mode: 0o4755, uid: 0, gid: 0 },
      { path: './bin/group', body: 'x', mode: 0o2775, uid: 0, gid: 0 },
    ]));
    await extractArchive(file, dest, { compression: 'none' });
    assert.equal((await stat(join(dest, 'bin/sh'))).mode & 0o7777, 0o700);
    assert.equal((await stat(join(dest, 'bin/group'))).mode & 0o7777, 0o700);
    assert.equal((await stat(join(dest, 'bin'))).mode & 0o7777, 0o700);
  });

  it('extracts archives made by the tar package itself (PAX headers, long names)', async () => {
    const src = join(work, 'src');
    const deep = join(src, 'a'.repeat(60), 'b'.repeat(60));
    await mkdir(deep, { recursive: true, mode: 0o700 });
    await writeFile(join(deep, 'c'.repeat(80)), 'long name', { mode: 0o600 });
    const file = join(work, 'made.tar.gz');
    await create({ cwd: src, file, gzip: true }, ['.']);
    const result = await extractArchive(file, dest, { compression: 'gzip' });
    assert.ok(result.entries >= 4);
    assert.equal(await readFile(join(dest, 'a'.repeat(60), 'b'.repeat(60), 'c'.repeat(80)), 'utf8'), 'long name');
  });

  it('extracts an archive of mostly zeros (beyond node-tar\'s default decompression-ratio guard)', async () => {
    const file = await archive('zeros.tar.gz', gzip(buildTar([{ path: 'base/1/16384', body: Buffer.alloc(32 << 20) }])));
    const result = await extractArchive(file, dest, { compression: 'gzip' });
    assert.equal(result.bytesWritten, 32 << 20);
    assert.equal((await stat(join(dest, 'base/1/16384'))).size, 32 << 20);
  });

  describe('rejects unsafe entries with UnsafeArchiveError, writing nothing outside the destination', () => {
    it('a `..` path', async () => {
      await rejectsUnsafe([{ path: 'ok.txt', body: 'fine' }, { path: '../evil', body: 'pwned' }], '../evil', /'\.\.'/);
      assert.equal(existsSync(join(work, 'stage', 'evil')), false);
      assert.equal(existsSync(join(dest, 'evil')), false, 'not silently rewritten into the destination either');
    });

    it('a `..` in the middle of a path', async () => {
      await rejectsUnsafe([{ path: 'base/../../evil', body: 'pwned' }], 'base/../../evil', /'\.\.'/);
      assert.equal(existsSync(join(work, 'stage', 'evil')), false);
    });

    it('an absolute path', async () => {
      const abs = join(work, 'abs', 'evil');
      await rejectsUnsafe([{ path: abs, body: 'pwned' }], abs, /absolute path/);
      assert.equal(existsSync(abs), false);
      assert.equal(existsSync(join(dest, abs)), false, 'the leading / is not silently stripped');
    });

    it('a symlink to /etc, then a file through it', async () => {
      await rejectsUnsafe(
        [
          { path: 'etc', type: 'symlink', linkpath: '/etc' },
          { path: 'etc/pitr-evil', body: 'pwned' },
        ],
        'etc',
        /symlink target "\/etc" resolves outside/,
      );
      assert.equal(existsSync('/etc/pitr-evil'), false);
      await assert.rejects(lstat(join(dest, 'etc')), /ENOENT/);
    });

    it('a relative symlink climbing out', async () => {
      await rejectsUnsafe([{ path: 'sub/up', type: 'symlink', linkpath: '../../..' }], 'sub/up', /resolves outside/);
    });

    it('a symlink escaping through another (inside) symlink', async () => {
      // a/l1 -> .. is the destination itself; b -> a/l1/.. looks like "a" lexically but is really the
      // destination's parent.
      await rejectsUnsafe(
        [
          { path: 'a/', type: 'dir' },
          { path: 'a/l1', type: 'symlink', linkpath: '..' },
          { path: 'b', type: 'symlink', linkpath: 'a/l1/..' },
        ],
        'b',
        /resolves outside/,
      );
    });

    it('a file through a symlink of the archive, even one pointing inside', async () => {
      await rejectsUnsafe(
        [
          { path: 'real/', type: 'dir' },
          { path: 'alias', type: 'symlink', linkpath: 'real' },
          { path: 'alias/file', body: 'x' },
        ],
        'alias/file',
        /passes through the symlink alias/,
      );
    });

    it('a file through a symlink that was already in the destination', async () => {
      const outside = join(work, 'outside');
      await mkdir(outside);
      await mkdir(dest, { recursive: true });
      await symlink(outside, join(dest, 'pg_tblspc'));
      const file = await archive('through.tar', buildTar([{ path: 'pg_tblspc/x', body: 'pwned' }]));
      await assert.rejects(extractArchive(file, dest, { compression: 'none' }), (err: unknown) => {
        assert.ok(err instanceof UnsafeArchiveError, String(err));
        assert.match(err.message, /already in the destination/);
        return true;
      });
      assert.equal(existsSync(join(outside, 'x')), false);
    });

    it('a hard link to a file outside (relative and absolute)', async () => {
      await rejectsUnsafe([{ path: 'hl', type: 'hardlink', linkpath: '../outside' }], 'hl', /hard link target/);
      await rm(dest, { recursive: true, force: true });
      await rejectsUnsafe([{ path: 'hl', type: 'hardlink', linkpath: '/etc/passwd' }], 'hl', /hard link target/);
      assert.equal(existsSync(join(dest, 'hl')), false);
    });

    for (const [type, name] of [
      ['char', 'CharacterDevice'],
      ['block', 'BlockDevice'],
      ['fifo', 'FIFO'],
    ] as const) {
      it(`a ${name} entry`, async () => {
        await rejectsUnsafe([{ path: 'dev0', type }], 'dev0', new RegExp(`${name} entries are not allowed`));
        assert.equal(existsSync(join(dest, 'dev0')), false);
      });
    }

    it('an entry type node-tar would skip silently (sparse file)', async () => {
      await rejectsUnsafe([{ path: 'sparse', type: 'sparse', body: 'x' }], 'sparse', /unsupported entry type/);
    });
  });

  describe('multi-part tarballs (barman-cloud splits data.tar into data_0001.tar, ... past --max-archive-size)', () => {
    // barman.cloud.CloudUploadController._build_dest_name: the parts of one directory are one archive cut in
    // pieces, so a symlink of an earlier part is there when a later part is written.
    async function parts(...entries: TestEntry[][]): Promise<string[]> {
      return Promise.all(entries.map((e, i) => archive(i === 0 ? 'data.tar' : `data_${String(i).padStart(4, '0')}.tar`, buildTar(e))));
    }

    it('share one guard: a symlink of a later part escaping through a symlink of an earlier part is refused', async () => {
      // a/l1 -> .. is the destination itself (fine); b -> a/l1/.. looks like "a" to a guard that has not
      // seen a/l1, but is really the destination's parent.
      const [first, second] = await parts(
        [
          { path: 'a/', type: 'dir' },
          { path: 'a/l1', type: 'symlink', linkpath: '..' },
        ],
        [{ path: 'b', type: 'symlink', linkpath: 'a/l1/..' }],
      );
      const guard = new EntryGuard(dest);
      await extractArchive(first!, dest, { compression: 'none', guard });
      await assert.rejects(extractArchive(second!, dest, { compression: 'none', guard }), (err: unknown) => {
        assert.ok(err instanceof UnsafeArchiveError, `expected UnsafeArchiveError, got ${String(err)}`);
        assert.equal(err.entry, 'b');
        assert.match(err.rule, /resolves outside/);
        return true;
      });
      await assert.rejects(lstat(join(dest, 'b')), /ENOENT/, 'the escaping symlink is not written');
    });

    it('share one guard: a file of a later part through a symlink of an earlier part is refused', async () => {
      const [first, second] = await parts(
        [
          { path: 'real/', type: 'dir' },
          { path: 'alias', type: 'symlink', linkpath: 'real' },
        ],
        [{ path: 'alias/file', body: 'x' }],
      );
      const guard = new EntryGuard(dest);
      await extractArchive(first!, dest, { compression: 'none', guard });
      await assert.rejects(extractArchive(second!, dest, { compression: 'none', guard }), /passes through the symlink alias/);
      assert.equal(existsSync(join(dest, 'real', 'file')), false);
    });

    it('refuses a guard made for another directory', async () => {
      const [first] = await parts([{ path: 'PG_VERSION', body: '15\n' }]);
      await assert.rejects(extractArchive(first!, dest, { compression: 'none', guard: new EntryGuard(join(work, 'elsewhere')) }), /guard .* another directory/);
    });
  });

  describe('bounded work: stops past the bytes and entries a backup may hold (ExtractionBudget)', () => {
    const MIB = 1024 * 1024;
    const budget = (maxBytes: number, maxEntries = 1000) => new ExtractionBudget({ maxBytes, maxEntries, basis: 'the test bound' });

    it('a gzip bomb: an entry declaring more than the bound is refused before anything of it is written', async () => {
      const file = await archive('bomb.tar.gz', gzip(buildTar([{ path: 'base/1/16384', body: Buffer.alloc(64 * MIB) }])));
      await assert.rejects(extractArchive(file, dest, { compression: 'gzip', budget: budget(8 * MIB) }), (err: unknown) => {
        assert.ok(err instanceof ArchiveLimitError, `expected ArchiveLimitError, got ${String(err)}`);
        assert.equal(err.type, 'UnsafeArchive');
        assert.ok(err.message.includes(file), 'the message names the archive');
        assert.match(err.message, /expands past 8\.0 MiB \(the test bound\)/);
        assert.match(err.message, /"base\/1\/16384"/);
        return true;
      });
      assert.equal(existsSync(join(dest, 'base/1/16384')), false);
    });

    it('many entries, each small, stop once the stream passes the bound', async () => {
      const entries: TestEntry[] = Array.from({ length: 16 }, (_, i) => ({ path: `f${i}`, body: Buffer.alloc(MIB, i) }));
      const file = await archive('many.tar.gz', gzip(buildTar(entries)));
      await assert.rejects(extractArchive(file, dest, { compression: 'gzip', budget: budget(4 * MIB) }), ArchiveLimitError);
      assert.equal(existsSync(join(dest, 'f15')), false);
    });

    it('the parts of a backup share one budget', async () => {
      const part = (i: number) => archive(`data_000${i}.tar`, buildTar([{ path: `p${i}`, body: Buffer.alloc(3 * MIB) }]));
      const shared = budget(5 * MIB);
      await extractArchive(await part(0), dest, { compression: 'none', budget: shared });
      await assert.rejects(extractArchive(await part(1), dest, { compression: 'none', budget: shared }), /expands past 5\.0 MiB/);
      assert.equal(existsSync(join(dest, 'p1')), false);
    });

    it('stops past the entry cap, before writing the entry over it', async () => {
      const entries: TestEntry[] = Array.from({ length: 20 }, (_, i) => ({ path: `e${i}`, body: 'x' }));
      const file = await archive('entries.tar', buildTar(entries));
      await assert.rejects(extractArchive(file, dest, { compression: 'none', budget: budget(100 * MIB, 5) }), (err: unknown) => {
        assert.ok(err instanceof ArchiveLimitError, `expected ArchiveLimitError, got ${String(err)}`);
        assert.match(err.message, /holds more than 5 entries/);
        assert.match(err.message, /"e5"/);
        return true;
      });
      for (let i = 5; i < 20; i++) assert.equal(existsSync(join(dest, `e${i}`)), false, `e${i}`);
    });

    it('a backup within its bounds extracts whole', async () => {
      const file = await archive('fits.tar', buildTar(pgdata));
      const result = await extractArchive(file, dest, { compression: 'none', budget: budget(MIB, pgdata.length) });
      assert.equal(result.entries, pgdata.length);
    });
  });

  describe('rejects damaged archives with CorruptArchiveError naming the file', () => {
    const big: TestEntry[] = [
      { path: 'a', body: randomBytes(300_000) },
      { path: 'b', body: randomBytes(300_000) },
    ];

    async function rejectsCorrupt(name: string, bytes: Buffer, compression: Compression, detail?: RegExp): Promise<void> {
      const file = await archive(name, bytes);
      await assert.rejects(extractArchive(file, dest, { compression }), (err: unknown) => {
        assert.ok(err instanceof CorruptArchiveError, `expected CorruptArchiveError, got ${String(err)}`);
        assert.equal(err.type, 'CorruptArchive');
        assert.ok(err.message.includes(file));
        if (detail) assert.match(err.message, detail);
        return true;
      });
    }

    it('a truncated .tar.gz', async () => {
      const gz = gzip(buildTar(big));
      await rejectsCorrupt('cut.tar.gz', gz.subarray(0, Math.floor(gz.length / 2)), 'gzip');
    });

    it('a .tar.gz cut just before its gzip trailer', async () => {
      const gz = gzip(buildTar(big));
      await rejectsCorrupt('cut-trailer.tar.gz', gz.subarray(0, gz.length - 4), 'gzip');
    });

    it('a truncated .tar.bz2', async () => {
      const bz = bzip2(buildTar(big));
      await rejectsCorrupt('cut.tar.bz2', bz.subarray(0, Math.floor(bz.length / 2)), 'bzip2', /bzip2 exited with status 2: .*ends unexpectedly/);
    });

    it('a plain tar cut in the middle of an entry', async () => {
      const tar = buildTar(big);
      await rejectsCorrupt('cut.tar', tar.subarray(0, 512 + 100_000), 'none');
    });

    it('a plain tar cut exactly at an entry boundary (no end-of-archive marker)', async () => {
      await rejectsCorrupt('boundary.tar', buildTar(big, { endMarker: false }), 'none', /end-of-archive/);
    });

    it('a header with a bad checksum', async () => {
      const bad = buildTar(big);
      bad[512 + 300_032 + 0] ^= 0x01; // first byte of b's name: a's header and its padded body come first
      await rejectsCorrupt('badsum.tar', bad, 'none');
    });

    it('a file that is not an archive at all', async () => {
      await rejectsCorrupt('junk.tar', randomBytes(4096), 'none');
    });
  });

  for (const codec of ['bzip2', 'lz4'] as const) {
    it(`says ${codec} is missing when it is not on PATH, naming its Debian package`, async () => {
      const file = await archive(`data.tar${EXTENSION[codec]}`, bzip2(buildTar(pgdata)));
      const path = process.env.PATH;
      process.env.PATH = join(work, 'empty-path');
      try {
        await assert.rejects(extractArchive(file, dest, { compression: codec }), (err: unknown) => {
          assert.ok(err instanceof ToolMissingError, String(err));
          assert.equal(err.type, 'ToolMissing');
          assert.match(err.message, new RegExp(`no executable ${codec} in any directory of its PATH .*the Debian package ${codec}`));
          return true;
        });
      } finally {
        process.env.PATH = path;
      }
    });
  }

  it('stops on abort, rejecting with the signal reason', async () => {
    const entries: TestEntry[] = Array.from({ length: 40 }, (_, i) => ({ path: `f${i}`, body: randomBytes(256 * 1024) }));
    const file = await archive('big.tar.bz2', bzip2(buildTar(entries)));
    const controller = new AbortController();
    const reason = new Error('cancelled by test');
    const run = extractArchive(file, dest, {
      compression: 'bzip2',
      signal: controller.signal,
      onProgress: () => controller.abort(reason),
    });
    await assert.rejects(run, (err) => err === reason);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const file = await archive('ok.tar', buildTar(pgdata));
    const controller = new AbortController();
    controller.abort(new Error('early'));
    await assert.rejects(extractArchive(file, dest, { compression: 'none', signal: controller.signal }), /early/);
  });

  describe('tarballs written by barman-cloud-backup (barman.cloud.CloudTarUploader)', function () {
    this.timeout(120_000);
    let made: string;
    const files: [string, Buffer][] = [
      ['PG_VERSION', Buffer.from('15\n')],
      ['base/1/1259', walLikeBytes(3 << 20)],
      ['base/1/16384', randomBytes(700_000)],
      ['global/pg_control', randomBytes(8192)],
    ];
    const tarball = (codec: string): string => join(made, `data.tar${EXTENSION[codec]}`);

    before(async () => {
      made = await mkdtemp(join(tmpdir(), 'pitr-barman-tar-'));
      for (const [path, body] of files) {
        await mkdir(join(made, 'pgdata', path, '..'), { recursive: true });
        await writeFile(join(made, 'pgdata', path), body);
      }
      await mkdir(join(made, 'pgdata', 'pg_wal'));
      await Promise.all(TAR_CODECS.map((codec) => barmanCompress('tar', codec, join(made, 'pgdata'), tarball(codec))));
    });
    after(async () => {
      await rm(made, { recursive: true, force: true });
    });

    for (const codec of TAR_CODECS) {
      it(`extracts barman's ${codec} tarball byte for byte`, async () => {
        const progress: number[] = [];
        const result = await extractArchive(tarball(codec), dest, { compression: codec, onProgress: (p) => progress.push(p.bytesRead) });
        assert.equal(result.bytesWritten, files.reduce((n, [, body]) => n + body.length, 0));
        assert.equal(progress.at(-1), (await stat(tarball(codec))).size, 'progress counts the compressed bytes, to the last');
        for (const [path, body] of files) assert.ok((await readFile(join(dest, path))).equals(body), path);
        assert.ok((await stat(join(dest, 'pg_wal'))).isDirectory());
      });
    }

    for (const [codec, detail] of [
      ['bzip2', /bzip2 exited with status 2: .*ends unexpectedly/],
      ['snappy', /python3-snappy exited with status 1: UncompressError: chunk truncated/],
      ['lz4', /lz4 exited with status 68: Error 68 : Unfinished stream/],
    ] as const) {
      it(`says a truncated ${codec} tarball is corrupt, in the decompressor's own words`, async () => {
        const whole = await readFile(tarball(codec));
        const file = await archive(`cut.tar${EXTENSION[codec]}`, whole.subarray(0, Math.floor(whole.length / 2)));
        await assert.rejects(extractArchive(file, dest, { compression: codec }), (err: unknown) => {
          assert.ok(err instanceof CorruptArchiveError, `expected CorruptArchiveError, got ${String(err)}`);
          assert.ok(err.message.includes(file));
          assert.match(err.message, detail);
          return true;
        });
      });
    }
  });
});
