#!/usr/bin/env python3
"""End-to-end tests of sockchat-admin (issue 13): the real dashboard in a
tmux pseudo-terminal, attached to the real sockchat-server's admin socket,
with real clients of the three dialects (framed, plain as nc, the
tutorial's raw client) on 127.0.0.1.

Each test gives the server and the dashboard the same private
XDG_RUNTIME_DIR (the test's temp dir), so `sockchat-admin PORT` finds the
socket by the default rule, as a teacher would.

Run one case: admin_test.py CASE --admin PATH --server PATH [--client PATH]
"""

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import term  # noqa: E402

# What the dashboard shows (admin/bar.c, admin/evlog.c, admin/roster.c).
ST_ATTACHED = r"^\s*attached \| "
ST_GONE = r"^\s*SERVER GONE"
HEADER = r"^nick\*?\s+address"


class Opts:
    pass


def admin_bin(opts):
    return h.need(opts.admin, "sockchat-admin")


def start_server(opts, tm, port=0):
    """The real server on 127.0.0.1, its admin socket under tm.dir."""
    os.environ["XDG_RUNTIME_DIR"] = tm.dir
    return h.Server(h.need(opts.server, "sockchat-server"), port, ["--bind", "127.0.0.1"])


def dashboard(tm, opts, port, w=100, ht=30, env=None, name="admin"):
    e = {"XDG_RUNTIME_DIR": tm.dir}
    e.update(env or {})
    p = tm.pane([admin_bin(opts), str(port)], w, ht, env=e, name=name)
    p.wait_row(-2, ST_ATTACHED)
    return p


class Plain:
    """An nc-like client: lines with LF; its first line joins the room."""

    def __init__(self, port, first):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        h._cleanups.append(self.close)
        self.sock.sendall(first.encode() + b"\n")
        self.buf = b""
        self.read_until(b"Message received")

    def read_until(self, what, timeout=10):
        end = time.monotonic() + timeout
        while what not in self.buf:
            left = end - time.monotonic()
            if left <= 0:
                raise h.Failure("plain client: no %r in %r" % (what, self.buf[-300:]))
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not data:
                raise h.Failure("plain client: closed waiting for %r; got %r" % (what, self.buf[-300:]))
            self.buf += data

    def wait_closed(self, timeout=10):
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise h.Failure("plain client: still connected; got %r" % self.buf[-300:])
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except ConnectionResetError:
                return
            if not data:
                return
            self.buf += data

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Tutorial(Plain):
    """The tutorial's client.py: a message without LF, one recv(1024)."""

    def __init__(self, port, text):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        h._cleanups.append(self.close)
        self.buf = b""
        self.sock.sendall(text.encode())
        self.read_until(b"Message received")


def class_of_three(opts, tm, srv):
    """alice (framed), a plain guest, a tutorial guest; returns them once
    the server counts three in the room."""
    alice = h.FramedClient(srv.port, "alice")
    plain = Plain(srv.port, "hello from nc")
    tut = Tutorial(srv.port, "hello from the tutorial")
    return alice, plain, tut


def roster_row(p, pattern, timeout=10):
    """Waits for a roster row (nick ... address ... dialect) to show."""
    return p.wait(pattern, timeout)


def check_width(p):
    w, _ = p.size()
    for r in p.rows():
        h.check(term.width(r.rstrip()) <= w, "row wider than %d: %r" % (w, r), p.describe)


# --------------------------------------------------------------------------

