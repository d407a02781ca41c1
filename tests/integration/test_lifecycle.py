#!/usr/bin/env python3
"""Server lifecycle: single mode's queueing, SIGTERM/SIGHUP with clients, a
background job, the listener at shutdown, limits, ports and addresses,
options.

usage: test_lifecycle.py SERVER_BINARY [--mode M] [-k NAME]"""

import fcntl
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import termios
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chatlib import (T_SHORT, TIMEOUT_SCALE, YOU_ARE_RE, Conn, Server, Skip,  # noqa: E402
                     deadline_in, remaining, run_tests)

HERE = os.path.dirname(os.path.abspath(__file__))


def test_single_mode_queues_second_client(ctx):
    """Single mode: a second client gets no reply until the first leaves."""
    ctx.require_mode("single")
    with ctx.server() as srv:
        a = srv.plain()
        a.say("first")
        a.expect_you()
        assert a.readline() == b"Message received"
        b = srv.plain()  # connect() succeeds: it waits in the backlog
        b.say("second")
        b.expect_silence(0.5)
        a.say("/ping still-mine")
        a.expect(b"pong still-mine")
        b.expect_silence(0.2)
        a.say("exit")
        assert a.readline() == b"Message received"
        a.expect_eof()
        a.close()  # as the tutorial's client does when it exits
        line, before = b.read_until(lambda l: l == b"Message received", T_SHORT)
        # Only history (the first client's line) and who it is come before
        # the reply.
        assert before == [b"<guest1> first", b"you are guest2; /nick NAME to change it"], before
        b.say("exit")
        assert b.readline() == b"Message received"
        b.expect_eof()


def test_single_mode_commands(ctx):
    """Commands work in single mode; a chat line is acknowledged."""
    ctx.require_mode("single")
    with ctx.server() as srv:
        f = srv.framed("solo")
        assert f.welcome.f(1) == "single", f.welcome
        f.chat("nobody hears me")
        lines = f.command("/stats")
        assert any(m.type == "OUT" and b"single" in m.text for m in lines), lines
        f.sendline("PING t1")
        f.wait_type("PONG", pred=lambda m: m.text == b"t1")


def _connect_all(srv, n):
    framed = [srv.framed(f"n{i}") for i in range(n - 2)]
    plain = [srv.plain() for _ in range(2)]
    for i, p in enumerate(plain):
        p.say(f"/ping ready{i}")
        p.expect(f"pong ready{i}".encode())
    for f in framed:
        f.sync()
    return framed, plain


def test_sigterm_notifies_everyone(ctx):
    """SIGTERM with 20 clients: each gets the shutdown notice, then EOF;
    the server exits 0."""
    ctx.require_multi()
    with ctx.server() as srv:
        framed, plain = _connect_all(srv, 20)
        srv.send_signal(signal.SIGTERM)
        for f in framed:
            lines = f.expect_eof(timeout=T_SHORT)
            assert b"SHUTDOWN it was told to stop (SIGTERM)" in lines, lines
        for p in plain:
            lines = p.expect_eof(timeout=T_SHORT)
            assert lines, "plain client got no shutdown notice"
        rc = srv.wait(T_SHORT)
        assert rc == 0, f"exit code {rc} after SIGTERM"


def test_sigterm_with_stuck_reader(ctx):
    """SIGTERM while a client that never reads has megabytes queued: the
    flush is bounded (2 s), the exit code still 0."""
    ctx.require_multi()
    with ctx.server("--rate", "0", "--quiet") as srv:
        stuck = srv.framed("stuck", rcvbuf=4096)
        f = srv.framed("flooder")
        pad = b"y" * 1000
        n = 2000  # ~2 MB: past what the kernel buffers, under the 4 MiB cut
        f.send(b"".join(b"MSG %d %s\n" % (i, pad) for i in range(1, n + 1)))
        f.next_id = n + 1
        f.wait_type("ACK", timeout=T_SHORT, pred=lambda m: m.f(0) == str(n))
        t0 = time.monotonic()
        srv.send_signal(signal.SIGTERM)
        rc = srv.wait(T_SHORT)
        elapsed = time.monotonic() - t0
        print(f"  exit {rc} after {elapsed:.2f}s with ~2 MB queued for a client that never reads")
        assert rc == 0, rc
        assert elapsed < 2.0 + 1.0 + 2.0 * TIMEOUT_SCALE, f"shutdown took {elapsed:.2f}s"
        stuck.close()


