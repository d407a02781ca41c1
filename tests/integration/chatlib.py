"""chatlib: what the integration and stress tests share.

Starting the real sockchat-server on an ephemeral port, clients for its three
dialects (framed, plain, raw), line reading with deadlines, and a tiny test
runner. Python 3 standard library only.

Every wait has a deadline; nothing sleeps to synchronise. The one timed wait
that remains is expect_silence(), which asserts that nothing arrives within a
window (single mode: the second client must not be served yet).

Environment:
  SOCKCHAT_TEST_SCALE    multiplies the sizes of heavy tests (default 1; CI
                         under sanitizers may lower it, a soak may raise it)
  SOCKCHAT_TEST_TIMEOUT  multiplies every deadline (default 1; sanitizer
                         builds are 2-10x slower)
  SOCKCHAT_TEST_VERBOSE  1: print server logs even when a test passes
"""

import fcntl
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import termios
import threading
import time
import traceback

SCALE = float(os.environ.get("SOCKCHAT_TEST_SCALE", "1") or "1")
TIMEOUT_SCALE = float(os.environ.get("SOCKCHAT_TEST_TIMEOUT", "1") or "1")
VERBOSE = os.environ.get("SOCKCHAT_TEST_VERBOSE", "") not in ("", "0")

# Deadlines are generous on purpose: they only matter when something is
# broken, and sanitizer builds on a loaded 2-core CI box are slow.
T_SHORT = 10.0 * TIMEOUT_SCALE
T_LONG = 60.0 * TIMEOUT_SCALE

HERE = os.path.dirname(os.path.abspath(__file__))
INTEROP = os.path.join(os.path.dirname(HERE), "interop")

LOAD_RE = re.compile(rb"^load(\d+):(\d+)$")
YOU_ARE_RE = re.compile(rb"^you are (\S+); /nick NAME to change it$")
LISTEN_RE = re.compile(r"^listening on (.+):(\d+) \(mode (\S+)\)")


class Skip(Exception):
    """Raised by a test that does not apply here (exit code 77 if all skip)."""


class Timeout(AssertionError):
    pass


def scaled(n, minimum=1):
    return max(minimum, int(n * SCALE))


def deadline_in(seconds):
    return time.monotonic() + seconds * 1.0


def remaining(deadline):
    return deadline - time.monotonic()


# --------------------------------------------------------------------------
# The server process


def take_terminal():
    """In the child, after setsid(): stdin (a pty) becomes the controlling
    terminal of the new session. (Modules imported before the fork: the
    import lock may be held by another thread at that moment.)"""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


_STATE_ROOT = []


def _state_root():
    """One temporary directory per test process for the servers' state
    directories, removed when the process exits."""
    if not _STATE_ROOT:
        _STATE_ROOT.append(tempfile.TemporaryDirectory(prefix="sockchat-test-state-"))
    return _STATE_ROOT[0].name


