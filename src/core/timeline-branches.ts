// The archive's timeline histories, parsed: which timelines exist beside the backup's, and where each left its
// ancestors (src/core/timeline-path.ts decides what a restore follows; src/io/timeline-histories.ts reads them).
import type { TimelineSwitch } from './timeline-history';

/** A timeline's history file, parsed: its ancestors, each with the LSN where it ended. */
export interface TimelineHistoryOf {
  timeline: number;
  switches: TimelineSwitch[];
}