def _flood_log(srv, n=4000):
    """n logged messages (~170 bytes of log each, 680 KB in all: more than
    a pipe and the server's log buffer hold); returns once all are ACKed."""
    f = srv.framed("talker")
    pad = b"z" * 120
    f.send(b"".join(b"MSG %d %s\n" % (i, pad) for i in range(1, n + 1)))
    f.next_id = n + 1
    f.wait_type("ACK", timeout=T_SHORT, pred=lambda m: m.f(0) == str(n))
    return f


def test_stalled_log_does_not_stall_chat(ctx):
    """Nobody reads the server's stderr (a paused terminal, a pipe left
    full): chat goes on, log lines are dropped, and once the log is read
    again it says how many."""
    with ctx.server("--rate", "0", stall_err=True) as srv:
        f = _flood_log(srv)
        f.sync()
        srv.unstall_err()
        line = srv.wait_log(r"\d+ log lines? dropped: the log output was not being read",
                            stream="err")
        print(f"  {line}")
        assert srv.stop() == 0


def test_sigterm_with_stalled_log(ctx):
    """SIGTERM while the log is not being read: the server still exits, 0."""
    with ctx.server("--rate", "0", stall_err=True) as srv:
        _flood_log(srv)
        t0 = time.monotonic()
        srv.send_signal(signal.SIGTERM)
        rc = srv.wait(T_SHORT)
        print(f"  exit {rc} {time.monotonic() - t0:.2f}s after SIGTERM, the log stalled")
        assert rc == 0, rc


def test_sigint_single_client(ctx):
    """SIGINT in any mode: the connected client is told, exit code 0."""
    with ctx.server() as srv:
        f = srv.framed("lonely")
        f.sync()
        srv.send_signal(signal.SIGINT)
        lines = f.expect_eof()
        assert b"SHUTDOWN the operator pressed Ctrl-C" in lines, lines
        assert srv.wait() == 0


def test_sigterm_idle(ctx):
    with ctx.server() as srv:
        assert srv.stop() == 0


def test_max_clients(ctx):
    """--max-clients N: the next one gets an error line and is closed; once
    someone leaves, a newcomer is served again."""
    ctx.require_multi()
    with ctx.server("--max-clients", "3") as srv:
        cs = [srv.framed(f"m{i}") for i in range(3)]
        extra = srv.connect()
        extra.sendline("HELLO sockchat/1 extra")
        lines = extra.expect_eof()
        assert lines, "the client over the limit got no error line"
        assert any(b"full" in l.lower() or l.startswith(b"ERR") or l.startswith(b"error")
                   for l in lines), lines
        assert not any(l.startswith(b"WELCOME") for l in lines), lines
        extra.close()
        cs[0].msg("/quit")
        cs[0].expect_eof()
        cs[0].close()  # as a client does after EOF: the slot is freed then
        cs[1].wait_type("LEAVE", pred=lambda m: m.nick == "m0")
        # The server frees the slot when it sees our close (at the latest
        # after its linger time); poll until a newcomer is served.
        dl = deadline_in(T_SHORT)
        tries = 0
        while True:
            tries += 1
            c = srv.connect()
            c.sendline("HELLO sockchat/1 again")
            line = c.readline()
            if line is not None and line.startswith(b"WELCOME"):
                break
            c.close()
            assert remaining(dl) > 0, f"still refused after someone left: {line!r}"
            select.select([], [], [], 0.05)
        print(f"  a newcomer was served after {tries} attempt(s)")


