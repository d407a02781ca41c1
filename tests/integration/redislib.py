"""redislib: a redis-server of the test's own, and sockchat nodes on it.

RedisServer starts redis-server on 127.0.0.1 on a free port, in a
throwaway directory, in the foreground (so its PID is ours to stop), and
waits until it answers PING. It can be stopped (SIGTERM, then SIGKILL after
a deadline) and started again on the same port with the same directory:
with appendonly=True (fsync on every write) what it held before the stop is
back after the restart, as when an operator restarts Redis.

RespConn is the least of a Redis client (RESP2 requests and replies) for
tests that look at what the nodes stored: the stream, the keys.

start_nodes() starts N sockchat-server nodes on one Redis through
chatlib.Server, and waits for each one's "cluster: node NAME joined" line.

Python 3 standard library only; every wait has a deadline (chatlib's)."""

import contextlib
import errno
import os
import shutil
import signal
import socket
import subprocess
import tempfile

from chatlib import T_SHORT, Server, Skip, Timeout, deadline_in, remaining


def free_port():
    """A port nothing listens on now: bind port 0, read it, close. Another
    process may take it before redis-server binds it; RedisServer retries."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------
# RESP: requests and replies


class RespError(Exception):
    """An error reply (-ERR ...), or a reply we cannot parse."""


class RespConn:
    """One connection to Redis: command() sends a request and returns the
    reply (bytes, int, list, None; an error reply raises RespError)."""

    def __init__(self, port, host="127.0.0.1", timeout=None):
        self.sock = socket.create_connection((host, port), timeout=timeout or T_SHORT)
        self.sock.settimeout(timeout or T_SHORT)
        self.buf = b""

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()
        return False

    def command(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            if not isinstance(a, bytes):
                a = str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))
        return self._reply()

    def _fill(self):
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise Timeout("no reply from Redis within the deadline")
        if not data:
            raise RespError("Redis closed the connection")
        self.buf += data

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest
        if kind == b"-":
            raise RespError(rest.decode("utf-8", "replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self._fill()
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise RespError(f"not a RESP reply: {line[:80]!r}")


def stream_entries(port, key):
    """Every entry of the stream KEY, oldest first: [(id, {field: value})]."""
    with RespConn(port) as r:
        rows = r.command("XRANGE", key, "-", "+")
    out = []
    for entry_id, fields in rows or []:
        out.append((entry_id, dict(zip(fields[0::2], fields[1::2]))))
    return out


def stream_count(port, key, text):
    """How many entries of stream KEY have a field whose value is `text`
    (bytes): the stream is the cluster's record of what was said, whatever
    the nodes name its fields."""
    return sum(1 for _, f in stream_entries(port, key) if text in f.values())


# --------------------------------------------------------------------------
# redis-server


def require_redis():
    """The path of redis-server; Skip when it is not installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise Skip("redis-server is not installed (scripts/deps.sh test installs it)")
    return binary


