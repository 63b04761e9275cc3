import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WalCompression } from '../../../src/core/s3-layout';
import { CorruptCompressedFileError, decompressFile } from '../../../src/io/decompress';
import { ToolMissingError } from '../../../src/io/run-command';
import { BARMAN_PYTHON, barmanCompress, EXTENSION, WAL_CODECS, walLikeBytes } from '../../support/barman-codecs';

const SEGMENT_BYTES = 16 << 20;

/** How each decompressor reports a file cut in half: its own words, first stderr line. */
const TRUNCATED: Record<(typeof WAL_CODECS)[number], RegExp> = {
  gzip: /gzip: unexpected end of file/,
  bzip2: /bzip2 exited with status 2: .*ends unexpectedly/,
  xz: /xz exited with status 1: .*xz: \(stdin\): Unexpected end of input/,
  zstd: /zstd exited with status 1: .*premature end/,
  lz4: /lz4 exited with status 68: Error 68 : Unfinished stream/,
  snappy: /python3-snappy exited with status 1: UncompressError: chunk truncated/,
};

describe('io/decompress: WAL as barman-cloud-wal-archive compresses it', function () {
  this.timeout(120_000);
  let work: string;
  let plain: Buffer;
  const compressed = (codec: string): string => join(work, `000000010000000000000003${EXTENSION[codec]}`);

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'pitr-decompress-'));
    plain = walLikeBytes(SEGMENT_BYTES);
    await writeFile(join(work, 'segment'), plain);
    await Promise.all(WAL_CODECS.map((codec) => barmanCompress('wal', codec, join(work, 'segment'), compressed(codec))));
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  for (const codec of WAL_CODECS) {
    it(`decompresses barman's ${codec} byte for byte`, async () => {
      const target = join(work, `out-${codec}`);
      await decompressFile(compressed(codec), target, codec);
      assert.ok((await readFile(target)).equals(plain), `${codec} round trip`);
    });

    it(`says a truncated ${codec} file is corrupt, in the decompressor's own words`, async () => {
      const whole = await readFile(compressed(codec));
      const cut = join(work, `cut${EXTENSION[codec]}`);
      await writeFile(cut, whole.subarray(0, Math.floor(whole.length / 2)));
      await assert.rejects(decompressFile(cut, join(work, 'out-cut'), codec), (err: unknown) => {
        assert.ok(err instanceof CorruptCompressedFileError, `expected CorruptCompressedFileError, got ${String(err)}`);
        assert.equal(err.type, 'CorruptArchive');
        assert.equal(err.compression, codec);
        assert.match(err.detail, TRUNCATED[codec]);
        assert.ok(err.message.includes(cut), 'the message names the file');
        return true;
      });
    });
  }

  it('copies an uncompressed WAL file as it is', async () => {
    await decompressFile(join(work, 'segment'), join(work, 'out-none'), 'none');
    assert.ok((await readFile(join(work, 'out-none'))).equals(plain));
  });

  it('refuses data that is not in the format its name says', async () => {
    const gz = compressed('gzip');
    const cases: [WalCompression, RegExp][] = [
      ['bzip2', /bzip2 exited with status 2: .*is not a bzip2 file/],
      ['xz', /xz exited with status 1: .*File format not recognized/],
      ['lz4', /lz4 exited with status 44: Error 44 : Unrecognized header/],
      ['snappy', /python3-snappy exited with status 1: UncompressError: stream missing snappy identifier/],
    ];
    for (const [codec, detail] of cases) {
      await assert.rejects(decompressFile(gz, join(work, 'out-wrong'), codec), (err: unknown) => {
        assert.ok(err instanceof CorruptCompressedFileError, `${codec}: ${String(err)}`);
        assert.match(err.detail, detail);
        return true;
      });
    }
  });

  it('names the Debian package of a decompressor that is not on PATH', async () => {
    const empty = join(work, 'empty-path');
    await mkdir(empty, { recursive: true });
    for (const [codec, pkg] of [
      ['bzip2', 'bzip2'],
      ['xz', 'xz-utils'],
      ['zstd', 'zstd'],
      ['lz4', 'lz4'],
    ] as const) {
      await assert.rejects(decompressFile(compressed(codec), join(work, 'out-missing'), codec, undefined, { path: empty }), (err: unknown) => {
        assert.ok(err instanceof ToolMissingError, `${codec}: ${String(err)}`);
        assert.equal(err.type, 'ToolMissing');
        assert.match(err.message, new RegExp(`no executable ${codec} in any directory of its PATH \\(${empty}\\)`));
        assert.match(err.message, new RegExp(`the Debian package ${pkg}`));
        return true;
      });
    }
  });

  it('refuses a Python whose python-snappy cannot be trusted with snappy streams (0.7 accepts truncated ones)', async () => {
    // The Barman venv's python-snappy 0.7.3 writes what barman-cloud writes, but its stream_decompress
    // returns without error on a stream cut between chunks, or on bytes that are not snappy at all.
    await assert.rejects(decompressFile(compressed('snappy'), join(work, 'out-venv'), 'snappy', undefined, { python: BARMAN_PYTHON }), (err: unknown) => {
      assert.ok(err instanceof ToolMissingError, String(err));
      assert.match(err.message, /python-snappy cannot decode snappy streams here: ValueError: it accepts a truncated stream/);
      assert.match(err.message, /the Debian packages python3-snappy and python3-crc32c/);
      return true;
    });
  });

  it('stops the decompressor on abort, rejecting with the signal reason', async () => {
    const controller = new AbortController();
    const reason = new Error('cancelled by test');
    setTimeout(() => controller.abort(reason), 20);
    await assert.rejects(decompressFile(compressed('xz'), join(work, 'out-abort'), 'xz', controller.signal), (err) => err === reason);
  });
});