UNJOINED_EVICT_S = 10  # server.h UNJOINED_EVICT_MS


def test_full_server_makes_room(ctx):
    """Full, partly with connections that never joined (silent sockets):
    once one has been there 10 s, the oldest is closed to make room for a
    newcomer. Joined users are never touched."""
    ctx.require_multi()
    with ctx.server("--max-clients", "3") as srv:
        alice = srv.framed("alice")
        t0 = time.monotonic()
        # One at a time: in pool mode two connections made at once may be
        # registered by two workers in either order, and the test must know
        # which one is the oldest (a silent connection is logged only when
        # it leaves, so /who tells when it is in).
        silent = []
        for n in (2, 3):
            silent.append(srv.connect())
            dl = deadline_in(T_SHORT)
            while not any(m.text.startswith(b"%d connected" % n) for m in alice.command("/who *")):
                assert remaining(dl) > 0, "the silent connections were not admitted"
        dl = deadline_in(T_SHORT + UNJOINED_EVICT_S)
        tries = 0
        while True:
            tries += 1
            c = srv.connect()
            c.sendline("HELLO sockchat/1 newcomer")
            line = c.readline()
            if line is not None and line.startswith(b"WELCOME"):
                break
            assert line is not None and b"full" in line, line
            c.close()
            assert remaining(dl) > 0, "a full server of silent sockets made no room"
            select.select([], [], [], 0.25)
        waited = time.monotonic() - t0
        print(f"  a newcomer was served after {waited:.1f}s ({tries} attempts)")
        # (less 10 ms: the server counts whole milliseconds)
        assert waited >= UNJOINED_EVICT_S - 0.01, f"a connection was closed after {waited:.2f}s"
        silent[0].expect_eof()  # the oldest
        # Logged once, when it leaves, as one that never joined.
        srv.wait_log(r"guest2\s+left before joining \(not joined while the server was full\)")
        alice.sync()
        assert not any("guest3" in l and "left" in l for l in srv.err), srv.log_tail()


def test_port_in_use(ctx):
    """A port in use: one clear line on stderr and a non-zero exit."""
    with ctx.server() as srv:
        other = Server(ctx.binary, mode=ctx.mode, port=srv.port, expect_listen=False)
        rc = other.wait(T_SHORT)
        other.join_output()
        assert rc != 0, "second server on the same port exited 0"
        err = [l for l in other.err if l.strip()]
        assert err, "no error message on stderr"
        assert len(err) <= 3, f"expected one clear line, got {err}"
        text = " ".join(err).lower()
        assert "in use" in text or str(srv.port) in text, err
        assert not any(l.startswith("listening on") for l in other.out), other.out
        print(f"  stderr: {err[0]}")


def test_bad_bind_address(ctx):
    other = Server(ctx.binary, mode=ctx.mode, bind="256.1.2.3", expect_listen=False)
    rc = other.wait(T_SHORT)
    other.join_output()
    assert rc != 0
    assert [l for l in other.err if l.strip()], "no error message on stderr"
    print(f"  stderr: {other.err[0]}")


def test_listen_failure_exit_status(ctx):
    """Why listening failed is told by the exit status (sysexits.h), from
    what net_listen found, not from its message's wording: an address that
    does not resolve is a usage error (64), a port in use the system's (69)."""
    bad = Server(ctx.binary, mode=ctx.mode, bind="no.such.host.invalid", expect_listen=False)
    assert bad.wait(T_SHORT) == 64
    bad.join_output()
    with ctx.server() as srv:
        other = Server(ctx.binary, mode=ctx.mode, port=srv.port, expect_listen=False)
        assert other.wait(T_SHORT) == 69
        other.join_output()


def _have_ipv6_loopback():
    if not socket.has_ipv6:
        return False
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