class RedisServer:
    """redis-server of our own: 127.0.0.1, a free port, a temporary dir.

    appendonly=True: every write is fsynced to the append-only file before
    Redis answers, so stop() and start() keep the data. Without it nothing
    is written to disk (--save '' --appendonly no)."""

    def __init__(self, appendonly=False, port=None, attempts=5):
        self.binary = require_redis()
        self.appendonly = appendonly
        self.dir = tempfile.mkdtemp(prefix="sockchat-redis-")
        self.log = os.path.join(self.dir, "redis.log")
        self.proc = None
        self.port = port
        try:
            if port is not None:
                self.start()
            else:
                # Bind race: another process may take the port between
                # free_port() and redis-server's bind; try a new one.
                for i in range(attempts):
                    self.port = free_port()
                    try:
                        self.start()
                        break
                    except PortTaken:
                        if i == attempts - 1:
                            raise
        except BaseException:
            self.cleanup()
            raise

    @property
    def pid(self):
        return None if self.proc is None else self.proc.pid

    def url(self, prefix=None):
        u = f"redis://127.0.0.1:{self.port}"
        return u + (f"/{prefix}" if prefix else "")

    def argv(self):
        a = [self.binary, "--bind", "127.0.0.1", "--port", str(self.port),
             "--daemonize", "no", "--save", "", "--dir", self.dir, "--logfile", self.log,
             "--protected-mode", "no"]
        if self.appendonly:
            a += ["--appendonly", "yes", "--appendfsync", "always"]
        else:
            a += ["--appendonly", "no"]
        return a

    def start(self, timeout=None):
        """Starts redis-server (again: same port, same dir) and waits until
        it answers PING (+PONG, not -LOADING). PortTaken if the port was
        not free."""
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        dl = deadline_in(timeout or T_SHORT)
        last = None
        while True:
            rc = self.proc.poll()
            if rc is not None:
                tail = self.log_tail()
                if "Address already in use" in tail:
                    raise PortTaken(f"port {self.port} was taken before redis-server bound it")
                raise AssertionError(f"redis-server exited with {rc} before answering PING; "
                                     f"log:\n{tail}")
            last = self._ping_once()
            if last == b"PONG":
                return
            if remaining(dl) <= 0:
                self.stop()
                raise Timeout(f"redis-server on port {self.port} did not answer PING within "
                              f"{timeout or T_SHORT:.0f}s (last: {last!r}); log:\n"
                              f"{self.log_tail()}")
            self._wait_a_little(dl)

    def _wait_a_little(self, dl):
        """Until the process exits or 20 ms pass: the only poll interval
        here (Redis has no readiness signal but answering PING)."""
        try:
            self.proc.wait(timeout=min(0.02, max(0.0, remaining(dl))))
        except subprocess.TimeoutExpired:
            pass

    def _ping_once(self):
        try:
            with RespConn(self.port, timeout=1.0) as r:
                return r.command("PING")
        except RespError as e:
            return str(e).encode()  # LOADING while the append-only file is read
        except OSError as e:
            if e.errno in (errno.ECONNREFUSED, errno.ECONNRESET, None):
                return None
            raise

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=None):
        """Stops redis-server by its PID: SIG, then SIGKILL if it is still
        running at the deadline. Returns its exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=timeout or T_SHORT)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=T_SHORT)
        return self.proc.returncode

    def restart(self):
        self.stop()
        self.start()

    def log_tail(self, n=20):
        try:
            with open(self.log, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return "(no log)"

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            print(f"--- redis-server (port {self.port}) log tail ---\n{self.log_tail()}")
        self.cleanup()
        return False


class PortTaken(Exception):
    pass


# --------------------------------------------------------------------------
# sockchat nodes


def joined_line(name, url):
    """The log line a node prints once it is in the cluster (a regex)."""
    import re
    return r"cluster: node " + re.escape(name) + r" joined " + re.escape(url)


def start_node(ctx, url, name, *args, wait_joined=True, **kw):
    """One sockchat-server node: --cluster URL --node NAME (chatlib.Server,
    so its log can be waited on), with ctx's mode."""
    srv = ctx.server("--cluster", url, "--node", name, *args, **kw)
    srv.node = name
    if wait_joined:
        try:
            srv.wait_log(joined_line(name, url), stream="err")
        except BaseException:
            srv.__exit__(*__import__("sys").exc_info())
            raise
    return srv


@contextlib.contextmanager
def cluster(ctx, redis, n=3, *args, prefix="sockchat", node_kw=None):
    """N nodes on `redis`, named node1..nodeN, each with ARGS; node_kw maps
    an index (0-based) to extra chatlib.Server keywords (tty=True for the
    console). Yields the list; every node is stopped on the way out."""
    ctx.require_mode("threads", "pool")
    url = redis.url(prefix)
    with contextlib.ExitStack() as stack:
        nodes = []
        for i in range(n):
            kw = (node_kw or {}).get(i, {})
            srv = start_node(ctx, url, f"node{i + 1}", *args, **kw)
            stack.enter_context(srv)
            nodes.append(srv)
        try:
            yield nodes
        finally:
            stop_together(nodes)


def stop_together(nodes):
    """SIGTERM to every node at once, then waits for each: a node's
    shutdown waits out its tailer's XREAD BLOCK (up to a second), and one
    after the other that adds up. Each Server's own exit then finds it
    gone and only collects its output (or kills it, if still running)."""
    for srv in nodes:
        for c in srv.conns:
            c.close()  # as Server.__exit__ does first: no lingering for EOFs
    for srv in nodes:
        srv.send_signal(signal.SIGTERM)
    for srv in nodes:
        try:
            srv.wait()
        except Timeout:
            pass