def t_three(opts):
    """Three clients of the three dialects show in the roster with their
    dialects; a chat line shows in the log pane within a second."""
    tm = h.Tmux()
    srv = start_server(opts, tm)
    p = dashboard(tm, opts, srv.port)
    alice, plain, tut = class_of_three(opts, tm, srv)
    roster_row(p, r"^alice\s+127\.0\.0\.1:\d+\s+sockchat\s+joined\s+t\d+")
    roster_row(p, r"^guest\d+\s+127\.0\.0\.1:\d+\s+plain\s+joined")
    roster_row(p, r"^guest\d+\s+127\.0\.0\.1:\d+\s+tutorial\s+joined")
    p.wait_row(-2, r"\| 3 clients \|")
    # Joins and the plain/tutorial first lines reached the log.
    p.wait(r"^\d\d:\d\d:\d\d join\s+alice joined")
    p.wait(r"^\d\d:\d\d:\d\d chat\s+guest\d+ says: hello from nc")
    t0 = time.monotonic()
    alice.msg("a line for the teacher")
    p.wait(r"^\d\d:\d\d:\d\d chat\s+alice says: a line for the teacher", timeout=1.0)
    print("chat line on the dashboard after %.0f ms" % ((time.monotonic() - t0) * 1000))
    check_width(p)
    # A second dashboard at the same time sees the same class.
    p2 = dashboard(tm, opts, srv.port, 80, 24, name="admin2")
    p2.wait(r"^guest\d+\s+127\.0\.0\.1:\d+\s+tutorial\s")
    alice.msg("both see this")
    p.wait(r"alice says: both see this")
    p2.wait(r"alice says: both see this")


def t_kick(opts):
    """The kick key on the selected row, with its question, and the typed
    `kick NICK`, each remove the student; both commands show in the log."""
    tm = h.Tmux()
    srv = start_server(opts, tm)
    p = dashboard(tm, opts, srv.port)
    alice, plain, tut = class_of_three(opts, tm, srv)
    roster_row(p, r"^guest\d+\s+127\.0\.0\.1:\d+\s+plain\s")
    roster_row(p, r"^alice\s")
    # Sorted by nick: alice is the first row. Down selects it.
    p.keys("Down")
    p.keys("F8")
    p.wait_row(-1, r"^kick alice \(127\.0\.0\.1:\d+\)\? y/n")
    p.keys("n")  # a no does nothing
    p.wait(r"^\d\d:\d\d:\d\d --\s+not done")
    h.check(re.search(r"^alice\s", p.screen(), re.M), "alice gone after a no", p.describe)
    p.keys("F8")
    p.wait_row(-1, r"^kick alice")
    p.keys("y")
    p.wait(r"^\d\d:\d\d:\d\d >\s+kick alice$")
    p.wait(r"^\d\d:\d\d:\d\d ok\s+kicked alice")
    alice.wait(r"kicked", timeout=10)
    p.wait_gone(r"^alice\s+127")
    # The typed command, for the plain guest.
    nick = re.search(r"^(guest\d+)\s+127\.0\.0\.1:\d+\s+plain\s", p.screen(), re.M).group(1)
    p.type("kick %s" % nick[:-1])
    p.keys("Tab")  # completes the nick where kick takes one
    p.wait_row(-1, r"^admin> kick %s\s*$" % nick)
    p.keys("Enter")
    p.wait(r"^\d\d:\d\d:\d\d >\s+kick %s\s*$" % nick)
    plain.wait_closed()
    p.wait_gone(r"^%s\s+127" % nick)
    p.wait(r"^\d\d:\d\d:\d\d leave\s+%s " % nick)
    rows = p.settled_rows()
    h.check(rows[4].startswith("-- events"), "the rule not below 3 roster rows", p.describe)
    # The tutorial guest is still there: mute it with Alt-m.
    roster_row(p, r"^guest\d+\s+127\.0\.0\.1:\d+\s+tutorial\s+joined")
    p.keys("Down")
    p.keys("M-m")
    p.wait_row(-1, r"^mute guest\d+ \(127\.0\.0\.1:\d+\)\? y/n")
    p.keys("y")
    p.wait(r"^\d\d:\d\d:\d\d >\s+mute guest\d+$")
    roster_row(p, r"^guest\d+\s+127\.0\.0\.1:\d+\s+tutorial\s+muted")


