"""harness: drives real programs in a real pseudo-terminal through tmux.

Every test gets its own tmux server on a private socket in a private temp
directory (`tmux -S DIR/tmux.sock`), so a test never sees or touches anyone
else's tmux. Screens are read with `capture-pane` and waited for by polling
against a deadline: there is no fixed sleep standing in for synchronisation.

Cleanup is layered because CTest may kill a test hard on timeout:
- normal exit and exceptions: atexit kills the tmux server and our servers;
- SIGTERM/SIGINT/SIGALRM: turned into an exception, so the same path runs;
- SIGKILL of the test: a watchdog process blocks reading a pipe that only
  the test holds open; EOF means the test is gone, and it kills the tmux
  server. Servers we start get PR_SET_PDEATHSIG, so the kernel kills them.

Python 3 standard library only.
"""

import atexit
import ctypes
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

SKIP = 77  # CTest SKIP_RETURN_CODE
POLL = 0.03  # seconds between two looks at the screen


class Skip(Exception):
    """The test cannot run here (a missing optional piece); not a failure."""


class Failure(AssertionError):
    pass


def _pdeathsig():
    # Runs in the child between fork and exec: die with the test process.
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def poll_until(what, fn, timeout, describe=None):
    """Calls fn() until it returns something truthy or timeout seconds pass.
    Returns that value; on timeout raises Failure with describe()'s text."""
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() >= end:
            extra = describe() if describe else ""
            raise Failure("timed out after %.1f s waiting for %s\n%s" % (timeout, what, extra))
        time.sleep(POLL)


# --------------------------------------------------------------------------
# tmux

_TMUX_CONF = """\
set -g default-terminal tmux-256color
set -g remain-on-exit on
set -g status off
set -g history-limit 2000
set -g escape-time 0
set -g exit-empty off
set -g allow-rename on
set -g set-titles off
set -s set-clipboard on
"""


