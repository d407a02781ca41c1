#!/usr/bin/env python3
"""Checks the e2e harness itself with trivial programs (cat, sh, python),
so a failing client test is never a broken harness in disguise."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import term  # noqa: E402

PY = sys.executable


def t_echo(opts):
    tm = h.Tmux()
    p = tm.pane(["cat"], 60, 12)
    p.line("héllo 日本 👍 done")
    # typed once by the tty echo, once by cat
    p.wait(r"(héllo 日本 👍 done\n){2}")
    p.keys("C-d")
    p.wait_dead()


def t_resize(opts):
    tm = h.Tmux()
    code = ("import os,signal,sys\n"
            "def show(*a):\n"
            "    c,r=os.get_terminal_size(0); print('size=%dx%d'%(c,r),flush=True)\n"
            "signal.signal(signal.SIGWINCH, show); show()\n"
            "sys.stdin.readline()\n")
    p = tm.pane([PY, "-c", code], 80, 24)
    p.wait(r"size=80x24")
    p.resize(40, 10)
    p.wait_size(40, 10)
    p.wait(r"size=40x10")
    p.resize(80, 24)
    p.wait(r"size=80x24$(?![\s\S]*size=40x10)")
    p.keys("Enter")
    p.wait_dead()


def t_tty_state(opts):
    """term.run_checked records the tty settings before and after a program:
    a program that leaves raw mode must be caught, one that restores must
    pass."""
    tm = h.Tmux()
    bad = [PY, "-c", "import tty,sys; tty.setraw(0); print('RAW', flush=True); sys.stdin.read(1)"]
    p, files = term.run_checked(tm, bad, 60, 12)
    p.wait(r"RAW")
    p.type("x")
    diff = term.wait_result(p, files)
    h.check(diff["changed"], "raw mode left behind was not detected: %r" % diff)
    h.check("-icanon" in diff["after"] and "-echo" in diff["after"], "after: %s" % diff["after"])

    good = [PY, "-c",
            "import termios,tty,sys\n"
            "old=termios.tcgetattr(0); tty.setraw(0)\n"
            "print('RAW', flush=True)\n"
            "try:\n  sys.stdin.read(1)\n"
            "finally:\n  termios.tcsetattr(0, termios.TCSANOW, old)\n"]
    p, files = term.run_checked(tm, good, 60, 12)
    p.wait(r"RAW")
    p.type("x")
    diff = term.wait_result(p, files)
    h.check(not diff["changed"], "restored tty reported as changed: %r" % diff)


def t_ctrl_c(opts):
    """Ctrl-C reaches the program; the shell around it survives to record
    the tty state and the exit status."""
    tm = h.Tmux()
    prog = [PY, "-c", "import sys; print('READY', flush=True); sys.stdin.read()"]
    p, files = term.run_checked(tm, prog, 60, 12)
    p.wait(r"READY")
    p.keys("C-c")
    diff = term.wait_result(p, files)
    h.check(diff["status"] == 130, "exit status %r (want 130 for SIGINT)" % diff["status"])
    h.check(not diff["changed"], "tty changed: %r" % diff)


def t_escapes(opts):
    """The pane checks used by the hostile-input tests see what they should:
    a title change, an SGR attribute, the alternate screen."""
    tm = h.Tmux()
    code = ("import sys\n"
            "sys.stdout.write('\\x1b]2;PWNED\\x07\\x1b[5mBLINK\\x1b[0m plain\\n'); sys.stdout.flush()\n"
            "sys.stdin.readline()\n")
    p = tm.pane([PY, "-c", code], 60, 12)
    p.wait(r"BLINK plain")
    h.check(term.title(p) == "PWNED", "title not seen: %r" % term.title(p))
    h.check(term.has_sgr(p.screen(escapes=True), "5"), "blink not seen: %r" % p.screen(escapes=True))
    p.keys("Enter")
    p.wait_dead()


def t_record(opts):
    """Pane.record sees the raw bytes a program writes, so
    term.check_output_clean catches a payload passed through, and a C1
    control written as UTF-8."""
    tm = h.Tmux()
    for payload, bad in ((r"safe \342\234\223 text", False), (r"x\033]2;PWNED\007y", True),
                         (r"x\302\233y", True)):
        p, d = term.run_checked(tm, ["sh", "-c", "printf '%s'; printf ' END\\n'" % payload],
                                40, 10, record=True)
        term.wait_result(p, d)
        h.poll_until("the recorded END", lambda: b"END" in p.recorded(), 5, p.describe)
        try:
            term.check_output_clean(p)
            caught = False
        except h.Failure:
            caught = True
        h.check(caught == bad, "payload %r: caught=%r" % (payload, caught))


def t_port(opts):
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    h.wait_port(s.getsockname()[1], timeout=2)
    s.close()


TESTS = {"echo": t_echo, "resize": t_resize, "tty_state": t_tty_state,
         "ctrl_c": t_ctrl_c, "escapes": t_escapes, "port": t_port, "record": t_record}

if __name__ == "__main__":
    sys.exit(h.main(TESTS))
