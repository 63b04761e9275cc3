// Text that comes from the bucket (backup.info values, history files, object names) is untrusted: whoever
// can write to the bucket chooses it. It is read with a size cap, quoted in messages as a short excerpt,
// and reaches a terminal without control characters, which could otherwise move the cursor, rewrite
// earlier lines or retitle the window (ECMA-48 escape and control sequences, C0 and C1), or reorder what
// is shown (Unicode bidirectional controls, as in CVE-2021-42574 "Trojan Source").
import { formatBytes } from './report-format';

/** Barman's backup.info files are 1-3 KiB (one line per field, one entry per tablespace); 1 MiB is far past any. */
export const MAX_BACKUP_INFO_BYTES = 1024 * 1024;

/**
 * A timeline history file holds one short line per earlier timeline switch (PostgreSQL's
 * writeTimeLineHistory: parent timeline, switch LSN, reason); 1 MiB is thousands of switches.
 */
export const MAX_HISTORY_FILE_BYTES = 1024 * 1024;

/** Characters of untrusted text a message quotes, escapes included. */
export const EXCERPT_CHARS = 60;

// C0 controls, DEL, C1 controls (U+009B is a one-character CSI on some terminals), the Arabic letter mark,
// the line and paragraph separators, and the bidirectional marks, embeddings, overrides and isolates.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const CONTROL_BUT_LINE_BREAKS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** One line of text for a terminal: every control character removed. */
export function terminalSafe(text: string): string {
  return text.replace(CONTROL, '');
}

/** A message for a terminal: every control character removed but newlines and tabs (ours separate lines). */
export function terminalSafeMessage(text: string): string {
  return text.replace(CONTROL_BUT_LINE_BREAKS, '');
}

// What JSON.stringify leaves raw inside strings: it escapes C0 controls itself, and the newlines and spaces
// outside strings are the layout of indented JSON.
const CONTROL_LEFT_BY_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * JSON text from JSON.stringify (which escapes only C0 controls) with every other control character escaped
 * as \uXXXX too: the same JSON value, safe to print.
 */
export function terminalSafeJson(json: string): string {
  return json.replace(CONTROL_LEFT_BY_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * At most `max` characters of untrusted text, in double quotes with every control character escaped
 * (JSON's escapes, and \uXXXX for the rest); "..." after the quote marks a cut.
 */
export function excerpt(text: string, max = EXCERPT_CHARS): string {
  let out = '';
  let cut = false;
  for (const char of text) {
    const escaped = terminalSafeJson(JSON.stringify(char).slice(1, -1));
    if (out.length + escaped.length > max) {
      cut = true;
      break;
    }
    out += escaped;
  }
  return `"${out}"${cut ? '...' : ''}`;
}

/** What is wrong with an untrusted text object of `size` bytes, or undefined when it is within `max`. */
export function oversizeProblem(size: number, max: number, what: string): string | undefined {
  if (size <= max) return undefined;
  return `it is ${formatBytes(size)}, more than the ${formatBytes(max)} ${what} can be, so it is not read`;
}