def t_resize(opts):
    """100x30 shows every column; 80x24 drops the byte counters but keeps
    nick, address, dialect, worker; no row is wider than the pane; back to
    100x30 the columns come back."""
    tm = h.Tmux()
    srv = start_server(opts, tm)
    p = dashboard(tm, opts, srv.port, 100, 30)
    class_of_three(opts, tm, srv)
    p.wait(r"^nick\*\s+address\s+dialect\s+state\s+worker\s+in\s+out\s+b\.in\s+b\.out\s+queue\s+idle")
    roster_row(p, r"^alice\s")
    p.keys("F1")
    p.wait(r"keys: F8 \(or Alt-k\) kicks the selected one")
    p.resize(80, 24)
    p.wait_size(80, 24)
    p.wait(r"^nick\*\s+address\s+dialect\s+state\s+worker\s+in\s+out\s+queue\s+idle\s*$")
    h.check("b.in" not in p.screen(), "b.in at 80 columns", p.describe)
    p.wait(r"^alice\s+127\.0\.0\.1:\d+\s+sockchat\s")
    p.wait_row(-2, ST_ATTACHED)
    check_width(p)
    p.resize(100, 30)
    p.wait_size(100, 30)
    p.wait(r"b\.in\s+b\.out")
    p.wait(r"^guest\d+\s+127\.0\.0\.1:\d+\s+tutorial\s")
    p.wait_row(-2, r"\| 3 clients \|")
    check_width(p)


def t_detach(opts):
    """q on an empty line and Ctrl-C detach with status 0 and a restored
    terminal; the server keeps serving: two clients still chat."""
    tm = h.Tmux()
    srv = start_server(opts, tm)
    env = {"XDG_RUNTIME_DIR": tm.dir}
    for how in ("q", "C-c"):
        p, d = term.run_checked(tm, [admin_bin(opts), str(srv.port)], 80, 24, env=env)
        p.wait_row(-2, ST_ATTACHED)
        p.keys(how)
        r = term.check_restored(p, d, statuses=[0])
        h.check(r["status"] == 0, "status %d" % r["status"], p.describe)
    h.check(srv.proc.poll() is None, "the server ended after the detach:\n" + srv.log())
    a = h.FramedClient(srv.port, "ann")
    b = h.FramedClient(srv.port, "ben")
    a.msg("still here")
    b.wait(r"^CHAT \d+ ann still here$")
    # A q typed in a command is just a letter.
    p = dashboard(tm, opts, srv.port, name="admin2")
    p.type("who q")
    p.wait_row(-1, r"^admin> who q$")
    h.check(p.dead() is None, "q inside a line detached", p.describe)


def t_background(opts):
    """A server started with `&` under an interactive bash in tmux: the
    dashboard attaches to it by port, shows a client, and controls it (a
    notice from `say` reaches the client); the shell stays usable."""
    binary = h.need(opts.server, "sockchat-server")
    tm = h.Tmux()
    env = {"XDG_RUNTIME_DIR": tm.dir}
    sh = tm.pane(["bash", "--norc", "--noprofile", "-i"], 100, 30, name="shell", env=env)
    sh.line("PS1='sh> '")
    sh.wait(r"^sh>\s*$")
    out, err = os.path.join(tm.dir, "server.out"), os.path.join(tm.dir, "server.err")
    sh.line("%s --bind 127.0.0.1 --port 0 >%s 2>%s & echo pid=$!"
            % (shlex.quote(binary), shlex.quote(out), shlex.quote(err)))
    pid = int(sh.wait(r"^pid=(\d+)").group(1))
    h._cleanups.append(lambda: _alive(pid) and os.kill(pid, signal.SIGKILL))

    def listening():
        with open(out) as f:
            return re.search(r"listening on 127\.0\.0\.1:(\d+)", f.read())
    port = int(h.poll_until("the server's listening line", listening, 10).group(1))
    p = dashboard(tm, opts, port)
    bob = h.FramedClient(port, "bob")
    roster_row(p, r"^bob\s+127\.0\.0\.1:\d+\s+sockchat\s")
    p.line("say class starts now")
    p.wait(r"^\d\d:\d\d:\d\d ok\s")
    bob.wait(r"class starts now")
    p.keys("C-p")  # the history (Up and Down select rows)
    p.wait_row(-1, r"^admin> say class starts now$")
    p.keys("C-u")
    p.wait_row(-1, r"^admin>\s*$")
    # A pipe into it at a terminal is a script: line mode, then the exit.
    sh.line("echo who | %s %d; echo rc=$?" % (shlex.quote(admin_bin(opts)), port))
    sh.wait(r"^OUT\s+bob\s+#main\s+127\.0\.0\.1:\d+")
    sh.wait(r"^OK\s*\nrc=0\s*$")
    p.keys("q")
    p.wait_dead()
    h.check(_alive(pid), "the background server ended with the dashboard")
    sh.line("kill %d; wait %d; echo status=$?" % (pid, pid))
    sh.wait(r"^status=0\s*$")


