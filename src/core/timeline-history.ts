// PostgreSQL timeline history files (`0000000N.history`) and which timeline to read each segment from.
import { parseLsn, formatLsn, segmentsPerLog } from './wal-names';
import { excerpt } from './untrusted-text';

/** One line of a history file: `parentTimeline` ended at `switchLsn`, where the next timeline began. */
export interface TimelineSwitch {
  parentTimeline: number;
  switchLsn: string;
  reason: string;
}

/** Segment positions `fromIndex`..`toIndex` (inclusive; null = no end) are read from `timeline`. */
export interface TimelineSpan {
  timeline: number;
  fromIndex: number;
  toIndex: number | null;
}

const HISTORY_LINE = /^(\d+)\s+([0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8})(?:\s+(.*))?$/;

/**
 * Parses the text of a history file, e.g. `1\t0/3000000\tno recovery target specified`.
 * Blank lines and `#` comments are skipped; timelines must increase (PostgreSQL's own checks).
 */
export function parseTimelineHistory(text: string): TimelineSwitch[] {
  const switches: TimelineSwitch[] = [];
  text.split(/\r?\n/).forEach((rawLine, i) => {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = HISTORY_LINE.exec(line);
    if (!m) {
      throw new Error(
        `timeline history line ${i + 1} is not "<parent timeline><TAB><switch LSN><TAB><reason>": ${excerpt(rawLine)}`,
      );
    }
    const parentTimeline = Number(m[1]);
    const previous = switches[switches.length - 1];
    if (parentTimeline < 1 || parentTimeline > 0xffff_ffff) {
      throw new Error(`timeline history line ${i + 1}: timeline ${excerpt(m[1]!)} is out of range`);
    }
    if (previous && parentTimeline <= previous.parentTimeline) {
      throw new Error(
        `timeline history line ${i + 1}: timeline ${parentTimeline} follows ${previous.parentTimeline}; ` +
          `timelines must increase`,
      );
    }
    switches.push({ parentTimeline, switchLsn: formatLsn(parseLsn(m[2]!)), reason: m[3] ?? '' });
  });
  return switches;
}

/**
 * Which timeline holds each segment on the way to `targetTimeline`, given the switches listed in that timeline's
 * history file (empty for timeline 1). The segment holding a switch point is read from the NEW timeline, as
 * PostgreSQL does: the new timeline's copy holds the old WAL up to the switch and the new WAL after it.
 * A timeline whose whole life fits inside one segment gets no span.
 */
export function segmentTimelineSpans(
  targetTimeline: number,
  history: TimelineSwitch[],
  segmentSize: number,
): TimelineSpan[] {
  segmentsPerLog(segmentSize);
  if (!Number.isInteger(targetTimeline) || targetTimeline < 1) {
    throw new RangeError(`not a timeline: ${targetTimeline}`);
  }
  const spans: TimelineSpan[] = [];
  let fromIndex = 0;
  let previousLsn = 0;
  let previousTimeline = 0;
  for (const { parentTimeline, switchLsn } of history) {
    const lsn = parseLsn(switchLsn);
    if (parentTimeline <= previousTimeline || parentTimeline >= targetTimeline) {
      throw new Error(
        `timeline history of timeline ${targetTimeline} lists timeline ${parentTimeline} out of order; ` +
          `ancestors must increase and stay below ${targetTimeline}`,
      );
    }
    if (lsn < previousLsn) {
      throw new Error(
        `timeline history of timeline ${targetTimeline}: timeline ${parentTimeline} ends at ${switchLsn}, ` +
          `before its parent did`,
      );
    }
    const switchIndex = Math.floor(lsn / segmentSize);
    if (switchIndex > fromIndex) spans.push({ timeline: parentTimeline, fromIndex, toIndex: switchIndex - 1 });
    fromIndex = Math.max(fromIndex, switchIndex);
    previousLsn = lsn;
    previousTimeline = parentTimeline;
  }
  spans.push({ timeline: targetTimeline, fromIndex, toIndex: null });
  return spans;
}

/** The span covering segment position `index`, or undefined when none does. */
export function spanForIndex(spans: TimelineSpan[], index: number): TimelineSpan | undefined {
  return spans.find((s) => index >= s.fromIndex && (s.toIndex === null || index <= s.toIndex));
}
