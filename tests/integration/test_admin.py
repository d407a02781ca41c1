#!/usr/bin/env python3
"""The admin socket (docs/PROTOCOL.md section 13) of the real server: where
it is and who may use it, the console's commands answered OUT/OK/ERR, the
event stream, STATS and ROSTER once a second, several admins at once, and
an admin that never reads, which is cut off while the chat goes on.

usage: test_admin.py SERVER_BINARY [--mode M] [-k NAME]"""

import os
import pty
import re
import select
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chatlib  # noqa: E402
from chatlib import (T_SHORT, Conn, Framed, Skip, Timeout, deadline_in,  # noqa: E402
                     remaining, run_tests)

NOBODY = 65534


class Admin(Conn):
    """An admin connection: `nc -U PATH` with deadlines."""

    @classmethod
    def attach(cls, path, rcvbuf=None):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if rcvbuf is not None:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.settimeout(T_SHORT)
        s.connect(path)
        s.settimeout(None)
        a = cls(s)
        a.pending = []  # lines of other streams that came during a command
        a.hello = a.readline()
        assert a.hello is not None and a.hello.startswith(b"SOCKCHAT-ADMIN 1 "), a.hello
        return a

    def command(self, text, timeout=None):
        """Sends a command; returns (its OUT texts, its closing line), the
        lines of other streams (EVENT, STATS, ROSTER, ROW) skipped."""
        self.sendline(text)
        outs = []
        dl = deadline_in(timeout or T_SHORT)
        while True:
            line = self.readline(deadline=dl)
            assert line is not None, f"admin closed while waiting for the answer to {text!r}"
            if line.startswith(b"OUT "):
                outs.append(line[4:].decode())
            elif line == b"OK" or line.startswith((b"OK ", b"ERR ")):
                return outs, line.decode()
            else:
                self.pending.append(line)  # for event(), stats(), roster()

    def event(self, kind, pred=None, timeout=None):
        """The next EVENT of this kind (whose text pred accepts): its fields
        (ms, kind, addr, nick, text)."""
        def match(line):
            if not line.startswith(b"EVENT "):
                return False
            f = line.decode().split(" ", 5)
            return f[2] == kind and (pred is None or pred(f[5]))
        line = self.read_until(match, timeout, f"EVENT {kind}")[0]
        _, ms, k, addr, nick, text = line.decode().split(" ", 5)
        return int(ms), k, addr, nick, text

    def roster(self, pred=None, timeout=None):
        """The next ROSTER block (pred: accepted rows): (total, [row dicts])."""
        dl = deadline_in(timeout or T_SHORT)
        while True:
            line = self.read_until(lambda l: l.startswith(b"ROSTER "), deadline=dl)[0]
            total, shown = map(int, line.split()[1:3])
            rows = []
            for _ in range(shown):
                row = self.pending.pop(0) if self.pending else self.readline(deadline=dl)
                assert row is not None and row.startswith(b"ROW "), row
                rows.append(dict(kv.split("=", 1) for kv in row.decode().split()[1:]))
            if pred is None or pred(rows):
                return total, rows

    def stats(self, pred=None, timeout=None):
        def match(line):
            if not line.startswith(b"STATS "):
                return False
            return pred is None or pred(kv(line))
        return kv(self.read_until(match, timeout, "STATS")[0])

    def read_until(self, pred, timeout=None, what="a matching line", deadline=None):
        dl = deadline if deadline is not None else deadline_in(timeout or T_SHORT)
        skipped = []
        while self.pending:
            line = self.pending.pop(0)
            if pred(line):
                return line, skipped
            skipped.append(line)
        while True:
            line = self.readline(deadline=dl)
            if line is None:
                raise Timeout(f"admin closed before {what}; skipped {skipped[-5:]}")
            if pred(line):
                return line, skipped
            skipped.append(line)


def kv(line):
    return dict(w.split("=", 1) for w in line.decode().split()[1:])