def _alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def t_plain(opts):
    """`echo who | sockchat-admin --plain PORT` prints the answer and exits
    0; with no server there, a clear error and 69; commands in order, each
    answered before the exit, and 1 when one of them was refused."""
    tm = h.Tmux()  # for its private temp dir
    srv = start_server(opts, tm)
    h.FramedClient(srv.port, "alice")
    env = dict(os.environ, XDG_RUNTIME_DIR=tm.dir)
    r = subprocess.run("echo who | %s --plain %d" % (shlex.quote(admin_bin(opts)), srv.port),
                       shell=True, env=env, capture_output=True, text=True, timeout=20)
    h.check(r.returncode == 0, "status %d, stderr %r" % (r.returncode, r.stderr))
    lines = r.stdout.splitlines()
    h.check(any(re.match(r"^OUT\s+alice\s+#main\s+127\.0\.0\.1:\d+", l) for l in lines),
            "no who answer in %r" % lines)
    h.check(lines[-1] == "OK", "last line %r, want OK: %r" % (lines[-1], lines))
    # Several commands, an error among them: every answer, in order.
    r = subprocess.run([admin_bin(opts), "--plain", str(srv.port)],
                       input="stats\nkick nobody-here\nroster\n", env=env,
                       capture_output=True, text=True, timeout=20)
    # An ERR among them: a script must be able to tell (exit 1).
    h.check(r.returncode == 1, "status %d with an ERR, want 1; stderr %r"
            % (r.returncode, r.stderr))
    closes = [l.split()[0] for l in r.stdout.splitlines() if re.match(r"^(OK|ERR)\b", l)]
    h.check(closes == ["OK", "ERR", "OK"], "answers %r in %r" % (closes, r.stdout))
    h.check(re.search(r"^ROSTER 1 1$\n^ROW id=\d+ nick=alice ", r.stdout, re.M),
            "no roster block in %r" % r.stdout)
    # No server on that port.
    port = h.free_port()
    r = subprocess.run([admin_bin(opts), "--plain", str(port)], input="who\n", env=env,
                       capture_output=True, text=True, timeout=20)
    h.check(r.returncode == 69, "status %d for no server, want 69" % r.returncode)
    want = ("sockchat-admin: no server on port %d (no socket at %s/sockchat/%d.sock): is "
            "sockchat-server running? start it, or give --socket\n" % (port, tm.dir, port))
    h.check(r.stderr == want, "stderr %r, want %r" % (r.stderr, want))
    h.check(r.stdout == "", "stdout %r" % r.stdout)


