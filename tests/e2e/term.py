"""term: checks on the state a program leaves the terminal in, and on what
reached the screen (titles, SGR attributes, control characters)."""

import os
import re
import shlex

import harness as h

_ROWS_COLS = re.compile(r"rows \d+; columns \d+;")

# The wrapper records the tty settings before and after the program, and the
# program's exit status. `trap : INT TERM HUP` keeps the shell alive when the
# signal meant for the program reaches the whole foreground process group;
# the trap is reset to the default in the program itself by exec.
_WRAP = ('trap : INT TERM HUP; stty -a > "$E2E_DIR/before"; '
         '[ -z "$E2E_GATE" ] || read _gate; "$@"; '
         'echo $? > "$E2E_DIR/status"; stty -a > "$E2E_DIR/after"; '
         ': > "$E2E_DIR/done"; echo E2E-DONE; exec cat -v')

_n = [0]


def run_checked(tm, argv, width=80, height=24, env=None, record=False):
    """Runs argv in a new pane under the wrapper; returns (pane, dir).
    With record, every byte the program writes is logged (Pane.record):
    the wrapper waits for a line on the tty until the log is set up."""
    _n[0] += 1
    d = os.path.join(tm.dir, "tty%d" % _n[0])
    os.mkdir(d)
    env = dict(env or {})
    env["E2E_DIR"] = d
    if record:
        env["E2E_GATE"] = "1"
    cmd = "sh -c %s sh %s" % (shlex.quote(_WRAP), " ".join(shlex.quote(a) for a in argv))
    p = tm.pane(cmd, width, height, env=env)
    if record:
        p.record()
        h.poll_until("the wrapper to record the tty settings",
                     lambda: os.path.exists(os.path.join(d, "before")), 10, p.describe)
        p.keys("Enter")
    return p, d


def program_pid(p, timeout=5):
    """The PID of the program under the wrapper shell (its only child)."""
    sh = int(p.fmt("#{pane_pid}"))

    def child():
        # /proc/PID/task/PID/children is not in every kernel; scan instead.
        for e in os.listdir("/proc"):
            if not e.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % e) as f:
                    st = f.read()
            except OSError:
                continue
            # the comm field may hold spaces and parens: parse after the last ')'
            fields = st[st.rindex(")") + 2:].split()
            if int(fields[1]) == sh:
                return int(e)
        return None
    return h.poll_until("the program under pid %d" % sh, child, timeout)


def wait_result(p, d, timeout=10):
    """Waits for the program to end; returns a dict: status (int), before,
    after (stty -a without the size), changed (bool)."""
    h.poll_until("the wrapped program to finish",
                 lambda: os.path.exists(os.path.join(d, "done")), timeout, p.describe)

    def rd(n):
        with open(os.path.join(d, n)) as f:
            return f.read()
    before = _ROWS_COLS.sub("", rd("before"))
    after = _ROWS_COLS.sub("", rd("after"))
    return {"status": int(rd("status").strip() or -1), "before": before, "after": after,
            "changed": before.split() != after.split()}


def modes(p):
    """Terminal modes tmux tracks for the pane, as a dict of '0'/'1'."""
    names = ["alternate_on", "cursor_flag", "insert_flag", "keypad_cursor_flag",
             "mouse_any_flag", "mouse_button_flag", "mouse_all_flag", "mouse_standard_flag",
             "origin_flag", "wrap_flag"]
    vals = p.fmt("|".join("#{%s}" % n for n in names)).split("|")
    return dict(zip(names, vals))


def check_restored(p, d, timeout=10, statuses=None):
    """After the program ended: the tty settings equal those before it, the
    screen is back from the alternate screen, the mouse is off, the cursor
    shows, and typed text echoes in canonical mode (cat -v runs after).
    Returns the result dict."""
    r = wait_result(p, d, timeout)
    h.check(not r["changed"], "terminal settings not restored:\nbefore: %s\nafter:  %s"
            % (r["before"], r["after"]), p.describe)
    m = modes(p)
    bad = {k: v for k, v in m.items()
           if (k in ("cursor_flag", "wrap_flag") and v != "1")
           or (k not in ("cursor_flag", "wrap_flag") and v != "0")}
    h.check(not bad, "terminal modes left behind: %r" % bad, p.describe)
    if statuses is not None:
        h.check(r["status"] in statuses, "exit status %d, want one of %r" % (r["status"], statuses),
                p.describe)
    # Canonical mode and echo, visibly: the line is echoed as typed and
    # only then printed again by cat -v.
    p.wait(r"^E2E-DONE")
    p.line("echo-check")
    p.wait(r"^echo-check\necho-check$")
    return r


def title(p):
    return p.fmt("#{pane_title}")


_SGR = re.compile(r"\x1b\[([0-9;:]*)m")


def sgr_attrs(screen_escaped):
    """The set of SGR attribute codes (as strings) used anywhere in a
    capture-pane -e screen; colour arguments of 38/48/58 are skipped."""
    out = set()
    for m in _SGR.finditer(screen_escaped):
        ps = [x for x in re.split(r"[;:]", m.group(1))] or ["0"]
        i = 0
        while i < len(ps):
            p = ps[i] or "0"
            if p in ("38", "48", "58"):
                out.add(p)
                if i + 1 < len(ps) and ps[i + 1] == "5":
                    i += 3
                    continue
                if i + 1 < len(ps) and ps[i + 1] == "2":
                    i += 5
                    continue
            out.add(p)
            i += 1
    return out


def has_sgr(screen_escaped, code):
    return str(code) in sgr_attrs(screen_escaped)


# Control characters that must never show up raw in a captured screen: C0
# (but tab), DEL, C1. tmux itself would have eaten real sequences, so raw
# ones mean the program printed bytes tmux did not understand.
CONTROL_RX = re.compile("[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]")


def width(s):
    """Columns s takes on a terminal (East Asian wide = 2, combining = 0)."""
    import unicodedata
    n = 0
    for ch in s:
        if unicodedata.category(ch) in ("Mn", "Me", "Cf") or ch == "\u200b":
            continue
        n += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return n


# Byte strings of the hostile tests' payloads that must never reach the
# terminal as written: a title, blink, the clipboard, cursor and window
# reports, a terminal reset, a DCS. (The client's own drawing uses none.)
FORBIDDEN = [b"\x1b]2;PWNED", b"\x1b]0;PWNED", b"\x1b]52;", b"\x1b[5m", b"\x1b[6n",
             b"\x1b[21t", b"\x1bc", b"\x1bP"]


def check_output_clean(p):
    """No payload from the network appears in what the program wrote, and
    no C1 control character (U+0080-U+009F, which a UTF-8 terminal may obey
    as CSI, OSC ...)."""
    raw = p.recorded()
    h.check(raw, "nothing was recorded from %s" % p.name)
    found = [f for f in FORBIDDEN if f in raw]
    c1 = sorted({"U+%04X" % ord(c) for c in raw.decode("utf-8", "replace")
                 if 0x80 <= ord(c) <= 0x9f})
    h.check(not found and not c1, "%s wrote received control sequences to the terminal: %r %r"
            % (p.name, found, c1))
