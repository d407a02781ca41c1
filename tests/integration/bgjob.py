#!/usr/bin/env python3
"""bgjob: runs a program as a shell runs `program &`, for the tests.

usage: bgjob.py PROGRAM [ARGS...]

stdin must be this process's controlling terminal, with this process in its
foreground (chatlib's Server(tty=True) sets that up): bgjob is then the
interactive shell of that terminal. It starts PROGRAM in a process group of
its own, stdin the terminal, and keeps its own group in the terminal's
foreground, as a job-control shell does for a background job. On stderr it
says "bgjob: job PID in the background" (and when the job is stopped or
continued).

SIGTERM, SIGINT and SIGHUP are passed on to the job; SIGUSR1 brings the job
to the foreground of the terminal (as `fg` does), SIGUSR2 takes it back to
the background. bgjob exits with the job's exit status (128 + N when signal N
ended it). If bgjob dies, the kernel kills the job (PR_SET_PDEATHSIG)."""

import ctypes
import os
import signal
import sys


def _die_with_parent():
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def main(argv):
    if len(argv) < 2:
        sys.exit("usage: bgjob.py PROGRAM [ARGS...]")
    if os.tcgetpgrp(0) != os.getpgrp():
        sys.exit("bgjob: stdin is not a terminal with this process in its foreground")
    # Moving the foreground back from the job is done from the background.
    signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    pid = os.fork()
    if pid == 0:
        try:
            os.setpgid(0, 0)
            _die_with_parent()
            signal.signal(signal.SIGTTOU, signal.SIG_DFL)
            os.execvp(argv[1], argv[1:])
        finally:
            os._exit(127)
    try:
        os.setpgid(pid, pid)  # both sides, as shells do: whichever runs first
    except OSError:
        pass  # the child did it and exec'd already

    def forward(sig, _frame):
        os.kill(pid, sig)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, forward)
    signal.signal(signal.SIGUSR1, lambda s, f: os.tcsetpgrp(0, pid))
    signal.signal(signal.SIGUSR2, lambda s, f: os.tcsetpgrp(0, os.getpgrp()))
    print(f"bgjob: job {pid} in the background", file=sys.stderr, flush=True)
    while True:
        _, status = os.waitpid(pid, os.WUNTRACED | os.WCONTINUED)
        if os.WIFSTOPPED(status):
            print(f"bgjob: job {pid} stopped by signal {os.WSTOPSIG(status)}", file=sys.stderr,
                  flush=True)
        elif os.WIFCONTINUED(status):
            print(f"bgjob: job {pid} continued", file=sys.stderr, flush=True)
        else:
            code = os.waitstatus_to_exitcode(status)
            return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