class Tmp:
    """A private directory for the socket, removed afterwards."""

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="sockchat-admin-test-")
        return self

    def __exit__(self, *a):
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)


def admin_server(ctx, tmp, *args, **kw):
    path = tmp.path("run", "admin.sock")
    srv = ctx.server("--admin", path, *args, **kw)
    srv.wait_log(r"admin: sockchat-admin --socket " + re.escape(path) + " attaches")
    srv.admin_path = path
    return srv


def test_socket_and_directory_modes(ctx):
    """The server makes the directory 0700 and the socket 0600, ours."""
    with Tmp() as tmp, admin_server(ctx, tmp) as srv:
        d = os.lstat(tmp.path("run"))
        s = os.lstat(srv.admin_path)
        assert stat.S_ISDIR(d.st_mode) and stat.S_IMODE(d.st_mode) == 0o700, oct(d.st_mode)
        assert stat.S_ISSOCK(s.st_mode) and stat.S_IMODE(s.st_mode) == 0o600, oct(s.st_mode)
        assert s.st_uid == os.geteuid() and d.st_uid == os.geteuid()
        a = Admin.attach(srv.admin_path)
        outs, done = a.command("help")
        assert done == "OK"
        # The console's commands, and those only an admin has.
        assert any(o.strip().startswith("kick NICK") for o in outs), outs
        assert any(o.strip().startswith("subscribe [events]") for o in outs), outs
        assert any(o.strip().startswith("roster") for o in outs), outs
        assert srv.stop() == 0
        assert not os.path.exists(srv.admin_path), "socket left behind after a clean exit"


def test_wide_directory_refused(ctx):
    """A directory others may enter is not used: said, and no socket."""
    with Tmp() as tmp:
        os.mkdir(tmp.path("wide"))
        os.chmod(tmp.path("wide"), 0o755)
        path = tmp.path("wide", "admin.sock")
        with ctx.server("--admin", path) as srv:
            srv.wait_log(r"no admin socket: .*wide has mode 755")
            assert not os.path.exists(path)
            c = srv.plain()
            c.say("still serving")
            c.expect(b"Message received")
        # A symlink to a good directory is not used either: it could be
        # turned to point anywhere.
        os.mkdir(tmp.path("real"), 0o700)
        os.symlink(tmp.path("real"), tmp.path("link"))
        with ctx.server("--admin", tmp.path("link", "admin.sock")) as srv:
            srv.wait_log(r"no admin socket: .*link is not a directory \(a symlink\?\)")
            assert os.listdir(tmp.path("real")) == []


def test_commands(ctx):
    """who, stats, say, kick: OUT lines, then OK or ERR."""
    ctx.require_multi()
    with Tmp() as tmp, admin_server(ctx, tmp) as srv:
        a = Admin.attach(srv.admin_path)
        outs, end = a.command("who")
        assert end == "OK" and outs == ["nobody is connected"], (outs, end)
        alice = srv.framed("alice")
        bob = srv.framed("bob")
        outs, end = a.command("who")
        assert end == "OK" and outs[0] == "2 connected (2 in 1 room):", outs
        assert any("alice" in o for o in outs) and any("bob" in o for o in outs), outs
        outs, end = a.command("/stats")
        assert end == "OK" and outs[0].startswith(f"mode {ctx.mode}, "), outs
        outs, end = a.command("say class starts now")
        assert outs == [] and end == "OK notice sent: class starts now", end
        alice.wait_type("NOTICE", pred=lambda m: m.text == b"class starts now")
        assert a.command("kick nobody")[1] == "ERR no such nick: nobody"
        assert a.command("frobnicate")[1].startswith("ERR unknown command frobnicate")
        outs, end = a.command("kick bob 10m talking")
        assert end.startswith("OK kicked bob"), end
        bob.wait_type("ERR", pred=lambda m: m.f(0) == "kicked")
        srv.wait_log(r"operator \(admin pid \d+\): kicked bob")
        outs, end = a.command("bans")
        assert end == "OK" and any("bob" in o for o in outs), outs
        assert a.command("unban bob")[1].startswith("OK ")
        assert a.command("unban")[1] == "ERR usage: unban NICK|ADDR[/BITS]"