def t_errors(opts):
    """What cannot be attached to is said, with its exit code: a socket
    that is not a sockchat admin socket (76), another user's socket (77,
    tried as nobody when the test runs as root), a bad port (64)."""
    tm = h.Tmux()  # for its private temp dir
    path = os.path.join(tm.dir, "foreign.sock")
    lsn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lsn.bind(path)
    lsn.listen(1)
    h._cleanups.append(lsn.close)
    proc = subprocess.Popen([admin_bin(opts), "--socket", path, "--plain"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    h._cleanups.append(lambda: proc.poll() is None and proc.kill())
    lsn.settimeout(10)
    conn, _ = lsn.accept()
    conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")  # another program's banner
    out, err = proc.communicate(timeout=20)
    conn.close()
    h.check(proc.returncode == 76, "status %d for a foreign socket, want 76" % proc.returncode)
    h.check(err == "sockchat-admin: %s: not a sockchat admin socket (expected SOCKCHAT-ADMIN 1, "
            "got \"SSH-2.0-OpenSSH_9.6\")\n" % path, "stderr %r" % err)
    for argv, said in ((["0"], "bad port: 0 (1-65535)"), (["--socket"], "--socket needs a PATH"),
                       (["5000", "--socket", path], "give a PORT or --socket PATH, not both")):
        r = subprocess.run([admin_bin(opts)] + argv, capture_output=True, text=True, timeout=20)
        h.check(r.returncode == 64 and r.stderr == "sockchat-admin: %s\n" % said,
                "%r: %d %r" % (argv, r.returncode, r.stderr))
    if os.geteuid() != 0:
        return
    srv = start_server(opts, tm)
    sock = os.path.join(tm.dir, "sockchat", "%d.sock" % srv.port)
    h.poll_until("the admin socket", lambda: os.path.exists(sock), 10)
    # nobody cannot reach root's 0700 directory: the kernel says EACCES.
    r = subprocess.run([admin_bin(opts), "--socket", sock, "--plain"], input="who\n",
                       capture_output=True, text=True, timeout=20, user=65534, group=65534,
                       extra_groups=[])
    h.check(r.returncode == 77, "status %d as nobody, want 77: %r" % (r.returncode, r.stderr))
    h.check(r.stderr.startswith("sockchat-admin: permission denied on %s: the server runs as "
                                "another user" % sock), "stderr %r" % r.stderr)


def t_gone(opts):
    """The server stops: the dashboard says so, keeps its screen, and comes
    back by itself when the server starts again on the same port."""
    tm = h.Tmux()
    srv = start_server(opts, tm)
    port = srv.port
    p = dashboard(tm, opts, port)
    h.FramedClient(port, "alice")
    roster_row(p, r"^alice\s")
    srv.stop()
    p.wait_row(-2, ST_GONE)
    p.wait(r"^\(no server\)$", flags=re.M)  # the roster empties, says why
    p.wait(r"^\d\d:\d\d:\d\d --\s+server gone \(shutting down\)")
    p.wait(r"join\s+alice joined")  # the log is kept
    srv2 = start_server(opts, tm, port)
    p.wait_row(-2, ST_ATTACHED, timeout=10)
    h.FramedClient(srv2.port, "zoe")
    roster_row(p, r"^zoe\s")


def t_no_color(opts):
    """NO_COLOR: no colour at all, and the kinds still differ by their tag;
    the selected row still shows (reverse video)."""
    tm = h.Tmux()
    srv = start_server(opts, tm)
    p = dashboard(tm, opts, srv.port, env={"NO_COLOR": "1"})
    alice = h.FramedClient(srv.port, "alice")
    alice.msg("hi")
    p.wait(r"chat\s+alice says: hi")
    p.keys("Down")
    screen = p.screen(escapes=True)
    colours = {c for c in term.sgr_attrs(screen)
               if re.match(r"^(3\d|4\d|9\d|10\d)$", c) and c not in ("39", "49")}
    h.check(not colours, "colour codes %r under NO_COLOR" % colours, p.describe)
    p.wait(r"^\d\d:\d\d:\d\d join\s+alice joined")
    h.poll_until("the selected row in reverse video",
                 lambda: term.has_sgr(p.screen(escapes=True), 7), 5, p.describe)


def t_demo(opts):
    """scripts/demo inside tmux opens the dashboard in a second pane,
    attached to the demo's server and showing the demo's client; quitting
    the client closes that pane and the demo exits 0. The demo runs as a
    copy in a scratch tree whose deps.sh and cmake only record their calls
    (tests/integration/test_demo.py does the same) and whose build/bin holds
    the programs under test."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    tm = h.Tmux()
    top = os.path.join(tm.dir, "demo")
    for d in ("scripts", "build/bin", "path"):
        os.makedirs(os.path.join(top, d))
    with open(os.path.join(root, "scripts", "demo")) as f:
        demo = f.read()
    recorder = '#!/bin/sh\necho "$0 $*" >> "%s/calls"\n' % top
    for path, text in (("scripts/demo", demo), ("scripts/deps.sh", recorder), ("path/cmake", recorder)):
        with open(os.path.join(top, path), "w") as f:
            f.write(text)
        os.chmod(os.path.join(top, path), 0o755)
    for name, binary in (("sockchat", opts.client), ("sockchat-server", opts.server),
                         ("sockchat-admin", opts.admin)):
        os.symlink(os.path.abspath(h.need(binary, name)), os.path.join(top, "build", "bin", name))
    port = h.free_port()
    env = {"PORT": str(port), "XDG_RUNTIME_DIR": tm.dir, "TMPDIR": tm.dir}
    # tmux gives a new pane its own PATH, whatever -e says: set it inside.
    path = "PATH=" + os.path.join(top, "path") + os.pathsep + os.environ.get("PATH", "")
    p, d = term.run_checked(tm, ["env", path, os.path.join(top, "scripts", "demo"),
                                 "--nick", "teacher"], 100, 50, env=env)
    p.wait(r"^\s*connected \| 127\.0\.0\.1:%d \| teacher" % port, timeout=20)
    panes = lambda: tm.run("list-panes", "-t", p.name, "-F", "#{pane_id}").split()
    h.poll_until("the dashboard's pane", lambda: len(panes()) == 2, 10, p.describe)
    dash = h.Pane(tm, p.name)
    dash.target = panes()[1]
    dash.wait(r"^teacher\s+127\.0\.0\.1:\d+\s+sockchat\s+joined")
    dash.wait(r"attached \| threads \| ")
    p.line("/quit")
    r = term.wait_result(p, d, timeout=20)
    h.check(r["status"] == 0, "the demo exited %d" % r["status"], p.describe)
    h.poll_until("the dashboard's pane to close with the demo", lambda: len(panes()) == 1, 10,
                 p.describe)


def t_shared_tty(opts):
    """A server started with `&` in the shell the dashboard is then started
    in: its log goes to the same terminal, and its lines land on the
    dashboard. The dashboard says so and paints over them: the server's
    own line for a chat is gone from the screen, the dashboard's stays."""
    binary = h.need(opts.server, "sockchat-server")
    tm = h.Tmux()
    env = {"XDG_RUNTIME_DIR": tm.dir}
    sh = tm.pane(["bash", "--norc", "--noprofile", "-i"], 100, 30, name="shell", env=env)
    sh.line("PS1='sh> '")
    sh.wait(r"^sh>\s*$")
    sh.line("%s --bind 127.0.0.1 --port 0 & echo pid=$!" % shlex.quote(binary))
    pid = int(sh.wait(r"^pid=(\d+)").group(1))
    h._cleanups.append(lambda: _alive(pid) and os.kill(pid, signal.SIGKILL))
    port = int(sh.wait(r"listening on 127\.0\.0\.1:(\d+)").group(1))
    sh.line("%s %d" % (shlex.quote(admin_bin(opts)), port))
    sh.wait_row(-2, ST_ATTACHED)
    sh.wait(r"the server writes its log to this terminal too")
    Plain(port, "hello from the back row")
    sh.wait(r"^\d\d:\d\d:\d\d chat\s+guest\d+ says: hello from the back row")
    server_line = re.compile(r"127\.0\.0\.1:\d+\s+guest\d+\s+says: hello", re.M)
    h.poll_until("the server's own log line painted over",
                 lambda: not server_line.search(sh.screen()) and
                 re.match(HEADER, sh.rows()[0]), 5, sh.describe)
    sh.keys("q")
    sh.wait(r"sockchat-admin: detached from ")
    h.check(_alive(pid), "the background server ended with the dashboard")
    sh.line("kill %d; wait %d; echo status=$?" % (pid, pid))
    sh.wait(r"^status=0\s*$")


TESTS = {
    "three": t_three, "kick": t_kick, "resize": t_resize, "detach": t_detach,
    "background": t_background, "plain": t_plain, "gone": t_gone, "no_color": t_no_color,
    "demo": t_demo, "errors": t_errors, "shared_tty": t_shared_tty,
}

if __name__ == "__main__":
    sys.exit(h.main(TESTS))
