#!/usr/bin/env python3
"""Access control (issue 6): --password / SOCKCHAT_PASSWORD, /auth for line
clients, --allow CIDR, the operator's ban. Skipped when the server has no
such options.

usage: test_access.py SERVER_BINARY [--mode M] [-k NAME]"""

import os
import select
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chatlib import (INTEROP, T_SHORT, Framed, Server, Skip, deadline_in,  # noqa: E402
                     remaining, run_tests)

PASS = "s3cret-Pass"


def _need(ctx, option):
    r = subprocess.run([ctx.binary, "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=T_SHORT)
    if option not in r.stdout.decode():
        raise Skip(f"the server has no {option}")


def test_framed_password(ctx):
    _need(ctx, "--password")
    with ctx.server("--password", PASS) as srv:
        ok = srv.connect()
        ok.sendline(f"HELLO sockchat/1 alice {PASS}")
        assert ok.readline().startswith(b"WELCOME alice "), "the right password was refused"
        ok.close()
        # No password at all is said so, and is no guess: closed at once.
        none = srv.connect()
        none.sendline("HELLO sockchat/1 mallory")
        lines = none.expect_eof()
        assert lines == [b"ERR auth this server needs a password"], lines
        none.close()
        delays = []
        for i in range(2):
            bad = srv.connect()
            bad.sendline(f"HELLO sockchat/1 mallory wrong{i}-{PASS}")
            t0 = time.monotonic()
            lines = bad.expect_eof(timeout=T_SHORT * 4)  # closes after a delay
            assert lines == [b"ERR auth wrong password"], lines
            delays.append(time.monotonic() - t0)
            print(f"  wrong password {i + 1}: closed after {delays[-1]:.1f}s")
            bad.close()
        # Repeated failures from one address are slowed down.
        assert delays[1] > delays[0] * 1.5, f"no slow-down of repeated failures: {delays}"


def test_plain_auth_before_anything(ctx):
    _need(ctx, "--password")
    ctx.require_multi()
    with ctx.server("--password", PASS) as srv:
        w = srv.framed(f"watcher {PASS}")
        assert w.nick == "watcher", w.welcome
        p = srv.plain()
        p.say("let me in")
        line = p.readline()
        assert line.startswith(b"error: "), line
        p.say("/ping not-yet")  # answered only after the password
        line = p.readline()
        assert line.startswith(b"error: this server needs a password"), line
        p.say(f"/auth {PASS}")
        p.say("now I am in")
        p.expect(b"Message received")
        m = w.wait_type("CHAT")
        assert m.text == b"now I am in", f"a line before /auth was relayed: {m}"
        bad = srv.plain()
        bad.say("/auth nope")
        lines = bad.expect_eof(timeout=T_SHORT * 4)
        assert lines and lines[0].startswith(b"error: "), lines


def test_preauth_messages_bounded(ctx):
    """Before the password a connection gets an error per message, and is
    closed after 10 of them: one that never reads cannot pile them up."""
    _need(ctx, "--password")
    with ctx.server("--password", PASS) as srv:
        p = srv.plain()
        p.send(b"".join(b"/ping %d\n" % i for i in range(50)))
        lines = p.expect_eof()
        assert len(lines) == 11, lines
        assert all(l.startswith(b"error: this server needs a password") for l in lines[:10]), lines
        assert lines[10] == b"error: 10 messages without the password; closing", lines
        srv.wait_log(r"closed after 10 messages without the password", stream="err")


def test_password_from_environment(ctx):
    """SOCKCHAT_PASSWORD works like --password and stays out of ps."""
    _need(ctx, "SOCKCHAT_PASSWORD")
    with Server(ctx.binary, mode=ctx.mode, env={"SOCKCHAT_PASSWORD": PASS}) as srv:
        with open(f"/proc/{srv.pid}/cmdline", "rb") as f:
            assert PASS.encode() not in f.read()
        ok = srv.connect()
        ok.sendline(f"HELLO sockchat/1 envy {PASS}")
        assert ok.readline().startswith(b"WELCOME envy ")
        ok.close()
        bad = srv.connect()
        bad.sendline("HELLO sockchat/1 envy2 wrong")
        assert bad.readline().startswith(b"ERR auth")


def test_tutorial_client_auth(ctx):
    """The tutorial's client can send /auth as a message; before it, its
    messages get an error reply and are not relayed."""
    _need(ctx, "--password")
    with ctx.server("--password", PASS) as srv:
        r = srv.raw()
        r.send(b"hello before auth")
        first = r.recv_some()
        assert first != b"Message received" and first, first
        r.send(f"/auth {PASS}".encode())
        r.recv_some()
        r.send(b"hello after auth")
        assert r.recv_exact_text(b"Message received") == b"Message received"


def _tutorial_client(srv, *lines):
    """tests/interop/client.py typing lines; its output (it may end in a
    traceback: it is the tutorial's, unimproved)."""
    host, port = srv.addr
    r = subprocess.run([sys.executable, os.path.join(INTEROP, "client.py"), host, str(port)],
                       input="".join(f"{l}\n" for l in lines).encode(), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=T_SHORT)
    return r.stdout.decode("utf-8", "replace")


def _refused_in_each_dialect(srv, text, code="kicked"):
    """A refusal reaches each dialect in its own form: a framed ERR line for
    sockchat, an 'error:' line for nc and telnet, one reply without newline
    for the tutorial's client; then the connection closes."""
    f = srv.connect()
    f.sendline("HELLO sockchat/1 bob")
    assert f.expect_eof() == [f"ERR {code} {text}".encode()]
    f.close()
    p = srv.connect()
    p.send(b"hi\n")
    assert p.expect_eof() == [f"error: {text}".encode()]
    p.close()
    t = srv.connect()
    t.send(b"hi\r\n")  # telnet
    assert t.expect_eof() == [f"error: {text}".encode()]
    t.close()
    r = srv.connect()
    r.send(b"hi")
    assert r.recv_some() == f"error: {text}".encode()  # no newline: one recv(1024)
    assert r.recv_some() == b""
    r.close()
    out = _tutorial_client(srv, "hello", "exit")
    assert f"Server response: error: {text}\n" in out, out
    assert "ERR" not in out, out
    # nc's user has not typed yet: told as a line within a second or so.
    s = srv.connect()
    t0 = time.monotonic()
    assert s.expect_eof() == [f"error: {text}".encode()]
    print(f"  a silent connection was told after {time.monotonic() - t0:.2f}s")
    s.close()


def test_allow(ctx):
    _need(ctx, "--allow")
    with ctx.server("--allow", "10.0.0.0/8", "--allow", "192.168.0.0/16") as srv:
        _refused_in_each_dialect(srv, "this server does not take connections from your address")
        srv.wait_log(r"127\.0\.0\.1:\d+ refused: not in --allow \(told as a plain client\)",
                     stream="err")
    with ctx.server("--allow", "10.0.0.0/8", "--allow", "127.0.0.1/32") as srv:
        c = srv.plain()
        c.say("hi")
        c.expect_you()
        assert c.readline() == b"Message received"


def test_allow_refuses_signs(ctx):
    """--allow 127.0.0.0/+8 was taken (strtoul reads a sign)."""
    _need(ctx, "--allow")
    for bad in ("127.0.0.0/+8", "127.0.0.0/ 8", "127.0.0.0/-8"):
        r = subprocess.run([ctx.binary, "--port", "0", "--allow", bad], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=T_SHORT)
        assert r.returncode == 64, (bad, r.returncode, r.stdout, r.stderr)
        assert b"bad --allow" in r.stderr, r.stderr


def test_console_ban(ctx):
    _need(ctx, "--allow")  # came with ban
    with ctx.server(tty=True) as srv:
        a = srv.framed("victim")
        a.sync()
        srv.console("ban 127.0.0.1")
        a.expect_eof()
        a.close()
        srv.wait_log(r"banned 127\.0\.0\.1", stream="out")
        _refused_in_each_dialect(srv, "your address is banned from this server")
        srv.console("unban 127.0.0.1")
        srv.wait_log(r"unbanned 127\.0\.0\.1", stream="out")
        srv.framed("back")


def test_ban_v4_mapped(ctx):
    """ban ::ffff:127.0.0.1 said it banned, and banned nobody: peers are
    shown (and matched) as 127.0.0.1."""
    with ctx.server(tty=True) as srv:
        a = srv.framed("victim")
        a.sync()
        srv.console("ban ::ffff:127.0.0.1")
        srv.wait_log(r"^banned 127\.0\.0\.1 until unban \(1 disconnected\)", stream="out")
        a.expect_eof()
        c = srv.connect()
        c.send(b"hi\n")
        assert c.expect_eof() == [b"error: your address is banned from this server"]


def test_full_in_each_dialect(ctx):
    """A full server's refusal, in each dialect's own form."""
    ctx.require_multi()  # single mode keeps the next one waiting instead
    with ctx.server("--max-clients", "1") as srv:
        a = srv.framed("alice")
        a.sync()
        _refused_in_each_dialect(srv, "server full (1 connection), try again later", code="full")
        srv.wait_log(r"refused: server full \(told as a tutorial client\)", stream="err")
        a.chat("still here")


def test_single_mode_flood_of_silent_refusals(ctx):
    """--mode single serves refused connections with its one thread too:
    30 silent ones (each would wait 1 s, then linger) must not keep an
    allowed client out for a minute. They share a small credit of time."""
    ctx.require_mode("single")
    with ctx.server("--allow", "127.0.0.2/32") as srv:
        silent = [srv.connect() for _ in range(30)]
        s = socket.socket()
        s.bind(("127.0.0.2", 0))
        s.connect(srv.addr)
        f = srv._track(Framed(s))
        t0 = time.monotonic()
        f.hello("allowed", timeout=T_SHORT)
        print(f"  an allowed client was served {time.monotonic() - t0:.2f}s after 30 silent "
              "refused connections")
        for c in silent:
            assert c.expect_eof() == [b"error: this server does not take connections from "
                                      b"your address"]


def test_sigterm_while_holding_a_guesser(ctx):
    """A wrong password holds its connection open for a while (1 s, doubling
    to 32 s) before closing it; a SIGTERM meanwhile must still end the server
    within its flush deadline, with exit code 0."""
    _need(ctx, "--password")
    n = 3  # the third failure in a row is held 4 s, past the 2 s flush deadline
    hold_ms = 1000 << (n - 1)
    with ctx.server("--password", PASS) as srv:
        for i in range(n):
            bad = srv.connect()
            bad.sendline(f"HELLO sockchat/1 guesser{i} wrong{i}")
            line = bad.readline()
            assert line == b"ERR auth wrong password", line
            if i < n - 1:
                bad.expect_eof(timeout=T_SHORT)  # the address is locked until then
                bad.close()
        srv.wait_log(rf"closing in {hold_ms} ms")
        # Our FIN is not read during the hold: once the hold gives way the
        # server sees it and need not linger.
        bad.shutdown_write()
        t0 = time.monotonic()
        srv.send_signal(signal.SIGTERM)
        rc = srv.wait(T_SHORT)
        elapsed = time.monotonic() - t0
        print(f"  exit {rc} {elapsed:.2f}s after SIGTERM, a {hold_ms} ms hold pending")
        assert rc == 0, f"exit code {rc}:\n{srv.log_tail()}"
        assert elapsed < 3.0, f"the server waited out the hold ({elapsed:.2f}s)"
        bad.expect_eof()


def test_parallel_guesses_are_not_judged(ctx):
    """After a wrong password the address is locked out for the delay: 20
    guesses sent at once get one answer, the rest are not judged, and even
    the right password must wait for the lock to end."""
    _need(ctx, "--password")
    ctx.require_multi()
    with ctx.server("--password", PASS) as srv:
        # Two failures first, each waited out: the next one locks the
        # address for 4 s, so the batch is judged once even on a machine
        # slow enough to spread it over seconds.
        for i in range(2):
            bad = srv.connect()
            bad.sendline(f"HELLO sockchat/1 early{i} nope{i}")
            assert bad.expect_eof(timeout=T_SHORT) == [b"ERR auth wrong password"]
            bad.close()
        conns = [srv.connect() for _ in range(20)]
        for i, c in enumerate(conns):
            c.sendline(f"HELLO sockchat/1 guesser{i} guess{i}")
        answers = [c.readline() for c in conns]
        wrong = [a for a in answers if a == b"ERR auth wrong password"]
        waits = [a for a in answers if a.startswith(b"ERR auth-wait ")]
        print(f"  20 parallel guesses: {len(wrong)} judged, {len(waits)} told to wait")
        assert len(wrong) == 1 and len(waits) == 19, answers
        right = srv.connect()
        right.sendline(f"HELLO sockchat/1 alice {PASS}")
        line = right.readline()
        assert line.startswith(b"ERR auth-wait "), f"judged during the lockout: {line!r}"
        # The lock ends after the failure's delay (4 s): then it is judged.
        dl = deadline_in(T_SHORT)
        while True:
            ok = srv.connect()
            ok.sendline(f"HELLO sockchat/1 alice {PASS}")
            line = ok.readline()
            if line.startswith(b"WELCOME alice "):
                break
            assert line.startswith(b"ERR auth-wait ") and remaining(dl) > 0, line
            ok.close()
            select.select([], [], [], 0.1)


if __name__ == "__main__":
    run_tests(globals())