def test_say_and_kick_reach_the_client(ctx):
    """An admin's say and kick reach a client at once in every mode (single
    mode's one thread is woken for them)."""
    with Tmp() as tmp, admin_server(ctx, tmp) as srv:
        a = Admin.attach(srv.admin_path)
        alice = srv.framed("alice")
        assert a.command("say hello alice")[1] == "OK notice sent: hello alice"
        alice.wait_type("NOTICE", pred=lambda m: m.text == b"hello alice", timeout=2.0)
        assert a.command("kick alice")[1].startswith("OK kicked alice")
        alice.wait_type("ERR", pred=lambda m: m.f(0) == "kicked", timeout=2.0)
        alice.expect_eof(timeout=3.0)


def test_events(ctx):
    """A subscriber gets the log's lines as EVENTs: join, chat, private
    (without its text), nick, leave, and a refusal."""
    ctx.require_multi()
    with Tmp() as tmp, admin_server(ctx, tmp) as srv:
        a = Admin.attach(srv.admin_path)
        assert a.command("subscribe events") == ([], "OK subscribed: events")
        t0 = time.time()
        p = srv.plain()
        p.say("hello from nc")
        p.expect(b"Message received")
        _, _, addr, nick, text = a.event("join", timeout=2.0)
        assert re.match(r"127\.0\.0\.1:\d+$", addr) and text.startswith("joined (plain client"), \
            (addr, text)
        ms, _, _, nick2, text = a.event("chat", timeout=2.0)
        assert (nick2, text) == (nick, "says: hello from nc"), (nick2, text)
        assert abs(ms / 1000 - t0) < 60, ms
        alice = srv.framed("alice")
        alice.command("/msg " + nick + " a secret")
        _, _, _, who, text = a.event("private", timeout=2.0)
        assert who == "alice" and text == f"sent a private message to {nick}", text
        alice.command("/nick alicia")
        assert "alicia" in a.event("nick", timeout=2.0)[4]
        p.close()
        a.event("leave", lambda t: t.startswith("disconnected"), timeout=2.0)
        # A kicked person who comes back is refused.
        assert a.command("kick alicia")[1].startswith("OK kicked alicia")
        a.event("operator", lambda t: "kicked alicia" in t)
        back = srv._track(Framed.connect(srv.addr))
        back.sendline("HELLO sockchat/1 alicia")
        a.event("refuse", lambda t: "came back while kicked" in t, timeout=2.0)
        # Unsubscribed: no more events, commands still answered.
        assert a.command("unsubscribe") == ([], "OK subscribed: nothing")
        q = srv.plain()
        q.say("unseen")
        q.expect(b"Message received")
        outs, end = a.command("who")
        assert end == "OK"


def test_console_actions_are_events(ctx):
    """What the operator does at the server's own terminal reaches the
    admins as an operator event, also when the log is that terminal (where
    it is not logged twice)."""
    with Tmp() as tmp:
        path = tmp.path("run", "admin.sock")
        master, slave = pty.openpty()
        proc = subprocess.Popen([ctx.binary, "--bind", "127.0.0.1", "--port", "0", "--mode",
                                 ctx.mode, "--admin", path], stdin=slave, stdout=slave,
                                stderr=slave, start_new_session=True,
                                preexec_fn=chatlib.take_terminal)
        os.close(slave)
        seen = b""

        def read_until(pattern):
            nonlocal seen
            dl = deadline_in(T_SHORT)
            while not re.search(pattern, seen):
                if remaining(dl) <= 0:
                    raise Timeout(f"no {pattern!r} on the terminal: {seen[-500:]!r}")
                r, _, _ = select.select([master], [], [], remaining(dl))
                if r:
                    seen += os.read(master, 4096)
            return re.search(pattern, seen)

        try:
            read_until(rb"admin: sockchat-admin --socket \S+ attaches")
            a = Admin.attach(path)
            a.command("subscribe events")
            os.write(master, b"ban 10.9.9.9 testing\n")
            assert "banned 10.9.9.9" in a.event("operator", timeout=2.0)[4]
            read_until(rb"banned 10\.9\.9\.9")
            a.command("say marker")  # logged (by an admin): after the ban on the terminal
            read_until(rb"notice sent: marker")
            assert seen.count(b"banned 10.9.9.9") == 1, seen.decode("utf-8", "replace")
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=T_SHORT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            os.close(master)