class Server:
    """The real server on --port 0, its output drained by threads.

    stdout and stderr go to pipes read by two threads into lists, so a
    server that logs every message can never block on a full pipe, and a
    test can wait for a log line with a deadline."""

    def __init__(self, binary, *args, mode=None, bind="127.0.0.1", port=0, env=None,
                 expect_listen=True, timeout=None, tty=False, wrapper=None, stall_err=False,
                 err_cols=None):
        self.binary = binary
        self.argv = list(wrapper or []) + [binary]
        if bind is not None:
            self.argv += ["--bind", bind]
        if port is not None:
            self.argv += ["--port", str(port)]
        if mode is not None:
            self.argv += ["--mode", mode]
        self.argv += [str(a) for a in args]
        self.out = []
        self.err = []
        self.conns = []
        self.cond = threading.Condition()
        self.closed_streams = 0
        penv = dict(os.environ)
        # ASan keeps freed memory in a quarantine (256 MB by default), which
        # would make every RSS figure meaningless; keep it small. Harmless
        # for builds without ASan. Added to options the caller set (CI sets
        # some) unless the caller chose a quarantine size.
        asan = penv.get("ASAN_OPTIONS", "")
        if "quarantine_size_mb" not in asan:
            penv["ASAN_OPTIONS"] = ":".join(o for o in (asan, "quarantine_size_mb=8") if o)
        # The server makes and keeps a TLS key and certificate on first start
        # (issue 19) in $STATE_DIRECTORY or $XDG_STATE_HOME/sockchat: never the
        # real home's, and never one shared by servers started in parallel.
        # A test that restarts a server on the same identity passes its own.
        penv.pop("STATE_DIRECTORY", None)
        penv["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="state-", dir=_state_root())
        if env:
            penv.update(env)
        self.state_home = penv["XDG_STATE_HOME"]
        # tty=True: stdin is a pseudo-terminal, which enables the operator
        # console; console() types on it. As in a terminal window, it is the
        # controlling terminal of a session the server leads, so the server
        # is its foreground process group (the console reads only then).
        self.tty_master = None
        stdin = subprocess.DEVNULL
        if tty:
            import pty
            self.tty_master, slave = pty.openpty()
            stdin = slave
        # err_cols=N: stderr (the log) is a pseudo-terminal N columns wide,
        # as when the server runs in a terminal window.
        stderr = subprocess.PIPE
        err_master = None
        if err_cols:
            import pty
            import struct
            err_master, err_slave = pty.openpty()
            fcntl.ioctl(err_slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, err_cols, 0, 0))
            attrs = termios.tcgetattr(err_slave)
            attrs[1] &= ~termios.ONLCR  # LF as written, not CR LF
            termios.tcsetattr(err_slave, termios.TCSANOW, attrs)
            stderr = err_slave
        self.proc = subprocess.Popen(self.argv, stdin=stdin, stdout=subprocess.PIPE,
                                     stderr=stderr, env=penv, start_new_session=tty,
                                     preexec_fn=take_terminal if tty else None)
        if tty:
            os.close(slave)
        err_stream = self.proc.stderr
        if err_master is not None:
            os.close(err_slave)
            err_stream = os.fdopen(err_master, "rb")
        self.pid = self.proc.pid
        # stall_err=True: nothing reads stderr until unstall_err(), as with a
        # paused terminal; the pipe fills and the server's log writes block.
        self._err_go = threading.Event()
        if not stall_err:
            self._err_go.set()
        self._threads = [
            threading.Thread(target=self._drain, args=(self.proc.stdout, self.out), daemon=True),
            threading.Thread(target=self._drain, args=(err_stream, self.err, self._err_go),
                             daemon=True),
        ]
        for t in self._threads:
            t.start()
        self.host = None
        self.port = None
        self.mode = None
        if expect_listen:
            self._wait_listening(timeout or T_SHORT)

    def _drain(self, stream, sink, go=None):
        if go is not None:
            go.wait()
        try:
            for raw in iter(stream.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip("\n")
                with self.cond:
                    sink.append(line)
                    self.cond.notify_all()
        except OSError:
            pass  # a pseudo-terminal's end: EIO once the server has gone
        with self.cond:
            self.closed_streams += 1
            self.cond.notify_all()

    def _wait_listening(self, timeout):
        dl = deadline_in(timeout)
        with self.cond:
            while True:
                if self.out:
                    break
                if self.closed_streams == 2:
                    break
                left = remaining(dl)
                if left <= 0:
                    break
                self.cond.wait(min(left, 0.5))
            first = self.out[0] if self.out else None
        if first is None:
            rc = self.proc.poll()
            self.kill()
            raise AssertionError(f"server did not print its listening line within {timeout:.0f}s "
                                 f"(exit code {rc}); argv {self.argv}; stderr: "
                                 f"{self.err[-5:]}")
        m = LISTEN_RE.match(first)
        if not m:
            self.kill()
            raise AssertionError(f"first stdout line is not 'listening on ADDR:PORT (mode M)': "
                                 f"{first!r}")
        host = m.group(1)
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        self.host = host
        self.port = int(m.group(2))
        self.mode = m.group(3)
        if self.port == 0:
            raise AssertionError(f"listening line names port 0: {first!r}")

    # connection helpers ----------------------------------------------------

    @property
    def addr(self):
        host = self.host
        if host in ("0.0.0.0", "*", ""):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        return (host, self.port)

    # Every connection made through these is closed before the server is
    # stopped at the end of a `with`, as real clients close after EOF:
    # otherwise the server lingers up to a second for each one's EOF.

    def _track(self, c):
        self.conns.append(c)
        return c

    def connect(self, **kw):
        return self._track(Conn.connect(self.addr, **kw))

    def framed(self, nick, version=1, **kw):
        """A framed client greeted with HELLO sockchat/VERSION (2: it knows
        rooms, ROOM and UNREAD)."""
        c = self._track(Framed.connect(self.addr, **kw))
        c.hello(nick, version=version)
        return c

    def plain(self, **kw):
        return self._track(Plain.connect(self.addr, **kw))

    def raw(self, **kw):
        return self._track(Conn.connect(self.addr, **kw))

    # process state ---------------------------------------------------------

    def alive(self):
        return self.proc.poll() is None

    def rss_kb(self):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def fd_count(self):
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def thread_count(self):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("Threads:"):
                    return int(line.split()[1])
        return 0

    def wait_log(self, pattern, timeout=None, stream="any"):
        """Waits for a log line (stdout or stderr) matching the regex."""
        rx = re.compile(pattern)
        dl = deadline_in(timeout or T_SHORT)
        with self.cond:
            while True:
                sources = []
                if stream in ("any", "out"):
                    sources += self.out
                if stream in ("any", "err"):
                    sources += self.err
                for line in sources:
                    if rx.search(line):
                        return line
                left = remaining(dl)
                if left <= 0 or self.closed_streams == 2:
                    raise Timeout(f"no server log line matching {pattern!r}")
                self.cond.wait(min(left, 0.5))

    def most_online(self, joins, others=0):
        """How many of a test's connections were in the room at once at
        most, from the log's join lines (each says how many are online),
        once `joins` of them (and `others`, there throughout) are logged."""
        rx = re.compile(r"joined \((?:sockchat|plain|tutorial) client, (\d+) online\)")
        want = joins + others
        dl = deadline_in(T_SHORT)
        with self.cond:
            while True:
                seen = [int(m.group(1)) for m in map(rx.search, self.err) if m]
                if len(seen) >= want or remaining(dl) <= 0:
                    break
                self.cond.wait(min(remaining(dl), 0.5))
        assert len(seen) >= want, f"{len(seen)} joins logged, want {want}"
        return max(seen) - others

    def console(self, line):
        """Types a line on the operator console (needs tty=True)."""
        os.write(self.tty_master, line.encode() + b"\n")

    def send_signal(self, sig):
        if self.alive():
            os.kill(self.pid, sig)

    def wait(self, timeout=None):
        """Waits for the process to exit; returns its exit code."""
        try:
            return self.proc.wait(timeout=timeout or T_SHORT)
        except subprocess.TimeoutExpired:
            raise Timeout(f"server pid {self.pid} still running after {timeout or T_SHORT:.0f}s")

    def stop(self, sig=signal.SIGTERM, timeout=None):
        self.send_signal(sig)
        rc = self.wait(timeout)
        self.join_output()
        return rc

    def kill(self):
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
        try:
            self.proc.wait(timeout=T_SHORT)
        except subprocess.TimeoutExpired:
            pass
        self.join_output()

    def unstall_err(self):
        self._err_go.set()

    def join_output(self):
        self._err_go.set()
        for t in self._threads:
            t.join(timeout=T_SHORT)

    def sanitizer_reports(self):
        return [line for line in self.err
                if "ERROR: AddressSanitizer" in line or "WARNING: ThreadSanitizer" in line
                or "ERROR: LeakSanitizer" in line or "runtime error:" in line]

    def log_tail(self, n=30):
        with self.cond:
            return ("--- server stdout (tail) ---\n" + "\n".join(self.out[-n:]) +
                    "\n--- server stderr (tail) ---\n" + "\n".join(self.err[-n:]))

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        for c in self.conns:
            c.close()
        if self.alive():
            try:
                self.stop(timeout=T_SHORT)
            except Timeout:
                self.kill()
        else:
            self.join_output()
        if self.tty_master is not None:
            os.close(self.tty_master)
            self.tty_master = None
        if exc_type is not None or VERBOSE:
            print(self.log_tail(), file=sys.stderr)
        reports = self.sanitizer_reports()
        if reports and exc_type is None:
            print(self.log_tail(200), file=sys.stderr)
            raise AssertionError(f"sanitizer report in server output: {reports[0]}")
        return False


# --------------------------------------------------------------------------
# Connections


class Conn:
    """A TCP connection with a receive buffer and deadline-bounded reads."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.eof = False
        self.reset = False

    @classmethod
    def connect(cls, addr, timeout=None, rcvbuf=None, family=None, source=None):
        """source: the local address to connect from (Linux lets a socket
        bind any 127.x.y.z, so tests can be many loopback addresses)."""
        host, port = addr
        if family is None:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(family, socket.SOCK_STREAM)
        if source is not None:
            s.bind((source, 0))
        if rcvbuf is not None:
            # Before connect, so the window is small from the start.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.settimeout(timeout or T_SHORT)
        s.connect((host, port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.settimeout(None)
        return cls(s)

    def fileno(self):
        return self.sock.fileno()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.sock.sendall(data)

    def sendline(self, text, end=b"\n"):
        if isinstance(text, str):
            text = text.encode("utf-8")
        self.send(text + end)

    def _fill(self, deadline):
        """Reads what is available (waiting until deadline); False at EOF."""
        if self.eof:
            return False
        left = remaining(deadline)
        if left <= 0:
            raise Timeout("deadline passed")
        # A TLS socket (tlslib) may hold decrypted bytes the kernel no
        # longer signals: read those before waiting.
        pending = getattr(self.sock, "pending", None)
        if not (pending and pending()):
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                raise Timeout("deadline passed")
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            self.reset = True
            data = b""
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def feed_nonblocking(self):
        """For select loops: reads once; returns False at EOF."""
        try:
            data = self.sock.recv(262144)
        except BlockingIOError:
            return True
        except OSError:  # reset, or closed under us
            self.reset = True
            data = b""
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def take_lines(self):
        """Complete lines buffered so far (without LF)."""
        if b"\n" not in self.buf:
            return []
        *lines, self.buf = self.buf.split(b"\n")
        return lines

    def recv_some(self, timeout=None):
        """One read's worth of bytes (b'' at EOF): for the raw dialect."""
        if self.buf:
            data, self.buf = self.buf, b""
            return data
        if not self._fill(deadline_in(timeout or T_SHORT)):
            return b""
        data, self.buf = self.buf, b""
        return data

    def recv_exact_text(self, text, timeout=None):
        """Raw dialect: reads until exactly `text` (bytes) has arrived."""
        dl = deadline_in(timeout or T_SHORT)
        while len(self.buf) < len(text):
            try:
                if not self._fill(dl):
                    break
            except Timeout:
                break
        got, self.buf = self.buf[:len(text)], self.buf[len(text):]
        return got

    def readline(self, timeout=None, deadline=None):
        """The next line without its LF; None at EOF. Raises Timeout."""
        dl = deadline if deadline is not None else deadline_in(timeout or T_SHORT)
        while b"\n" not in self.buf:
            try:
                more = self._fill(dl)
            except Timeout:
                raise Timeout(f"no complete line before the deadline; buffered {self.buf[:200]!r}")
            if not more:
                if self.buf:
                    line, self.buf = self.buf, b""
                    return line
                return None
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def read_until(self, pred, timeout=None, what="a matching line"):
        """Reads lines until pred(line) is true; returns (line, skipped)."""
        dl = deadline_in(timeout or T_SHORT)
        skipped = []
        while True:
            try:
                line = self.readline(deadline=dl)
            except Timeout:
                raise Timeout(f"no {what} before the deadline; got {skipped[-10:]!r}")
            if line is None:
                raise AssertionError(f"EOF before {what}; got {skipped[-10:]!r}")
            if pred(line):
                return line, skipped
            skipped.append(line)

    def expect_eof(self, timeout=None):
        """Reads to EOF; returns the lines seen on the way."""
        dl = deadline_in(timeout or T_SHORT)
        lines = []
        while True:
            try:
                line = self.readline(deadline=dl)
            except Timeout:
                raise Timeout(f"connection still open; got {lines[-10:]!r}")
            if line is None:
                return lines
            lines.append(line)

    def expect_you(self, timeout=None):
        """The line a plain client gets when it joins, after the history:
        'you are guestN; /nick NAME to change it'. Returns the nick."""
        line = self.readline(timeout)
        m = YOU_ARE_RE.match(line or b"")
        assert m, f"not told who it is: {line!r}"
        return m.group(1).decode()

    def expect_silence(self, window):
        """Asserts that nothing arrives within `window` seconds."""
        r, _, _ = select.select([self.sock], [], [], window)
        if r:
            data = self.sock.recv(4096)
            raise AssertionError(f"expected silence, got {data[:200]!r}")

    def shutdown_write(self):
        self.sock.shutdown(socket.SHUT_WR)

    def abort(self):
        """Closes with RST (SO_LINGER 0)."""
        import struct
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()
        return False


class Plain(Conn):
    """nc-style line client (LF; pass end=b'\\r\\n' for telnet-style)."""

    def say(self, text, end=b"\n"):
        self.sendline(text, end)

    def expect(self, pred_or_bytes, timeout=None):
        if isinstance(pred_or_bytes, (bytes, str)):
            want = pred_or_bytes.encode() if isinstance(pred_or_bytes, str) else pred_or_bytes
            return self.read_until(lambda l: l == want, timeout, what=repr(want))[0]
        return self.read_until(pred_or_bytes, timeout)[0]


# Framed messages ------------------------------------------------------------

# How many space-separated fields come before the free text, per type.
FIELDS = {
    b"WELCOME": 3, b"ACK": 1, b"CHAT": 2, b"ACTION": 2, b"PRIV": 3, b"JOIN": 2,
    b"LEAVE": 2, b"NICK": 2, b"OUT": 0, b"ERR": 1, b"NOTICE": 0, b"PING": 0, b"PONG": 0,
    b"SHUTDOWN": 0, b"ROOM": 2, b"UNREAD": 2,
}


class Msg:
    def __init__(self, line):
        self.raw = line
        typ, _, rest = line.partition(b" ")
        self.type = typ.decode("ascii", "replace")
        n = FIELDS.get(typ)
        if n is None:
            self.fields, self.text = [], rest
        else:
            parts = rest.split(b" ", n) if rest else []
            self.fields = parts[:n]
            self.text = parts[n] if len(parts) > n else b""
            while len(self.fields) < n:
                self.fields.append(b"")

    def f(self, i):
        return self.fields[i].decode("utf-8", "replace")

    @property
    def nick(self):
        if self.type in ("CHAT", "ACTION", "PRIV"):
            return self.f(1)
        return self.f(0)

    def __repr__(self):
        return f"Msg({self.raw!r})"


class Framed(Conn):
    """Our framed dialect: HELLO, then MSG ID TEXT."""

    def __init__(self, sock):
        super().__init__(sock)
        self.next_id = 1
        self.welcome = None
        self.history = []

    def hello(self, nick, password=None, timeout=None, version=1):
        line = f"HELLO sockchat/{version} {nick}"
        if password:
            line += f" {password}"
        self.sendline(line)
        m, skipped = self.next_until(lambda m: m.type == "WELCOME", timeout, "WELCOME")
        if skipped:
            raise AssertionError(f"lines before WELCOME: {skipped!r}")
        self.welcome = m
        self.nick = m.f(0)
        return m

    def arrive(self, nick, token, version=1):
        """As sockchat arrives: HELLO, then SESSION TOKEN after the WELCOME.
        A refusal before the WELCOME (ERR kicked ...) is kept in
        .refusal (None when welcomed); no SESSION is sent then."""
        self.sendline(f"HELLO sockchat/{version} {nick}")
        first = self.next()
        self.refusal = None
        if first is None or first.type != "WELCOME":
            self.refusal = first
            return self
        self.welcome = first
        self.nick = first.f(0)
        self.sendline(f"SESSION {token}")
        return self

    def msg(self, text):
        """Sends MSG; returns its id."""
        i = self.next_id
        self.next_id += 1
        if isinstance(text, str):
            text = text.encode("utf-8")
        self.send(b"MSG %d " % i + text + b"\n")
        return i

    def next(self, timeout=None, deadline=None):
        line = self.readline(timeout=timeout, deadline=deadline)
        return None if line is None else Msg(line)

    def next_until(self, pred, timeout=None, what="a matching message"):
        line, skipped = self.read_until(lambda l: pred(Msg(l)), timeout, what)
        return Msg(line), [Msg(s) for s in skipped]

    def wait_type(self, typ, timeout=None, pred=None):
        return self.next_until(lambda m: m.type == typ and (pred is None or pred(m)), timeout,
                               typ)[0]

    def chat(self, text, timeout=None):
        """Sends a chat line and waits for its ACK."""
        i = self.msg(text)
        self.wait_type("ACK", timeout, lambda m: m.f(0) == str(i))
        return i

    def sync(self, timeout=None):
        """A round trip: everything the server queued for us before it is
        read; returns the messages read on the way."""
        tok = f"sync{self.next_id}x{id(self) & 0xffff}"
        self.next_id += 1
        self.sendline(f"PING {tok}")
        _, skipped = self.next_until(lambda m: m.type == "PONG" and m.text == tok.encode(),
                                     timeout, f"PONG {tok}")
        return skipped

    def command(self, text, timeout=None):
        """Sends a /command; returns the OUT/ERR (and other) lines that came
        before a following PING round trip."""
        self.msg(text)
        return self.sync(timeout)


def is_clean_text(b):
    """True if b is valid UTF-8 with no ESC, no C0 control, no DEL, no C1."""
    try:
        s = b.decode("utf-8")
    except UnicodeDecodeError:
        return False
    for ch in s:
        o = ord(ch)
        if o < 0x20 or o == 0x7F or 0x80 <= o < 0xA0:
            return False
    return True


# --------------------------------------------------------------------------
# Load: many framed clients chatting from one select loop


class Load(threading.Thread):
    """Framed clients that chat continuously (at most `window` messages each
    awaiting their ACK) and read everything, in one background select loop.

    Each CHAT text is "load<sender index>:<seq> <padding>" from the sender's
    nick; other CHATs go to events. max_per_client caps
    what each sends (an int, or a list with one cap per client). After stop(), the
    loop stops sending, waits for the last ACKs and for every client to hold
    every other client's acknowledged messages, then ends. verify() checks
    exactly-once, in-order delivery. Clients that got EOF are recorded."""

    def __init__(self, clients, window=8, text_len=40, max_per_client=None, max_lag=2000):
        super().__init__(daemon=True)
        # Senders pause while some reader is more than max_lag messages
        # behind: one Python thread reads for everybody, and the server
        # rightly cuts a reader that stays 1 MiB behind for 2 s.
        self.max_lag = max_lag
        self.clients = clients
        self.n = len(clients)
        self.window = window
        self.pad = b"p" * max(0, text_len - 12)
        self.max_per_client = max_per_client
        self.sent = [0] * self.n
        self.acked = [0] * self.n
        self.received = [[] for _ in range(self.n)]  # (sender, seq)
        self.events = [[] for _ in range(self.n)]    # other lines
        self.eof = [False] * self.n
        self.nick_index = {}
        self.stopping = threading.Event()
        self.error = None
        self.finished_clean = False
        self.out = [bytearray() for _ in range(self.n)]
        self.drain_deadline = None

    def _cap(self, i):
        """max_per_client: None (no cap), an int, or a list with one per client."""
        m = self.max_per_client
        if m is None:
            return float("inf")
        return m[i] if isinstance(m, (list, tuple)) else m

    def run(self):
        try:
            self._loop()
        except Exception as e:  # noqa: BLE001 - handed to the main thread
            self.error = e
            traceback.print_exc()

    def _loop(self):
        socks = {c.sock: i for i, c in enumerate(self.clients)}
        for i, c in enumerate(self.clients):
            c.sock.setblocking(False)
            self.nick_index[c.nick.encode()] = i
        while True:
            stopping = self.stopping.is_set()
            if stopping:
                if self.drain_deadline is None:
                    self.drain_deadline = deadline_in(T_LONG)
                if self._complete():
                    self.finished_clean = True
                    return
                if remaining(self.drain_deadline) <= 0:
                    return
            if all(self.eof):
                return
            lagging = False
            if self.max_lag is not None and not stopping:
                total = sum(self.sent)
                lagging = any(total - self.sent[i] - len(self.received[i]) > self.max_lag
                              for i in range(self.n) if not self.eof[i])
            for i in range(self.n):
                if self.eof[i] or stopping or lagging:
                    continue
                cap = self._cap(i)
                while self.sent[i] - self.acked[i] < self.window and self.sent[i] < cap:
                    self.sent[i] += 1
                    self.out[i] += b"MSG %d load%d:%d %s\n" % (self.sent[i], i, self.sent[i],
                                                               self.pad)
            rl = [c.sock for i, c in enumerate(self.clients) if not self.eof[i]]
            wl = [c.sock for i, c in enumerate(self.clients) if self.out[i] and not self.eof[i]]
            r, w, _ = select.select(rl, wl, [], 0.1)
            for s in w:
                i = socks[s]
                try:
                    n = s.send(self.out[i])
                    del self.out[i][:n]
                except (BlockingIOError, InterruptedError):
                    pass
                except (BrokenPipeError, ConnectionResetError):
                    self.out[i].clear()
            for s in r:
                i = socks[s]
                c = self.clients[i]
                alive = c.feed_nonblocking()
                for line in c.take_lines():
                    self._line(i, line)
                if not alive:
                    self.eof[i] = True
                    self.out[i].clear()

    def _line(self, i, line):
        if line.startswith(b"ACK "):
            self.acked[i] += 1
        elif line.startswith(b"CHAT "):
            parts = line.split(b" ", 4)
            m = LOAD_RE.match(parts[3]) if len(parts) >= 4 else None
            sender = int(m.group(1)) if m else -1
            if m and sender < self.n and parts[2] == self.clients[sender].nick.encode():
                self.received[i].append((sender, int(m.group(2))))
            else:  # someone else's chat (a test's other clients, garbage)
                self.events[i].append(line)
        else:
            self.events[i].append(line)

    def _complete(self):
        if any(self.sent[i] != self.acked[i] for i in range(self.n) if not self.eof[i]):
            return False
        total = sum(self.acked)
        for i in range(self.n):
            if self.eof[i]:
                continue
            if len(self.received[i]) < total - self.acked[i]:
                return False
        return True

    def stop(self, timeout=None):
        self.stopping.set()
        self.join(timeout or T_LONG * 2)
        if self.is_alive():
            raise Timeout("load loop did not finish")
        if self.error:
            raise self.error

    def verify(self, connected_throughout=None):
        """Each client in connected_throughout (default: all) got every
        acknowledged message of every other client exactly once, in order."""
        idx = range(self.n) if connected_throughout is None else connected_throughout
        for i in idx:
            per = {}
            for s, q in self.received[i]:
                per.setdefault(s, []).append(q)
            for s in range(self.n):
                if s == i:
                    assert s not in per, f"client {i} got its own messages"
                    continue
                got = per.get(s, [])
                want = list(range(1, self.acked[s] + 1))
                if got != want:
                    missing = sorted(set(want) - set(got))[:5]
                    dups = len(got) - len(set(got))
                    raise AssertionError(
                        f"client {i} from client {s}: got {len(got)}, want {len(want)} "
                        f"(missing {missing}, {dups} duplicates)")

    @property
    def total_acked(self):
        return sum(self.acked)


def raise_nofile():
    """Raises our soft fd limit to the hard one (stress tests open many)."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def sanitizer_of(binary):
    """'address', 'thread' or None: memory figures mean little under TSan and
    need slack under ASan."""
    try:
        with open(binary, "rb") as f:
            data = f.read()
    except OSError:
        return None
    if b"__tsan_init" in data:
        return "thread"
    if b"__asan_init" in data:
        return "address"
    return None


def percentile(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    k = min(len(v) - 1, max(0, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


# --------------------------------------------------------------------------
# The runner


def parse_args(argv):
    """argv: SERVER_BINARY [--mode M] [-k SUBSTRING] [--size N]"""
    opts = {"binary": None, "mode": "threads", "filter": None, "size": None}
    it = iter(argv[1:])
    for a in it:
        if a == "--mode":
            opts["mode"] = next(it)
        elif a == "-k":
            opts["filter"] = next(it)
        elif a == "--size":
            opts["size"] = float(next(it))
        elif opts["binary"] is None:
            opts["binary"] = a
        else:
            raise SystemExit(f"unexpected argument {a!r}")
    if not opts["binary"]:
        raise SystemExit(f"usage: {argv[0]} SERVER_BINARY [--mode M] [-k NAME] [--size N]")
    if not os.access(opts["binary"], os.X_OK):
        raise SystemExit(f"{opts['binary']}: not an executable")
    return opts


class Ctx:
    def __init__(self, opts):
        self.binary = opts["binary"]
        self.mode = opts["mode"]
        self.size = opts["size"]

    def server(self, *args, **kw):
        kw.setdefault("mode", self.mode)
        return Server(self.binary, *args, **kw)

    def require_multi(self):
        if self.mode == "single":
            raise Skip("needs several clients at once; single mode serves one")

    def require_mode(self, *modes):
        if self.mode not in modes:
            raise Skip(f"only for mode {'/'.join(modes)}")


def mode_supported(binary, mode):
    """Starts the server once in `mode`: False if it refuses the mode."""
    try:
        s = Server(binary, mode=mode)
    except AssertionError:
        return False
    s.stop()
    return True


def run_tests(namespace, argv=None):
    """Runs every test_* function of namespace (in definition order) with a
    Ctx; prints one line per test; exits 0, 1 (a failure) or 77 (all
    skipped, for CTest's SKIP_RETURN_CODE)."""
    opts = parse_args(argv or sys.argv)
    ctx = Ctx(opts)
    tests = [(n, f) for n, f in namespace.items() if n.startswith("test_") and callable(f)]
    if opts["filter"]:
        tests = [(n, f) for n, f in tests if opts["filter"] in n]
    if ctx.mode != "threads" and not mode_supported(ctx.binary, ctx.mode):
        print(f"SKIP all: the server does not start with --mode {ctx.mode}")
        sys.exit(77)
    failed, passed, skipped = [], 0, 0
    for name, fn in tests:
        t0 = time.monotonic()
        sys.stdout.flush()
        try:
            fn(ctx)
        except Skip as e:
            skipped += 1
            print(f"SKIP {name} ({ctx.mode}): {e}", flush=True)
            continue
        except Exception:  # noqa: BLE001 - report any failure and go on
            failed.append(name)
            print(f"FAIL {name} ({ctx.mode}) after {time.monotonic() - t0:.2f}s", flush=True)
            traceback.print_exc(file=sys.stdout)
            sys.stdout.flush()
            continue
        passed += 1
        print(f"ok   {name} ({ctx.mode}) {time.monotonic() - t0:.2f}s", flush=True)
    print(f"{passed} passed, {len(failed)} failed, {skipped} skipped")
    if failed:
        print("failed: " + " ".join(failed))
        sys.exit(1)
    if passed == 0 and skipped > 0:
        sys.exit(77)
    sys.exit(0)
