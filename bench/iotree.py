#!/usr/bin/env python3
"""Run a command and measure its whole process tree: wall time and bytes written.

usage: iotree.py --json OUT [--orphan-timeout S] -- CMD [ARG...]

The process makes itself a child subreaper (prctl PR_SET_CHILD_SUBREAPER), so daemons the command
starts (a PostgreSQL server started with pg_ctl) are re-parented to it instead of to init. It reaps
every descendant; Linux adds a reaped child's I/O counters to its parent's, so this process's
/proc/self/io at the end holds the I/O of the whole tree (write_bytes: bytes dirtied in the page cache,
i.e. written to the filesystem, counted when written even if the file is deleted later;
cancelled_write_bytes: of those, bytes truncated or deleted before they reached the disk).

With --serve the command is a long-lived daemon (the benchmark's worker): this process stays its
parent and subreaper, forwards SIGTERM/SIGINT to it, and reaps what it starts; read its counters from
outside at /proc/<pid of iotree.py>/io (reaped descendants) plus /proc/<pid of the command>/io.
"""
import ctypes, errno, json, os, signal, sys, time

PR_SET_CHILD_SUBREAPER = 36


def read_io(pid="self"):
    out = {}
    with open("/proc/%s/io" % pid) as f:
        for line in f:
            k, v = line.split(":")
            out[k.strip()] = int(v)
    return out


def main(argv):
    out_file, orphan_timeout, serve = None, 120.0, False
    while argv and argv[0] != "--":
        a = argv.pop(0)
        if a == "--json":
            out_file = argv.pop(0)
        elif a == "--orphan-timeout":
            orphan_timeout = float(argv.pop(0))
        elif a == "--serve":
            serve = True
        else:
            sys.exit("iotree.py: unknown option %s" % a)
    if not argv or argv[0] != "--" or len(argv) < 2:
        sys.exit(__doc__)
    cmd = argv[1:]
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.exit("iotree.py: prctl(PR_SET_CHILD_SUBREAPER) failed: errno %d" % ctypes.get_errno())
    start_io = read_io()
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(cmd[0], cmd)
        except OSError as e:
            print("iotree.py: cannot run %s: %s" % (cmd[0], e), file=sys.stderr)
            os._exit(127)

    def forward(signum, _frame):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    rc, main_done, wall = None, None, None
    while True:
        try:
            if main_done is None:
                wpid, status = os.waitpid(-1, 0)
            else:
                # after the command: wait (bounded) for the daemons it left, e.g. a stopping postmaster
                wpid, status = os.waitpid(-1, os.WNOHANG)
                if wpid == 0:
                    if time.monotonic() - main_done > orphan_timeout:
                        print("iotree.py: descendants still running %.0f s after the command ended; not waiting for them" % orphan_timeout, file=sys.stderr)
                        break
                    time.sleep(0.05)
                    continue
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        if wpid == pid:
            rc = os.waitstatus_to_exitcode(status)
            wall = time.monotonic() - t0
            main_done = time.monotonic()
            if serve:
                # a daemon's end ends the service; orphans are left to finish on their own
                break
    end_io = read_io()
    result = {"rc": rc if rc is not None else -1, "wall_s": round(wall if wall is not None else time.monotonic() - t0, 3),
              "tree_wall_s": round(time.monotonic() - t0, 3)}
    for k in ("write_bytes", "cancelled_write_bytes", "read_bytes", "wchar", "rchar"):
        result[k] = end_io.get(k, 0) - start_io.get(k, 0)
    if out_file:
        with open(out_file + ".tmp", "w") as f:
            json.dump(result, f)
        os.replace(out_file + ".tmp", out_file)
    return result["rc"] if result["rc"] >= 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