def test_events_under_quiet(ctx):
    """--quiet keeps chat out of the log, not out of the event stream."""
    with Tmp() as tmp, admin_server(ctx, tmp, "--quiet") as srv:
        a = Admin.attach(srv.admin_path)
        a.command("subscribe events")
        p = srv.plain()
        p.say("quietly")
        p.expect(b"Message received")
        assert a.event("chat", timeout=2.0)[4] == "says: quietly"
        assert not any("quietly" in line for line in srv.err), srv.log_tail()


def worker_pattern(mode):
    return {"threads": r"t\d+$", "pool": r"w\d+$", "single": r"main$"}[mode]


def test_stats_and_roster(ctx):
    """Once a second: STATS, and a ROSTER with a row per connection, its
    dialect and the thread or worker that serves it."""
    with Tmp() as tmp, admin_server(ctx, tmp) as srv:
        a = Admin.attach(srv.admin_path)
        assert a.command("subscribe stats roster")[1] == "OK subscribed: stats roster"
        f = srv.framed("fiona")
        want = {"sockchat"}
        if ctx.mode != "single":
            p = srv.plain()
            p.say("hi")
            p.expect(b"Message received")
            r = srv.raw()
            r.send(b"hello from the tutorial")
            assert r.recv_exact_text(b"Message received") == b"Message received"
            want = {"sockchat", "plain", "tutorial"}
        else:
            f.chat("hi")
        total, rows = a.roster(lambda rows: {r["dialect"] for r in rows} >= want,
                               timeout=3.0)
        assert total == len(rows) == len(want), rows
        for row in rows:
            assert row["state"] == "joined", row
            assert re.match(worker_pattern(ctx.mode), row["worker"]), row
            assert int(row["bytes_in"]) > 0 and int(row["msgs_in"]) >= 1, row
        fiona = [r for r in rows if r["dialect"] == "sockchat"][0]
        assert fiona["nick"] == "fiona" and fiona["muted"] == "0", fiona
        if ctx.mode == "threads":
            # The thread id is the one ps -L shows: one of the server's.
            tids = set(os.listdir(f"/proc/{srv.pid}/task"))
            assert all(r["worker"][1:] in tids for r in rows), (rows, tids)
        s = a.stats(lambda s: int(s["clients"]) == len(want))
        assert s["mode"] == ctx.mode and s["listen"] == f"127.0.0.1:{srv.port}", s
        assert int(s["rss_kib"]) > 0 and int(s["threads"]) >= 2 and s["admins"] == "1", s
        # Two STATS about a second apart (not the exact second: a busy CI).
        t1 = int(a.stats()["up_ms"])
        t2 = int(a.stats()["up_ms"])
        assert 500 <= t2 - t1 <= 2500, (t1, t2)
        outs, end = a.command("roster")
        assert end == "OK"


def test_rates_and_deliveries(ctx):
    """deliveries counts chat lines queued to receivers; the rates are
    per second."""
    ctx.require_multi()
    with Tmp() as tmp, admin_server(ctx, tmp, "--rate", "0") as srv:
        a = Admin.attach(srv.admin_path)
        a.command("subscribe stats")
        sender = srv.framed("sender")
        others = [srv.framed(f"r{i}") for i in range(3)]
        for i in range(20):
            sender.chat(f"line {i}")
        s = a.stats(lambda s: int(s["messages"]) >= 20)
        assert int(s["deliveries"]) == 60, s
        for o in others:
            o.sync()


