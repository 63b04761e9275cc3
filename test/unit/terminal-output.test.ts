// What the CLI prints of text that comes from the bucket (backup.info values, object names, failure messages
// quoting them) reaches the terminal without control characters: an escape sequence in a backup.info's
// status or error must not clear the screen, rewrite earlier lines or retitle the window.
import assert from 'node:assert/strict';
import { formatBackups } from '../../src/cli/backups';
import { formatPlan } from '../../src/cli/plan';
import { progressLine } from '../../src/cli/progress-line';
import { formatStatusLine } from '../../src/cli/restore-status';
import { parseBackupInfo } from '../../src/core/backup-info';
import { summariseBackup } from '../../src/core/backup-overview';
import type { ArchiveOverview } from '../../src/io/archive-overview';
import type { ReachableDryRun } from '../../src/io/restore-dry-run';

// ESC (CSI, OSC window title, BEL), a one-character C1 CSI, DEL, a bidi override and a newline that would forge a line.
const HOSTILE = 'x\u001b[2J\u001b]0;owned\u0007\u009b31m\u007f\u202eFORGED\nrestore completed';
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

function assertClean(lines: string[]): void {
  for (const line of lines) {
    assert.doesNotMatch(line, CONTROL, `a control character reaches the terminal: ${JSON.stringify(line)}`);
    assert.ok(!line.includes('\n'), `a field broke the line: ${JSON.stringify(line)}`);
  }
}

describe('terminal output of text from the bucket', () => {
  it('pitr backups: status, error and notes of a backup.info, and unusable backup.info notes', () => {
    const info = parseBackupInfo('20261124T220817', `status=FAILED${HOSTILE.replace('\n', '')}\nerror='${HOSTILE.replace('\n', '\\n')}'\nmode=rsync\u202e\n`);
    const overview: ArchiveOverview = {
      server: 'pg',
      bucket: 'b',
      prefix: '',
      backups: [summariseBackup(info, [])],
      unreadableBackups: [{ id: '20261125T010000', problem: `line 2 is not key=value: "\u009b2J"` }],
      timelines: [],
      historyFiles: [],
      unreadableHistoryFiles: [{ name: '00000002.history', problem: `timeline history line 1 is not "<parent timeline>...": "\u009b2J"` }],
      newestTimeline: 1,
    };
    const lines = formatBackups(overview);
    assertClean(lines);
    assert.ok(lines.some((l) => l.startsWith('20261124T220817 FAILEDx[2J]0;owned31mFORGED')), lines.join('\n'));
    assert.ok(lines.includes('20261125T010000 skipped: its backup.info cannot be used: line 2 is not key=value: "2J"'), lines.join('\n'));
    assert.ok(lines.includes('00000002.history skipped: timeline history line 1 is not "<parent timeline>...": "2J"'), lines.join('\n'));
  });

  it('pitr plan: the "not" lines of skipped backups', () => {
    const outcome = {
      reachable: true,
      plan: { backupId: '20261124T220817', backupEndTime: '2026-11-24T21:56:01.261324Z', timeline: 1, targetTimeline: 1, timelineSwitches: [], pgVersion: 15, backupReason: 'newest', beginWal: 'A', endWal: 'B', walSegments: 1, segmentSize: 16777216, historyFiles: 0, walBytes: 1, baseBytes: 1 },
      skipped: [{ backupId: '20261125T010000', why: `status ${HOSTILE}` }],
      tarObjects: 1,
      tarBytes: 1,
      baseSize: { bytes: 1, method: 'm', objects: [] },
      needs: { destination: { bytes: 1, parts: [] }, barmanHome: { bytes: 1, parts: [] } },
      space: {
        destination: { path: '/d', measuredAt: '/d', freeBytes: 1, fits: true },
        barmanHome: { path: '/h', measuredAt: '/h', freeBytes: 1, fits: true },
        sharedFilesystem: false,
        enough: true,
      },
      destinationState: 'absent',
      destinationProblem: null,
    } as unknown as ReachableDryRun;
    const lines = formatPlan({ server: 'pg', bucket: 'b', prefix: '', targetTime: '2026-11-24T22:00:00.000000Z', destination: '/d' }, outcome);
    assertClean(lines);
    assert.ok(lines.some((l) => /not +20261125T010000: status x\[2J\]0;owned31mFORGEDrestore completed$/.test(l)), lines.join('\n'));
  });

  it('pitr status and --follow: the current item and the last failure', () => {
    const progress = { phase: 'SyncBase' as const, bytesDone: 0, bytesTotal: 0, filesDone: 0, filesTotal: 0, current: HOSTILE };
    assertClean([
      formatStatusLine({ id: 'r', runId: 'x', status: 'RUNNING', phase: 'SyncBase', backupId: null, progress, attempt: 2, lastFailure: HOSTILE }),
      progressLine(progress, null, 0),
    ]);
  });
});
