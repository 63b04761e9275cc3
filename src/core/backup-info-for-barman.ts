// The backup.info handed to the worker's own Barman: the one barman-cloud wrote, made loadable by that
// Barman's version (docs/barman-pitr-facts.md §8).
// - Fields the local Barman does not know are left out: Barman 3.4 to 3.10 fail on the five fields
//   barman-cloud 3.11+ always writes, 3.4 to 3.13 on `encryption` (3.14+). The fields dropped describe
//   incremental, snapshot and encrypted backups, which the planner refuses before this point
//   (core/backup-kind), so nothing dropped changes what a plain tarball restore does.
// - `mode=None` (barman-cloud never sets it) becomes `mode=postgres`: Barman 3.14+ call
//   `mode.startswith()` and crash on None. `postgres` is what Barman records for a non-incremental
//   backup taken through a PostgreSQL connection; Barman 3.4 does not read the field.
import type { BarmanCapabilities } from './barman-version';

export interface RenderedBackupInfo {
  text: string;
  /** Fields left out because this Barman cannot load them. */
  dropped: string[];
}

export function backupInfoForBarman(original: string, capabilities: Pick<BarmanCapabilities, 'backupInfoFields'>): RenderedBackupInfo {
  const dropped: string[] = [];
  const lines: string[] = [];
  for (const line of original.split(/\r?\n/)) {
    const eq = line.indexOf('=');
    if (line.trim() === '' || eq < 0) continue;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (!capabilities.backupInfoFields.has(key)) {
      dropped.push(key);
    } else if (key === 'mode' && value === 'None') {
      lines.push('mode=postgres');
    } else {
      lines.push(line);
    }
  }
  return { text: `${lines.join('\n')}\n`, dropped };
}