def test_two_admins(ctx):
    """Two admins at once: both get the events; each gets only its own
    answers."""
    with Tmp() as tmp, admin_server(ctx, tmp) as srv:
        a = Admin.attach(srv.admin_path)
        b = Admin.attach(srv.admin_path)
        a.command("subscribe events")
        b.command("subscribe events")
        p = srv.plain()
        p.say("to both")
        p.expect(b"Message received")
        assert a.event("chat", timeout=2.0)[4] == "says: to both"
        assert b.event("chat", timeout=2.0)[4] == "says: to both"
        assert a.command("stats")[1] == "OK"
        # b sees a's stats only as... nothing: its next line is its own answer.
        b.sendline("who")
        line = b.read_until(lambda l: not l.startswith(b"EVENT "))[0]
        assert line.startswith(b"OUT "), line


def test_admin_that_never_reads(ctx):
    """An admin that stops reading is cut off (BYE too slow, or just
    closed), and the chat clients get their lines promptly meanwhile."""
    with Tmp() as tmp, admin_server(ctx, tmp, "--rate", "0") as srv:
        stuck = Admin.attach(srv.admin_path, rcvbuf=4096)
        stuck.command("subscribe events")
        watcher = Admin.attach(srv.admin_path)
        watcher.command("subscribe events")
        sender = srv.framed("sender")
        reader = srv.framed("reader") if ctx.mode != "single" else None
        text = "x" * 3900
        # Each event carries the text: 1 MiB of queue and the socket's
        # buffers fill after a few hundred.
        cut = False
        worst = 0.0
        for i in range(2000):
            t = time.monotonic()
            sender.chat(f"{i} {text}")
            if reader is not None:
                reader.wait_type("CHAT", pred=lambda m, i=i: m.text.startswith(b"%d " % i))
            worst = max(worst, time.monotonic() - t)
            if i % 50 == 49 and any("cut off: too slow" in line for line in srv.err):
                cut = True
                break
            if i % 50 == 49:
                # The watcher keeps up, as a live dashboard does.
                watcher.event("chat", lambda t, i=i: t.startswith(f"says: {i} "))
        assert cut, "the admin that never reads was not cut off\n" + srv.log_tail()
        srv.wait_log(r"admin pid \d+ cut off: too slow")
        assert worst < T_SHORT / 2, f"a chat line took {worst:.2f}s"
        # What it gets now: whole lines, then BYE too slow (if it fit), then EOF.
        last = None
        dl = deadline_in(T_SHORT)
        while True:
            line = stuck.readline(deadline=dl)
            if line is None:
                break
            last = line
        assert last is None or last == b"BYE too slow" or last.startswith(b"EVENT "), last
        watcher.event("slow", lambda t: "too slow" in t)
        # The server and the watcher carry on.
        assert watcher.command("who")[1] == "OK"
        sender.chat("after the cut")


def test_overlong_line(ctx):
    with Tmp() as tmp, admin_server(ctx, tmp) as srv:
        a = Admin.attach(srv.admin_path)
        a.send(b"say " + b"y" * 9000 + b"\n")
        line = a.read_until(lambda l: l.startswith(b"BYE"))[0]
        assert line == b"BYE line too long", line
        a.expect_eof()


def test_quit(ctx):
    """quit: OK, then BYE shutting down, and a clean exit (status 0) that
    removes the socket."""
    with Tmp() as tmp, admin_server(ctx, tmp) as srv:
        a = Admin.attach(srv.admin_path)
        b = Admin.attach(srv.admin_path)
        c = srv.framed("carol")
        assert a.command("quit") == ([], "OK shutting down")
        assert a.read_until(lambda l: l.startswith(b"BYE"))[0] == b"BYE shutting down"
        assert b.read_until(lambda l: l.startswith(b"BYE"))[0] == b"BYE shutting down"
        c.wait_type("SHUTDOWN", pred=lambda m: b"operator" in m.text)
        assert srv.wait() == 0
        srv.join_output()
        assert not os.path.exists(srv.admin_path)
        assert any(re.search(r"operator \(admin pid \d+\): quit", line) for line in srv.err)