def test_bind_ipv6_loopback(ctx):
    if not _have_ipv6_loopback():
        raise Skip("this machine has no IPv6 loopback (::1)")
    with ctx.server(bind="::1") as srv:
        assert srv.host == "::1", srv.host
        c = srv.plain(family=socket.AF_INET6)
        c.say("over ipv6")
        c.expect_you()
        assert c.readline() == b"Message received"
        c.close()  # single mode serves the next one only then
        f = srv.framed("six", family=socket.AF_INET6)
        f.chat("hello ::1")


def test_bind_ipv6_any_dual_stack(ctx):
    """--bind :: serves IPv6 and, where the system allows (bindv6only=0,
    the Linux default), IPv4 too."""
    if not _have_ipv6_loopback():
        raise Skip("this machine has no IPv6 loopback (::1)")
    with ctx.server("--history", "0", bind="::") as srv:
        c6 = Conn.connect(("::1", srv.port))
        srv.conns.append(c6)
        c6.send(b"six\n")
        c6.expect_you()
        assert c6.readline() == b"Message received"
        c6.close()  # single mode serves the next one only then
        try:
            with open("/proc/sys/net/ipv6/bindv6only") as f:
                v6only = f.read().strip() == "1"
        except OSError:
            v6only = False
        if v6only:
            print("  net.ipv6.bindv6only=1 here: IPv4 through :: not checked")
            return
        c4 = Conn.connect(("127.0.0.1", srv.port))
        srv.conns.append(c4)
        c4.send(b"four\n")
        # The first client's leave may be announced after we joined.
        _, before = c4.read_until(lambda l: l == b"Message received")
        assert all(l.startswith(b"*** ") or YOU_ARE_RE.match(l) for l in before), before


def test_default_bind_all_interfaces(ctx):
    """Without --bind the server listens on every interface (the tutorial's
    students connect from their laptops): reachable on 127.0.0.1."""
    with ctx.server(bind=None) as srv:
        c = srv.connect()  # srv.addr maps 0.0.0.0 or :: to loopback
        c.send(b"hi\n")
        c.expect_you()
        assert c.readline() == b"Message received"
        # The teacher is told what the class should type: this machine's
        # addresses (from getifaddrs, not looked up here), with the port.
        line = srv.wait_log(r"others connect to ", stream="err")
        print(f"  {line}")
        assert re.search(r"others connect to \S+:%d" % srv.port,
                         line), line
        assert ("127.0.0.1:%d," % srv.port not in line or "from this machine only" in line), \
            "loopback offered to others: " + line
    with ctx.server() as srv:  # one address: nothing more to say
        p = srv.plain()
        p.say("hi")
        p.expect(b"Message received")
        srv.wait_log(r"joined \(plain client", stream="err")  # logged after the start lines
        assert not any("others connect to" in l for l in srv.err), srv.err


