// Decompresses a byte stream through the Debian tool made for its format: bzip2, xz, zstd and lz4 through
// their own command-line tools, snappy through python3-snappy's framing-format stream decoder. One child
// process each, started with an argument array (no shell) and an environment of PATH only.
// gzip does not come here: node:zlib inflates it in-process, faster than any child process.
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { WalCompression } from '../core/s3-layout';
import { resolveTool, ToolMissingError } from './run-command';

export type ExternalCodec = Exclude<WalCompression, 'gzip' | 'none'>;

/** Each writes the decompressed bytes of stdin to stdout and exits non-zero, with a message, on bad data. */
const DEBIAN_TOOLS: Record<Exclude<ExternalCodec, 'snappy'>, { tool: string; args: string[]; debianPackage: string }> = {
  bzip2: { tool: 'bzip2', args: ['-dc'], debianPackage: 'bzip2' },
  xz: { tool: 'xz', args: ['-dc'], debianPackage: 'xz-utils' },
  zstd: { tool: 'zstd', args: ['-dcq'], debianPackage: 'zstd' },
  lz4: { tool: 'lz4', args: ['-dc'], debianPackage: 'lz4' },
};

/** Debian's interpreter: python3-snappy lives in its dist-packages, which a pyenv or venv python3 on PATH may not see. */
export const DEBIAN_PYTHON = '/usr/bin/python3';
const SNAPPY_INSTALL = 'the Debian packages python3-snappy and python3-crc32c';
/** The decoder's exit status for "this Python cannot decode snappy streams correctly". */
const SNAPPY_UNUSABLE_STATUS = 3;
/**
 * barman-cloud writes snappy in the framing format (python-snappy's stream_compress/StreamCompressor: a stream
 * identifier, then chunks of at most 64 KiB, each with a masked CRC-32C); this is python-snappy's own
 * stream_decompress, as Barman itself calls it. Debian 12's python3-snappy (0.5.3) decodes the format
 * correctly, but its C binding of CRC-32C fails on Python >= 3.10 (SystemError: PY_SSIZE_T_CLEAN macro must
 * be defined), so python3-crc32c's takes its place. A self-test first proves that the decoder at hand
 * decodes a known stream and refuses a truncated one (python-snappy 0.7, on cramjam, silently accepts
 * truncated and even non-snappy input): otherwise it exits with SNAPPY_UNUSABLE_STATUS.
 */
const SNAPPY_PROGRAM = `
import io, os, sys
try:
    import snappy.snappy as s
    if getattr(s, "_crc32c", None) is not None:
        try:
            s._crc32c(b"")
        except SystemError:
            import crc32c
            s._crc32c = crc32c.crc32c
    sample = bytes.fromhex("ff060000734e61507059010800005bfa049170697472")
    out = io.BytesIO()
    s.stream_decompress(io.BytesIO(sample), out)
    if out.getvalue() != b"pitr":
        raise ValueError("it decodes a known stream wrongly")
    try:
        s.stream_decompress(io.BytesIO(sample[:-2]), io.BytesIO())
    except s.UncompressError:
        pass
    else:
        raise ValueError("it accepts a truncated stream")
except Exception as e:
    sys.stderr.write("python-snappy cannot decode snappy streams here: %s: %s\\n" % (type(e).__name__, e))
    sys.exit(${SNAPPY_UNUSABLE_STATUS})
try:
    s.stream_decompress(sys.stdin.buffer, sys.stdout.buffer)
    sys.stdout.buffer.flush()
except BrokenPipeError:
    os._exit(141)
except Exception as e:
    sys.stderr.write("%s: %s\\n" % (type(e).__name__, e))
    sys.exit(1)
`;

const STDERR_LIMIT = 2048;

export interface DecompressorOptions {
  /** On abort the tool is killed and `exited` rejects with an AbortError. */
  signal?: AbortSignal;
  /** Where the tool is looked up, and the only variable of its environment (default: this process's PATH). */
  path?: string;
  /** The Python that runs the snappy decoder (default DEBIAN_PYTHON). */
  python?: string;
}

export interface DecompressorProcess {
  /** Compressed bytes in. */
  stdin: Writable;
  /** Decompressed bytes out. */
  stdout: Readable;
  /**
   * Settles when the tool has exited and its output is closed: resolves on success, rejects with a
   * DecompressorFailedError on data it could not decompress, or a ToolMissingError when the snappy decoder
   * cannot run here.
   */
  exited: Promise<void>;
  kill(): void;
}

/** The tool exited non-zero (or was killed): the data is damaged or not in its format. */
export class DecompressorFailedError extends Error {
  constructor(
    readonly codec: ExternalCodec,
    /** e.g. `xz exited with status 1: xz: (stdin): Compressed data is corrupt`. */
    readonly detail: string,
  ) {
    super(`${codec} decompression failed: ${detail}`);
    this.name = 'DecompressorFailedError';
  }
}

/** Starts the decompressor of `codec`; throws ToolMissingError at once when its tool is not installed. */
export function startDecompressor(codec: ExternalCodec, options: DecompressorOptions = {}): DecompressorProcess {
  const path = options.path ?? process.env.PATH ?? '';
  const command = decoderCommand(codec, path, options.python);
  const child = spawn(command.file, command.args, { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: path }, signal: options.signal });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    if (stderr.length < STDERR_LIMIT) stderr += d.toString('utf8');
  });
  // A tool quitting on bad data closes its stdin under the writer; its exit status tells the story.
  child.stdin.on('error', () => undefined);
  const exited = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const first = stderr.trim().split('\n')[0]?.trim() ?? '';
      if (code === 0) resolve();
      else if (codec === 'snappy' && code === SNAPPY_UNUSABLE_STATUS) reject(new ToolMissingError('python3-snappy', undefined, { install: SNAPPY_INSTALL, reason: first }));
      else reject(new DecompressorFailedError(codec, `${command.label} ${signal ? `killed by ${signal}` : `exited with status ${code}`}${first ? `: ${first}` : ''}`));
    });
  });
  exited.catch(() => undefined); // the caller handles it; no unhandled rejection when it stopped listening first
  return { stdin: child.stdin, stdout: child.stdout, exited, kill: () => child.kill('SIGKILL') };
}

function decoderCommand(codec: ExternalCodec, path: string, python = DEBIAN_PYTHON): { label: string; file: string; args: string[] } {
  if (codec === 'snappy') {
    return { label: 'python3-snappy', file: resolveTool(python, path, { install: SNAPPY_INSTALL }), args: ['-I', '-c', SNAPPY_PROGRAM] };
  }
  const { tool, args, debianPackage } = DEBIAN_TOOLS[codec];
  return { label: tool, file: resolveTool(tool, path, { install: `the Debian package ${debianPackage}` }), args };
}