def test_other_uid_refused(ctx):
    """Another user is refused by SO_PEERCRED even when the socket's
    permissions would let them in."""
    if os.geteuid() != 0:
        raise Skip("needs root to connect as another uid (nobody)")
    with Tmp() as tmp, admin_server(ctx, tmp) as srv:
        # Open the way on purpose: only the server's own check is left.
        os.chmod(tmp.dir, 0o711)
        os.chmod(tmp.path("run"), 0o711)
        os.chmod(srv.admin_path, 0o666)
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: nobody, connects, reports the first line
            code = 1
            try:
                os.close(r)
                os.setgroups([])
                os.setgid(NOBODY)
                os.setuid(NOBODY)
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.settimeout(T_SHORT)
                s.connect(srv.admin_path)
                data = b""
                while not data.endswith(b"\n"):
                    chunk = s.recv(100)
                    if not chunk:
                        break
                    data += chunk
                os.write(w, data)
                code = 0
            except BaseException as e:  # noqa: BLE001 - reported to the parent
                os.write(w, f"child: {e!r}".encode())
            finally:
                os._exit(code)
        os.close(w)
        got = b""
        dl = deadline_in(T_SHORT)
        while remaining(dl) > 0:
            chunk = os.read(r, 200)
            if not chunk:
                break
            got += chunk
        os.close(r)
        _, status = os.waitpid(pid, 0)
        assert got == b"BYE not allowed\n", got
        srv.wait_log(rf"admin: refused pid \d+ of uid {NOBODY}")
        # Our own uid is still served.
        assert Admin.attach(srv.admin_path).command("who")[1] == "OK"


def test_stale_socket_replaced_live_one_kept(ctx):
    with Tmp() as tmp:
        os.mkdir(tmp.path("run"), 0o700)
        path = tmp.path("run", "admin.sock")
        dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        dead.bind(path)
        dead.close()  # a socket file nobody listens on: a crashed server's
        with admin_server(ctx, tmp) as first:
            assert Admin.attach(path).command("who")[1] == "OK"
            with ctx.server("--admin", path) as second:
                second.wait_log(r"no admin socket: .*another server's \(it answers\)")
            # The second server's exit did not remove the first one's socket.
            a = Admin.attach(path)
            assert a.command("stats")[0][0].startswith(f"mode {ctx.mode}"), "wrong server"
            assert first.port != second.port


def test_default_path_and_none(ctx):
    """By default $XDG_RUNTIME_DIR/sockchat/PORT.sock, and the log says
    `sockchat-admin PORT`; --admin none opens nothing."""
    with Tmp() as tmp:
        env = {"XDG_RUNTIME_DIR": tmp.dir}
        with ctx.server(env=env) as srv:
            path = tmp.path("sockchat", f"{srv.port}.sock")
            srv.wait_log(rf"admin: sockchat-admin {srv.port} attaches \(socket "
                         + re.escape(path) + r"\)")
            assert Admin.attach(path).command("who")[1] == "OK"
        with ctx.server("--admin", "none", env=env) as srv:
            c = srv.plain()
            c.say("hi")
            c.expect(b"Message received")
            assert not os.path.exists(tmp.path("sockchat", f"{srv.port}.sock"))
            assert not any("admin" in line for line in srv.err), srv.log_tail()


def test_sigterm_says_bye(ctx):
    with Tmp() as tmp, admin_server(ctx, tmp) as srv:
        a = Admin.attach(srv.admin_path)
        a.command("subscribe events")
        srv.send_signal(signal.SIGTERM)
        a.event("info", lambda t: t.startswith("shutting down"))
        assert a.read_until(lambda l: l.startswith(b"BYE"))[0] == b"BYE shutting down"
        assert srv.wait() == 0


if __name__ == "__main__":
    run_tests(globals())