def test_help_lists_options(ctx):
    r = subprocess.run([ctx.binary, "--help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=T_SHORT)
    assert r.returncode == 0, r.returncode
    text = (r.stdout + r.stderr).decode()
    for opt in ("--bind", "--port", "--mode", "--max-clients", "--name", "--history", "--rate",
                "--quiet", "--help"):
        assert opt in text, f"--help does not mention {opt}"
    r = subprocess.run([ctx.binary, "--no-such-option"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=T_SHORT)
    assert r.returncode != 0


def test_log_lines(ctx):
    """The log names connects, nick changes, messages and disconnects with
    their reason; --quiet leaves out the messages only."""
    for quiet in (False, True):
        args = ["--quiet"] if quiet else []
        with ctx.server(*args) as srv:
            f = srv.framed("logged")
            f.chat("a line for the log")
            f.command("/nick renamed")
            f.msg("/quit bye")
            f.expect_eof()
            f.close()
            srv.wait_log(r"renamed.*\bquit\b|\bquit\b.*renamed", stream="any")
            assert srv.stop() == 0
            log = "\n".join(srv.out + srv.err)
        assert "127.0.0.1" in log and "logged" in log, log
        assert ("a line for the log" in log) != quiet, f"--quiet={quiet}:\n{log}"
        # Made to be read on a projector: the date once, on a line of its
        # own; every event line starts with the time of day only.
        assert re.match(r"---- \d{4}-\d\d-\d\d, \w+ ----$", srv.err[0]), srv.err[:2]
        events = [l for l in srv.err if not l.startswith("----")]
        assert all(re.match(r"\d\d:\d\d:\d\d  \S", l) for l in events), events
        says = [l for l in events if "says: a line for the log" in l]
        assert quiet or (says and says[0].index("says:") <= 45), says


def test_log_one_line_per_arrival(ctx):
    """One line per arrival, at the join, with the nick it ends up with and
    its address ("guest1 connected", then "ada joined as ada" read badly on a
    projector); a connection that never joins is logged once, when it
    leaves; a kick's reason reads 'kicked: REASON'."""
    ctx.require_multi()
    with ctx.server(tty=True) as srv:
        ada = srv.framed("ada")
        ada.sync()
        srv.wait_log(r"^\d\d:\d\d:\d\d  127\.0\.0\.1:\d+\s+ada\s+"
                     r"joined \(sockchat client, 1 online\)$", stream="err")
        silent = srv.connect()
        silent.shutdown_write()
        silent.expect_eof()
        srv.wait_log(r"127\.0\.0\.1:\d+\s+guest2\s+left before joining \(quit\)$", stream="err")
        srv.console("kick ada spamming the room")
        ada.expect_eof()
        srv.wait_log(r"\bada\s+disconnected \(kicked: spamming the room\)$", stream="err")
        events = [l for l in srv.err if not l.startswith("----")]
        assert not [l for l in events if re.search(r"\bconnected$|joined as", l)], events
        assert len([l for l in events if "guest2" in l]) == 1, events
        assert len([l for l in events if re.search(r"\bada\s+joined", l)]) == 1, events


def test_nofile_limit_raised(ctx):
    """The server raises its soft RLIMIT_NOFILE to the hard limit."""
    with ctx.server() as srv:
        with open(f"/proc/{srv.pid}/limits") as f:
            line = next(l for l in f if l.startswith("Max open files"))
        soft, hard = line.split()[3:5]
        assert soft == hard, f"soft {soft} != hard {hard}"


def _tcp_timer(local_port, remote_port):
    """The kernel's timer on the ESTABLISHED socket local_port -> remote_port,
    from /proc/net/tcp{,6}: (kind, seconds left) or None if not listed.
    Kinds: 0 none, 1 retransmit, 2 keepalive, 4 zero-window probe."""
    hz = os.sysconf("SC_CLK_TCK")
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(name) as f:
            next(f)
            for line in f:
                fields = line.split()
                local, remote, state, timer = fields[1], fields[2], fields[3], fields[5]
                if (state == "01" and int(local.rsplit(":", 1)[1], 16) == local_port
                        and int(remote.rsplit(":", 1)[1], 16) == remote_port):
                    kind, when = timer.split(":")
                    return int(kind, 16), int(when, 16) / hz
    return None


def test_keepalive_finds_vanished_peers(ctx):
    """Every accepted connection has TCP keepalive armed, so a laptop that
    vanishes without a FIN (lid closed, Wi-Fi gone) is found within about
    two minutes instead of holding its slot forever. The test's own end has
    no keepalive: it shows the timer field is read right."""
    with ctx.server() as srv:
        c = srv.framed("idle")
        c.sync()
        srv_port = srv.addr[1]
        my_port = c.sock.getsockname()[1]
        dl = deadline_in(T_SHORT)
        while True:
            theirs = _tcp_timer(srv_port, my_port)
            mine = _tcp_timer(my_port, srv_port)
            assert theirs is not None and mine is not None, "connection not in /proc/net/tcp*"
            if theirs[0] == 2 or remaining(dl) <= 0:
                break
            time.sleep(0.05)  # a retransmit timer may still run just after the sync
        assert theirs[0] == 2, f"server's socket has timer {theirs}, not keepalive"
        assert 0 < theirs[1] <= 60, f"keepalive fires in {theirs[1]} s, not within 60"
        assert mine[0] != 2, f"the test's own socket has keepalive: {mine}"


def test_name_in_welcome(ctx):
    with ctx.server("--name", "classroom") as srv:
        f = srv.framed("kid")
        assert f.welcome.f(0) == "kid"
        assert f.welcome.f(1) == ctx.mode, f.welcome
        assert f.welcome.text == b"classroom", f.welcome
        assert srv.mode == ctx.mode


def test_operator_console(ctx):
    """With a terminal on stdin: who and stats print, say reaches everyone
    as a NOTICE, kick disconnects with the reason announced, quit shuts
    down as SIGTERM does."""
    ctx.require_multi()
    with ctx.server(tty=True) as srv:
        a = srv.framed("alice")
        b = srv.framed("bob")
        p = srv.plain()
        p.say("/nick carol")
        a.wait_type("NICK", pred=lambda m: m.f(1) == "carol")
        srv.console("who")
        srv.wait_log(r"\bbob\b.*127\.0\.0\.1", stream="out")
        srv.console("stats")
        srv.wait_log(r"mode " + ctx.mode + r".*3 clients", stream="out")
        srv.console("say the lesson starts now")
        for c in (a, b):
            m = c.wait_type("NOTICE")
            assert m.text == b"the lesson starts now", m
        p.expect(lambda l: l.endswith(b"the lesson starts now"))
        srv.console("kick bob stop that")
        lines = b.expect_eof()
        assert any(b"kicked" in l for l in lines), lines
        b.close()  # as clients do on EOF (see test_kick_without_close)
        m = a.wait_type("LEAVE", pred=lambda m: m.nick == "bob")
        assert m.text.startswith(b"kicked") and b"stop that" in m.text, m
        srv.console("kick nobody")
        srv.wait_log(r"no such nick", stream="out")
        srv.console("help")
        srv.wait_log(r"kick", stream="out")
        srv.console("quit")
        lines = a.expect_eof()
        assert any(l.startswith(b"SHUTDOWN") for l in lines), lines
        assert srv.wait() == 0


def test_console_eof(ctx):
    """Ctrl-D at the operator console: the server says it keeps running
    (and does), instead of going deaf in silence."""
    with ctx.server(tty=True) as srv:
        os.write(srv.tty_master, b"\x04")  # Ctrl-D: end of input on the tty
        srv.wait_log(r"console closed \(end of input\); the server keeps running", stream="err")
        p = srv.plain()
        p.say("still here?")
        p.expect_you()
        assert p.readline() == b"Message received"
        assert srv.stop() == 0


def test_kick_without_close(ctx):
    """A kicked client that does not close its end on EOF: the others still
    learn of the leave (once the server's linger time is over). In pool
    mode that LEAVE is queued by the worker's closing sweep, after its
    pending work ran; the worker must not sleep on it."""
    ctx.require_multi()
    with ctx.server(tty=True) as srv:
        a = srv.framed("alice")
        b = srv.framed("bob")
        a.sync()
        srv.console("kick bob stop that")
        b.expect_eof()  # and keep the socket open
        m = a.wait_type("LEAVE", pred=lambda m: m.nick == "bob")
        assert m.text.startswith(b"kicked"), m


def _proc_state(pid):
    """The state letter of /proc/PID/stat: R, S, T (stopped), Z..."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def _cpu_seconds(pid):
    """User + system CPU time pid has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_background_job(ctx):
    """Started as a background job (`sockchat-server &` in an interactive
    shell: stdin the terminal, another process group in its foreground),
    with the shell's input pending on that terminal: the server serves and
    is never stopped (the old console read it and got SIGTTIN), does not
    spin on the pending input, takes operator commands once brought to the
    foreground, and exits 0 on SIGTERM within a couple of seconds."""
    with ctx.server(tty=True, wrapper=[sys.executable, os.path.join(HERE, "bgjob.py")]) as srv:
        pid = int(re.search(r"job (\d+)", srv.wait_log(r"^bgjob: job \d+ in the background",
                                                       stream="err")).group(1))
        srv.console("echo typed to the shell")  # pending: nobody reads it
        p = srv.plain()
        for i in range(3):
            srv.console(f"ls {i}")
            p.say(f"hello {i}")
            if i == 0:
                p.expect_you()  # joined with its first line
            assert p.readline() == b"Message received", f"message {i} not answered"
            assert _proc_state(pid) != "T", "the server was stopped"
        # The pending input stays readable: a console that polled it while
        # in the background would spin. Measured over a second (one look
        # for `fg` falls inside it).
        cpu0, t0 = _cpu_seconds(pid), time.monotonic()
        select.select([], [], [], 1.0)
        cpu, wall = _cpu_seconds(pid) - cpu0, time.monotonic() - t0
        print(f"  {cpu:.2f} s of CPU in {wall:.2f} s in the background, input pending")
        assert cpu < 0.5 * wall, f"{cpu:.2f} s of CPU in {wall:.2f} s: spinning"
        assert not any("stopped by signal" in l for l in srv.err), srv.err
        srv.wait_log(r"console: in the background; it reads once in the foreground \(fg\)",
                     stream="err")
        p.close()  # single mode: let the console's stats count no one

        os.kill(srv.pid, signal.SIGUSR1)  # fg
        srv.wait_log(r"console: in the foreground", stream="err")
        srv.console("stats")
        srv.wait_log(r"^mode " + ctx.mode + r", up ", stream="out")
        t0 = time.monotonic()
        srv.send_signal(signal.SIGTERM)  # bgjob passes it on
        rc = srv.wait(T_SHORT)
        elapsed = time.monotonic() - t0
        print(f"  exit {rc} {elapsed:.2f}s after SIGTERM")
        assert rc == 0, rc
        assert elapsed < 2.0 * TIMEOUT_SCALE, f"SIGTERM took {elapsed:.2f}s"
        srv.join_output()
        assert any(re.search(r"stopped \(SIGTERM\)$", l) for l in srv.err), srv.log_tail()


def test_sighup_is_a_clean_stop(ctx):
    """SIGHUP (the terminal or ssh session that started the server closed):
    like SIGTERM, every client is told why, the transcript holds what was
    acknowledged, exit status 0 and `stopped (SIGHUP)` in the log."""
    path = os.path.join(os.environ.get("TMPDIR", "/tmp"),
                        f"sockchat-hup-{os.getpid()}-{ctx.mode}.log")
    try:
        with ctx.server("--transcript", path) as srv:
            f = srv.framed("ada")
            f.chat("written before the hang-up")
            plain = srv.plain() if ctx.mode != "single" else None
            if plain:
                plain.say("/ping here")
                plain.expect(b"pong here")
            srv.send_signal(signal.SIGHUP)
            lines = f.expect_eof()
            assert b"SHUTDOWN its terminal was closed" in lines, lines
            if plain:
                lines = plain.expect_eof()
                assert b"*** server shutting down: its terminal was closed" in lines, lines
            rc = srv.wait()
            assert rc == 0, f"exit code {rc} after SIGHUP"
            srv.join_output()
            assert any(re.search(r"stopped \(SIGHUP\)$", l) for l in srv.err), srv.log_tail()
        with open(path, "rb") as t:
            assert b" ada written before the hang-up\n" in t.read()
    finally:
        if os.path.exists(path):
            os.unlink(path)


def test_sighup_ignored_under_nohup(ctx):
    """Under nohup(1) SIGHUP is ignored when the server starts: it stays
    ignored (a blocked signal would be queued for the signalfd even so), the
    log says so, and the server keeps serving after a SIGHUP."""
    nohup = shutil.which("nohup")
    if nohup is None:
        raise Skip("no nohup here")
    with ctx.server(wrapper=[nohup]) as srv:
        srv.wait_log(r"SIGHUP is ignored \(nohup\)", stream="err")
        with open(f"/proc/{srv.pid}/status") as st:
            ign = next(int(l.split()[1], 16) for l in st if l.startswith("SigIgn:"))
        assert ign & (1 << (signal.SIGHUP - 1)), f"SIGHUP not ignored: SigIgn {ign:x}"
        srv.send_signal(signal.SIGHUP)  # discarded at once: it is ignored
        f = srv.framed("night")
        f.chat("still here")
        srv.send_signal(signal.SIGTERM)
        assert b"SHUTDOWN it was told to stop (SIGTERM)" in f.expect_eof()
        assert srv.wait() == 0


def _unsent(sock):
    """Bytes in sock's send queue that the peer has not acknowledged yet."""
    return struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0" * 4))[0]


def test_shutdown_refuses_new_connections(ctx):
    """While the shutdown drains (here: a client that never reads has
    megabytes queued, which keeps the server at it for up to 2 s), a new
    connection is refused instead of accepted by the kernel's backlog and
    reset later, which reconnecting clients took as a failure to back off."""
    with ctx.server("--rate", "0", "--quiet") as srv:
        stuck = srv.framed("stuck", rcvbuf=4096)
        token = b"t" * 1000
        # ~2.5 MB of PONGs to a reader that never reads: past what the
        # kernel buffers, under the 4 MiB cut.
        stuck.send(b"".join(b"PING %s%d\n" % (token, i) for i in range(2500)))
        # sendall() returns once our kernel holds the bytes: wait until the
        # server's has them all, so that its queue for us is long.
        dl = deadline_in(T_SHORT)
        while _unsent(stuck.sock) > 0:
            assert remaining(dl) > 0, f"the server stopped reading: {_unsent(stuck.sock)} unsent"
            select.select([], [], [], 0.01)
        srv.send_signal(signal.SIGTERM)
        srv.wait_log(r"shutting down", stream="err")
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(T_SHORT)
        try:
            s.connect(srv.addr)
            s.close()
            raise AssertionError("a connection was accepted during the shutdown drain")
        except ConnectionRefusedError:
            pass
        assert srv.alive(), "the server had already exited: nothing was draining"
        assert srv.wait(T_SHORT) == 0
        stuck.close()


def test_shutdown_log_line(ctx):
    """Every mode logs the same line when it starts shutting down, with the
    count in the right number."""
    for sig, clients in ((signal.SIGINT, 1), (signal.SIGTERM, 0)):
        with ctx.server() as srv:
            if clients:
                p = srv.plain()
                p.say("/ping ready")
                p.expect(b"pong ready")
            srv.send_signal(sig)
            want = "1 client" if clients else "0 clients"
            srv.wait_log(r"shutting down: telling %s$" % want, stream="err")
            assert srv.wait() == 0


def test_stats_wording(ctx):
    """/stats and the console's stats with one client: `1 client`."""
    with ctx.server(tty=True) as srv:
        f = srv.framed("solo")
        lines = f.command("/stats")
        outs = [m.text for m in lines if m.type == "OUT"]
        assert any(re.search(rb", 1 client now \(1 in the room\)", t) for t in outs), outs
        srv.console("stats")
        line = srv.wait_log(r"^mode .* now \(", stream="out")
        assert re.search(r", 1 client now \(1 in the room\)", line), line


if __name__ == "__main__":
    run_tests(globals())