class Tmux:
    """One private tmux server. Sessions are panes we can type into."""

    def __init__(self):
        if not shutil.which("tmux"):
            raise Skip("tmux is not installed")
        self.dir = tempfile.mkdtemp(prefix="sockchat-e2e-")
        self.sock = os.path.join(self.dir, "tmux.sock")
        self.conf = os.path.join(self.dir, "tmux.conf")
        with open(self.conf, "w") as f:
            f.write(_TMUX_CONF)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("TMUX", "SOCKCHAT_"))}
        env.update(LANG="C.UTF-8", LC_ALL="C.UTF-8", TERM="xterm-256color")
        env.pop("NO_COLOR", None)
        # The client's known_servers (TLS trust on first use) and anything a
        # server started in a pane keeps (its TLS key) live in this test's
        # directory, never in the real home.
        env.pop("STATE_DIRECTORY", None)
        env.update(XDG_DATA_HOME=os.path.join(self.dir, "data"),
                   XDG_STATE_HOME=os.path.join(self.dir, "state"))
        # A sanitizer build of the client reports into files we check after
        # the test (its stderr is the pane, where a report would scroll by).
        self.san_dir = os.path.join(self.dir, "san")
        os.mkdir(self.san_dir)
        for var, name in (("ASAN_OPTIONS", "asan"), ("UBSAN_OPTIONS", "ubsan"),
                          ("TSAN_OPTIONS", "tsan")):
            extra = "log_path=%s" % os.path.join(self.san_dir, name)
            env[var] = env[var] + ":" + extra if env.get(var) else extra
        self.env = env
        _tmuxes.append(self)
        self.started = False
        self._watchdog = None
        self._count = 0
        _cleanups.append(self.close)

    def run(self, *args, check=True):
        cmd = ["tmux", "-u", "-S", self.sock, "-f", self.conf] + list(args)
        p = subprocess.run(cmd, env=self.env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
        if check and p.returncode != 0:
            shown = " ".join(args)
            shown = shown if len(shown) < 300 else shown[:300] + "..."
            raise Failure("tmux %s failed: %s" % (shown, p.stderr.decode(errors="replace")))
        return p.stdout.decode("utf-8", errors="replace")

    def _start_watchdog(self):
        r, w = os.pipe()
        code = ("import os,signal,subprocess,sys,shutil\n"
                "sys.stdin.buffer.read()\n"
                "t=['tmux','-S',sys.argv[1]]\n"
                "p=subprocess.run(t+['list-panes','-a','-F','#{pane_pid}'],"
                "stdout=subprocess.PIPE,stderr=subprocess.DEVNULL).stdout.split()\n"
                "subprocess.run(t+['kill-server'],"
                "stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL)\n"
                "for x in p:\n"
                "    try: os.killpg(int(x), signal.SIGKILL)\n"
                "    except (OSError, ValueError): pass\n"
                "shutil.rmtree(sys.argv[2], ignore_errors=True)\n")
        self._watchdog = subprocess.Popen([sys.executable, "-c", code, self.sock, self.dir],
                                          stdin=r, env=self.env, start_new_session=True)
        os.close(r)
        self._watchdog_w = w  # held open until we exit; never inherited (O_CLOEXEC)

    def pane(self, command, width=80, height=24, env=None, name=None):
        """Starts command (a list of argv words, or a shell string) in a new
        detached session of the given size and returns its Pane."""
        if not self.started:
            self._start_watchdog()
        self._count += 1
        name = name or "p%d" % self._count
        if not isinstance(command, str):
            command = " ".join(shlex.quote(c) for c in command)
        env = dict(env or {})
        if "TERM" in env:
            # tmux sets TERM in the pane itself, after -e: override it inside.
            command = "TERM=%s exec %s" % (shlex.quote(env.pop("TERM")), command)
        args = ["new-session", "-d", "-s", name, "-x", str(width), "-y", str(height)]
        for k, v in env.items():
            args += ["-e", "%s=%s" % (k, v)]
        args += [command]
        self.run(*args)
        self.started = True
        p = Pane(self, name)
        # The window must really be WxH even once other sessions exist.
        self.run("set-option", "-t", name, "window-size", "manual")
        p.resize(width, height)
        return p

    def pane_pids(self):
        out = self.run("list-panes", "-a", "-F", "#{pane_pid}", check=False)
        return [int(x) for x in out.split() if x.isdigit()]

    def close(self):
        if self.started:
            # Each pane's program leads its own session and process group
            # (the wrapper shell has no job control); kill those groups, so
            # a program that survives the hangup (a hung client, a shell
            # trapping HUP) does not outlive the test.
            pids = self.pane_pids()
            self.run("kill-server", check=False)
            for pid in pids:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    pass
            self.started = False
        if self._watchdog is not None:
            os.close(self._watchdog_w)
            try:
                self._watchdog.wait(10)
            except subprocess.TimeoutExpired:
                self._watchdog.kill()
            self._watchdog = None
        shutil.rmtree(self.dir, ignore_errors=True)


class Pane:
    def __init__(self, tmux, name):
        self.tmux = tmux
        self.name = name
        self.target = name + ":0.0"

    # ---- input
    def type(self, text):
        """Types text literally (UTF-8 included), no Enter."""
        self.tmux.run("send-keys", "-t", self.target, "-l", "--", text)

    def keys(self, *names):
        """Sends tmux key names: Enter, C-c, PPage, NPage, Home, End, BSpace..."""
        self.tmux.run("send-keys", "-t", self.target, *names)

    def line(self, text):
        self.type(text)
        self.keys("Enter")

    def paste(self, text):
        """Pastes text as a terminal would (bracketed if the app asked)."""
        buf = "e2e-paste"
        path = os.path.join(self.tmux.dir, "paste")
        with open(path, "w", encoding="utf-8") as f:  # any size, unlike set-buffer
            f.write(text)
        self.tmux.run("load-buffer", "-b", buf, path)
        self.tmux.run("paste-buffer", "-p", "-d", "-b", buf, "-t", self.target)

    # ---- output
    def record(self):
        """Starts logging every byte the program writes to the terminal;
        read them with recorded()."""
        self.log_path = os.path.join(self.tmux.dir, "out-%s.raw" % self.name)
        self.tmux.run("pipe-pane", "-o", "-t", self.target,
                      "cat >> %s" % shlex.quote(self.log_path))

    def recorded(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()
        except OSError:
            return b""

    def screen(self, escapes=False):
        args = ["capture-pane", "-p", "-t", self.target]
        if escapes:
            args.append("-e")
        return self.tmux.run(*args)

    def rows(self):
        """The screen as exactly pane_height strings."""
        h = self.size()[1]
        rows = self.screen().split("\n")[:h]
        return rows + [""] * (h - len(rows))

    def fmt(self, f):
        return self.tmux.run("display-message", "-p", "-t", self.target, f).rstrip("\n")

    def size(self):
        w, h = self.fmt("#{pane_width} #{pane_height}").split()
        return int(w), int(h)

    def dead(self):
        """None while the program runs, else (status, signal) as strings."""
        d, st, sig = (self.fmt("#{pane_dead}|#{pane_dead_status}|#{pane_dead_signal}").split("|") + ["", ""])[:3]
        # tmux 3.3 marks the pane dead at EOF on the pty but does not always
        # reap the process, so the status may stay empty: tests that need
        # the exit status run the program under term.run_checked.
        return (st, sig) if d == "1" else None

    def describe(self):
        try:
            return "---- screen of %s (%s) ----\n%s\n---- end ----" % (
                self.name, self.fmt("#{pane_width}x#{pane_height} dead=#{pane_dead} "
                                    "status=#{pane_dead_status} signal=#{pane_dead_signal}"),
                self.screen())
        except Exception as e:  # the describer must never hide the real failure
            return "(screen unavailable: %s)" % e

    def wait(self, pattern, timeout=10, flags=re.M):
        """Waits until pattern (a regex) matches the visible screen; returns the match."""
        rx = re.compile(pattern, flags)
        return poll_until("/%s/ on %s" % (pattern, self.name),
                          lambda: rx.search(self.screen()), timeout, self.describe)

    def wait_row(self, index, pattern, timeout=10):
        """Waits until screen row index (negative counts from the bottom)
        matches pattern; returns the match."""
        rx = re.compile(pattern)
        return poll_until("row %d of %s to match /%s/" % (index, self.name, pattern),
                          lambda: rx.search(self.rows()[index]), timeout, self.describe)

    def settled_rows(self, timeout=5):
        """The screen rows once two looks in a row agree (a redraw may be
        caught half done)."""
        last = [None]

        def same():
            r = self.rows()
            ok = r == last[0]
            last[0] = r
            return r if ok else None
        return poll_until("%s to settle" % self.name, same, timeout, self.describe)

    def wait_gone(self, pattern, timeout=10, flags=re.M):
        rx = re.compile(pattern, flags)
        poll_until("/%s/ to leave %s" % (pattern, self.name),
                   lambda: not rx.search(self.screen()), timeout, self.describe)

    def wait_dead(self, timeout=10):
        return poll_until("%s to exit" % self.name, self.dead, timeout, self.describe)

    def resize(self, width, height):
        self.tmux.run("resize-window", "-t", self.name, "-x", str(width), "-y", str(height))

    def wait_size(self, width, height, timeout=5):
        poll_until("%s to be %dx%d" % (self.name, width, height),
                   lambda: self.size() == (width, height), timeout, self.describe)


# --------------------------------------------------------------------------
# the real server

LISTEN_RX = re.compile(r"listening on (\S+):(\d+) \(mode ([^)]*)\)")


class Server:
    """sockchat-server on 127.0.0.1, stdin held open (it is the operator
    console), stdout+stderr collected by a thread."""

    def __init__(self, binary, port=0, args=(), timeout=15, state_home=None, env=None):
        self.binary = binary
        self.args = list(args)
        # The TLS key the server makes on first start (issue 19) goes into a
        # directory of this test's, removed at exit; restarts reuse it.
        if state_home is None:
            state_home = tempfile.mkdtemp(prefix="sockchat-e2e-state-")
            _cleanups.append(lambda: shutil.rmtree(state_home, ignore_errors=True))
        self.state_home = state_home
        self.env = {k: v for k, v in os.environ.items() if k != "STATE_DIRECTORY"}
        self.env["XDG_STATE_HOME"] = state_home
        self.env.update(env or {})
        self.lines = []
        self.cond = threading.Condition()
        self.proc = None
        self.addr = None
        self.port = None
        self.mode = None
        _cleanups.append(self.kill)
        self._start(port, timeout)

    def _start(self, port, timeout):
        # A restart on a fixed port may briefly find it busy (the old
        # socket closing); retry until the deadline.
        end = time.monotonic() + timeout
        while True:
            self.lines = []
            self.proc = subprocess.Popen([self.binary, "--port", str(port)] + self.args,
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, preexec_fn=_pdeathsig,
                                         env=self.env)
            t = threading.Thread(target=self._reader, args=(self.proc,), daemon=True)
            t.start()
            m = self._wait_listen(end)
            if m:
                self.addr, self.port, self.mode = m.group(1), int(m.group(2)), m.group(3)
                return
            if time.monotonic() >= end or port == 0:
                self.kill()
                raise Failure("server did not start on port %s:\n%s" % (port, self.log()))
            self.kill()
            time.sleep(0.1)  # back-off between bind attempts, not synchronisation

    def _wait_listen(self, end):
        with self.cond:
            while True:
                for l in self.lines:
                    m = LISTEN_RX.search(l)
                    if m:
                        return m
                if self.proc.poll() is not None and getattr(self, "_eof", False):
                    return None
                left = end - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(min(left, 0.2))

    def _reader(self, proc):
        self._eof = False
        for raw in proc.stdout:
            with self.cond:
                self.lines.append(raw.decode("utf-8", errors="replace").rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self._eof = True
            self.cond.notify_all()

    def log(self):
        with self.cond:
            return "\n".join(self.lines)

    def console(self, line):
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()

    def stop(self, timeout=10):
        """SIGTERM, then SIGKILL if it does not exit; returns the exit code."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode if self.proc else None

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


# --------------------------------------------------------------------------
# a framed client over a raw socket (the "other client" of the tests)

class FramedClient:
    def __init__(self, port, nick, host="127.0.0.1", timeout=10):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.lines = []
        self.pos = 0  # lines before it were consumed by wait()
        self.next_id = 1
        _cleanups.append(self.close)
        self.send_raw(("HELLO sockchat/1 %s\n" % nick).encode())
        self.welcome = self.wait(r"^WELCOME ", timeout)

    def send_raw(self, data):
        self.sock.sendall(data)

    def msg(self, text):
        """Sends MSG ID TEXT; text is bytes or str (may hold anything but LF)."""
        if isinstance(text, str):
            text = text.encode("utf-8")
        i = self.next_id
        self.next_id += 1
        self.send_raw(b"MSG %d " % i + text + b"\n")
        return i

    def wait(self, pattern, timeout=10):
        """Returns the first line after the last one returned that matches
        pattern (lines skipped over stay consumed)."""
        rx = re.compile(pattern)
        end = time.monotonic() + timeout
        while True:
            while self.pos < len(self.lines):
                l = self.lines[self.pos]
                self.pos += 1
                if rx.search(l):
                    return l
            left = end - time.monotonic()
            if left <= 0:
                raise Failure("client: timed out waiting for /%s/; got %r" % (pattern, self.lines[-20:]))
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not data:
                raise Failure("client: connection closed waiting for /%s/; got %r" % (pattern, self.lines[-20:]))
            self.buf += data
            *full, self.buf = self.buf.split(b"\n")
            self.lines += [l.rstrip(b"\r").decode("utf-8", errors="replace") for l in full]

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Listener:
    """A listening socket on 127.0.0.1 (self.port); every accepted
    connection runs handler(conn, n) in a thread of its own (n counts the
    connections from 0; self.count is how many came). Closed when the test
    ends."""

    def __init__(self, handler):
        self.handler = handler
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(8)
        self.port = self.lsock.getsockname()[1]
        self.count = 0
        self.stopping = False
        _cleanups.append(self.close)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopping:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            n = self.count
            self.count += 1
            threading.Thread(target=self.handler, args=(c, n), daemon=True).start()

    def close(self):
        self.stopping = True
        self.lsock.close()


class FakeServer(Listener):
    """A Listener whose every connection runs script(conn, n) once its
    HELLO line came. Whatever the client sends is read and thrown away, so
    it never blocks; with drain=False nothing past the HELLO is read but by
    the script (a server that stops reading)."""

    def __init__(self, script, drain=True):
        self.script = script
        self.drain = drain
        self.errors = []
        super().__init__(self._run)

    def _run(self, c, n):
        try:
            c.settimeout(20)
            hello = b""
            while b"\n" not in hello:
                d = c.recv(4096)
                if not d:
                    return
                hello += d
            if self.drain:
                threading.Thread(target=self._drain, args=(c,), daemon=True).start()
            self.script(c, n)
        except OSError as e:
            self.errors.append(e)

    @staticmethod
    def _drain(c):
        try:
            while c.recv(65536):
                pass
        except OSError:
            pass


def wait_port(port, host="127.0.0.1", timeout=10):
    """Waits until something accepts TCP connections on host:port."""
    def probe():
        try:
            socket.create_connection((host, port), timeout=1).close()
            return True
        except OSError:
            return False
    poll_until("port %d to accept" % port, probe, timeout)


def free_port():
    """An ephemeral port that was free a moment ago (for servers that cannot
    report the port they bound, like the tutorial's)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# --------------------------------------------------------------------------
# running a test

_cleanups = []
_tmuxes = []


def sanitizer_reports():
    """Text of every sanitizer report written by programs run in panes."""
    out = []
    for tm in _tmuxes:
        if not os.path.isdir(tm.san_dir):
            continue
        for n in sorted(os.listdir(tm.san_dir)):
            with open(os.path.join(tm.san_dir, n), errors="replace") as f:
                out.append("==== %s\n%s" % (n, f.read()))
    return "\n".join(out)


def cleanup():
    while _cleanups:
        fn = _cleanups.pop()
        try:
            fn()
        except Exception as e:
            print("cleanup: %s" % e, file=sys.stderr)


atexit.register(cleanup)


class _Stop(BaseException):
    pass


def _on_signal(signum, frame):
    raise _Stop("signal %d" % signum)


def main(tests, argv=None):
    """Runs tests[NAME](opts) for the NAME given on the command line.
    opts: client, server, interop, admin (paths; may be None). Exit 0 pass, 1 fail,
    77 skip. The whole test is bounded by --timeout seconds (SIGALRM)."""
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("name", choices=sorted(tests))
    ap.add_argument("--client")
    ap.add_argument("--server")
    ap.add_argument("--interop")
    ap.add_argument("--admin")  # sockchat-admin (admin_test.py)
    ap.add_argument("--timeout", type=int, default=100)
    opts = ap.parse_args(argv)
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM):
        signal.signal(s, _on_signal)
    signal.alarm(opts.timeout)
    t0 = time.monotonic()
    try:
        tests[opts.name](opts)
        reports = sanitizer_reports()
        check(not reports, "sanitizer reports:\n" + reports)
    except Skip as e:
        print("SKIP %s: %s" % (opts.name, e))
        cleanup()
        return SKIP
    except (Exception, _Stop) as e:
        import traceback
        traceback.print_exc()
        print("FAIL %s after %.1f s: %s" % (opts.name, time.monotonic() - t0, e))
        cleanup()
        return 1
    print("PASS %s in %.1f s" % (opts.name, time.monotonic() - t0))
    cleanup()
    return 0


def need(path, what):
    if not path or not os.path.exists(path):
        raise Skip("%s not available (%s)" % (what, path))
    return path


def check(cond, msg, describe=None):
    if not cond:
        raise Failure(msg + ("\n" + describe() if describe else ""))
