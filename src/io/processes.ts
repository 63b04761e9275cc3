// Asking after and signalling processes the worker did not necessarily start itself (a postmaster named in
// postmaster.pid, the holder of an attempt fence, the process groups of commands a killed worker left).

/** Whether a process with this pid exists; EPERM means it does, under another user. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Sends `signal` to every process of the group `leader` leads; a group already gone is not an error. */
export function signalGroup(leader: number | undefined, signal: NodeJS.Signals): void {
  if (leader === undefined) return;
  try {
    process.kill(-leader, signal);
  } catch {
    // every process of the group has exited
  }
}

/** Whether any process of the group `leader` leads is left. */
export function groupAlive(leader: number): boolean {
  return processAlive(-leader);
}
