// WAL file names and arithmetic. A segment name is 24 upper-case hex digits: timeline, log, segment (8 each).
// A log spans 4 GiB of WAL, so it holds 0x100000000 / segmentSize segments (256 at the default 16 MB).

export const DEFAULT_SEGMENT_SIZE = 16 * 1024 * 1024;
const MIN_SEGMENT_SIZE = 1024 * 1024;
const MAX_SEGMENT_SIZE = 1024 * 1024 * 1024;
const BYTES_PER_LOG = 0x1_0000_0000;
const MAX_UINT32 = 0xffff_ffff;

export interface SegmentId {
  timeline: number;
  log: number;
  seg: number;
}

// The segment part is below 4096 (the count per log at 1 MB, the smallest size), hence the five zeros.
const SEGMENT_NAME = /^([0-9A-F]{8})([0-9A-F]{8})(00000[0-9A-F]{3})$/;
const HISTORY_FILE_NAME = /^([0-9A-F]{8})\.history$/;
const BACKUP_HISTORY_FILE_NAME = /^([0-9A-F]{8})([0-9A-F]{8})(00000[0-9A-F]{3})\.([0-9A-F]{8})\.backup$/;
const LSN = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/** A WAL segment name such as `000000010000000000000026` (timeline 0 does not exist). */
export function isSegmentName(name: string): boolean {
  const m = SEGMENT_NAME.exec(name);
  return m !== null && m[1] !== '00000000';
}

/** A timeline history file name such as `0000000A.history`. */
export function isHistoryFileName(name: string): boolean {
  const m = HISTORY_FILE_NAME.exec(name);
  return m !== null && m[1] !== '00000000';
}

/** A backup history file name such as `000000010000000000000011.00000028.backup`. */
export function isBackupHistoryFileName(name: string): boolean {
  const m = BACKUP_HISTORY_FILE_NAME.exec(name);
  return m !== null && m[1] !== '00000000';
}

export function parseSegmentName(name: string): SegmentId {
  const m = SEGMENT_NAME.exec(name);
  if (!m || m[1] === '00000000') {
    throw new Error(
      `not a WAL segment name: ${JSON.stringify(name)}; expected 24 upper-case hex digits ` +
        `(timeline ≥ 1, log, segment), e.g. 000000010000000000000026`,
    );
  }
  return { timeline: parseInt(m[1]!, 16), log: parseInt(m[2]!, 16), seg: parseInt(m[3]!, 16) };
}

export function formatSegmentName(id: SegmentId): string {
  if (!isUint32(id.timeline) || id.timeline === 0 || !isUint32(id.log) || !isUint32(id.seg) || id.seg > 0xfff) {
    throw new RangeError(`not a valid segment id: ${JSON.stringify(id)}`);
  }
  return hex8(id.timeline) + hex8(id.log) + hex8(id.seg);
}

/** Timeline number of a history file name (`0000000A.history` → 10). */
export function historyFileTimeline(name: string): number {
  const m = HISTORY_FILE_NAME.exec(name);
  if (!m || m[1] === '00000000') throw new Error(`not a timeline history file name: ${JSON.stringify(name)}`);
  return parseInt(m[1]!, 16);
}

/** The history file name of a timeline (10 → `0000000A.history`). */
export function historyFileName(timeline: number): string {
  return `${hex8(timeline)}.history`;
}

/** Throws unless `segmentSize` is a power of 2 from 1 MB to 1 GB, as PostgreSQL requires. */
export function assertValidSegmentSize(segmentSize: number): void {
  const valid =
    Number.isInteger(segmentSize) &&
    segmentSize >= MIN_SEGMENT_SIZE &&
    segmentSize <= MAX_SEGMENT_SIZE &&
    (segmentSize & (segmentSize - 1)) === 0;
  if (!valid) {
    throw new RangeError(`WAL segment size must be a power of 2 from 1 MB to 1 GB (bytes), got ${segmentSize}`);
  }
}

export function segmentsPerLog(segmentSize: number): number {
  assertValidSegmentSize(segmentSize);
  return BYTES_PER_LOG / segmentSize;
}

/** Position of a segment in the WAL stream, counted from 0/0 (timeline ignored). */
export function segmentIndex(name: string, segmentSize: number): number {
  const { log, seg } = parseSegmentName(name);
  const perLog = segmentsPerLog(segmentSize);
  if (seg >= perLog) {
    throw new RangeError(
      `WAL segment ${name} cannot exist with ${segmentSize}-byte segments: segment part 0x${seg.toString(16)} ` +
        `is beyond the ${perLog} segments of a log`,
    );
  }
  return log * perLog + seg;
}

export function segmentFromIndex(timeline: number, index: number, segmentSize: number): string {
  const perLog = segmentsPerLog(segmentSize);
  if (!Number.isSafeInteger(index) || index < 0 || Math.floor(index / perLog) > MAX_UINT32) {
    throw new RangeError(`segment index out of range: ${index}`);
  }
  return formatSegmentName({ timeline, log: Math.floor(index / perLog), seg: index % perLog });
}

/** The segment after `name` on the same timeline (wraps into the next log after the last segment of a log). */
export function nextSegmentName(name: string, segmentSize: number): string {
  return segmentFromIndex(parseSegmentName(name).timeline, segmentIndex(name, segmentSize) + 1, segmentSize);
}

/** The archive folder of a segment or `.backup` file: its first 16 characters (timeline and log). */
export function walHashDir(name: string): string {
  if (!isSegmentName(name) && !isBackupHistoryFileName(name)) {
    throw new Error(`${JSON.stringify(name)} is neither a WAL segment nor a backup history file; it has no hash folder`);
  }
  return name.slice(0, 16);
}

/** `0/26000028` → byte position. Exact below 2^53 (8 PiB of WAL). */
export function parseLsn(text: string): number {
  const m = LSN.exec(text);
  if (!m) throw new Error(`not a WAL location: ${JSON.stringify(text)}; expected two hex numbers as in 0/26000028`);
  const value = parseInt(m[1]!, 16) * BYTES_PER_LOG + parseInt(m[2]!, 16);
  if (!Number.isSafeInteger(value)) throw new RangeError(`WAL location ${text} is too large to handle exactly`);
  return value;
}

/** Byte position → PostgreSQL's `%X/%X` form, e.g. `0/26000028`. */
export function formatLsn(lsn: number): string {
  if (!Number.isSafeInteger(lsn) || lsn < 0) throw new RangeError(`not a WAL location: ${lsn}`);
  const hi = Math.floor(lsn / BYTES_PER_LOG);
  const lo = lsn - hi * BYTES_PER_LOG;
  return `${hi.toString(16).toUpperCase()}/${lo.toString(16).toUpperCase()}`;
}

/** The segment holding the byte at `lsn` (as PostgreSQL's XLByteToSeg). */
export function segmentNameForLsn(timeline: number, lsn: string, segmentSize: number): string {
  assertValidSegmentSize(segmentSize);
  return segmentFromIndex(timeline, Math.floor(parseLsn(lsn) / segmentSize), segmentSize);
}

function isUint32(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= MAX_UINT32;
}

function hex8(n: number): string {
  return n.toString(16).toUpperCase().padStart(8, '0');
}
