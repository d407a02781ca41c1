#!/usr/bin/env python3
"""Limits per address (issue 11, items 6-8): --max-per-addr, the rate of new
connections, chat tokens that survive a reconnect, password guessing from
many addresses. Linux lets a socket bind any 127.x.y.z as its source, so one
machine is many addresses here. Skipped when the server has no
--max-per-addr.

usage: test_peraddr.py SERVER_BINARY [--mode M] [-k NAME]"""

import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chatlib import T_SHORT, Skip, deadline_in, remaining, run_tests, scaled  # noqa: E402

PASS = "s3cret-Pass"
RATE, BURST = 10, 20  # the defaults (--help says so; checked below)
FULL_RE = re.compile(rb"^ERR full too many connections from your address \((\d+) at most\)")


def _need(ctx):
    r = subprocess.run([ctx.binary, "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=T_SHORT)
    out = r.stdout.decode()
    if "--max-per-addr" not in out:
        raise Skip("the server has no --max-per-addr")
    assert f"burst {BURST} (default {RATE};" in out, "the rate defaults changed: update the test"


def _hello(srv, nick, source="127.0.0.1", password=None):
    """A framed connection's first line after HELLO (and the connection)."""
    c = srv.connect(source=source)
    c.sendline(f"HELLO sockchat/1 {nick}" + (f" {password}" if password else ""))
    return c, c.readline()


def test_max_per_addr_default(ctx):
    _need(ctx)
    ctx.require_multi()
    with ctx.server() as srv:
        joined = []
        for i in range(64):
            c, line = _hello(srv, f"u{i}")
            assert line.startswith(b"WELCOME "), f"connection {i + 1}: {line!r}"
            joined.append(c)
        # The 65th from the same address, in each dialect's own form.
        c, line = _hello(srv, "one-too-many")
        assert FULL_RE.match(line) and FULL_RE.match(line).group(1) == b"64", line
        assert c.expect_eof() == [], "more after the refusal"
        p = srv.connect()
        p.sendline("hello")
        line = p.readline()
        assert line.startswith(b"error: too many connections from your address"), line
        r = srv.connect()
        r.send(b"hello")
        got = r.recv_exact_text(b"error: too many")
        assert got == b"error: too many", got
        # Another address is not concerned.
        c, line = _hello(srv, "elsewhere", source="127.0.0.2")
        assert line.startswith(b"WELCOME "), line
        srv.wait_log(r"refused: its address has --max-per-addr connections \(a class on one "
                     r"address needs it raised\)")


def test_max_per_addr_raised_and_off(ctx):
    _need(ctx)
    ctx.require_multi()
    with ctx.server("--max-per-addr", "100") as srv:
        for i in range(100):
            _, line = _hello(srv, f"u{i}")
            assert line.startswith(b"WELCOME "), f"connection {i + 1}: {line!r}"
        _, line = _hello(srv, "extra")
        assert FULL_RE.match(line) and FULL_RE.match(line).group(1) == b"100", line
    with ctx.server("--max-per-addr", "0") as srv:
        for i in range(150):
            _, line = _hello(srv, f"u{i}")
            assert line.startswith(b"WELCOME "), f"connection {i + 1}: {line!r}"
    for bad in ("-1", "x", "1000001"):
        r = subprocess.run([ctx.binary, "--max-per-addr", bad], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=T_SHORT)
        assert r.returncode == 64, (bad, r.returncode)
        assert b"bad --max-per-addr" in r.stderr, r.stderr


def test_new_connections_rate_limited(ctx):
    _need(ctx)
    with ctx.server("--max-per-addr", "3") as srv:
        for i in range(3):  # the burst: --max-per-addr at once
            c, line = _hello(srv, f"u{i}")
            assert line.startswith(b"WELCOME "), line
            c.sendline("MSG 1 exit")
            c.expect_eof()
            c.close()
        c, line = _hello(srv, "again")
        # 3 a minute: the next one 20 s after the first (less what the
        # three took, on a slow machine).
        m = re.match(rb"^ERR full too many new connections from your address; "
                     rb"try again in (\d+) s$", line or b"")
        assert m and 15 <= int(m.group(1)) <= 20, line
        c, line = _hello(srv, "other", source="127.0.0.3")
        assert line.startswith(b"WELCOME "), line


def test_reconnect_buys_no_tokens(ctx):
    """600 messages in 1.5 s from one address, reconnecting every 20 for a
    fresh burst, were all relayed; now a reconnect starts with what the
    last connection left. (--max-per-addr 0: the limits on connections
    do not come into it.)"""
    _need(ctx)
    ctx.require_multi()
    with ctx.server("--max-per-addr", "0") as srv:
        watcher = srv.framed("watcher", source="127.0.0.2")
        acked = refused = conns = 0
        t0 = time.monotonic()
        while time.monotonic() - t0 < 1.5:
            c, line = _hello(srv, f"flood{conns}")
            conns += 1
            assert line.startswith(b"WELCOME "), line
            for i in range(20):
                c.sendline(f"MSG {i + 1} flood {conns}-{i}")
            for _ in range(20):
                m = c.read_until(lambda l: l.startswith((b"ACK ", b"ERR ")))[0]
                if m.startswith(b"ACK "):
                    acked += 1
                else:
                    assert m.startswith(b"ERR slow-down "), m
                    refused += 1
            c.close()
        elapsed = time.monotonic() - t0
        seen = [m for m in watcher.sync() if m.type == "CHAT"]
        # A reconnect that reaches the server before it has seen the last
        # connection close is one more connection at once, as a second
        # person would be: the most is what the connections open at once
        # could send (usually 2; the log says how many there were).
        k = srv.most_online(conns, others=1)
        most = k * (BURST + RATE * elapsed) + 2
        print(f"  {conns} connections in {elapsed:.2f}s, at most {k} at once: {acked} relayed "
              f"(at most {most:.0f}), {refused} refused")
        assert len(seen) == acked, (len(seen), acked)
        assert acked <= most, f"{acked} relayed in {elapsed:.2f}s through reconnects (max {most:.0f})"
        assert acked >= BURST, acked


def test_nick_flood_through_reconnects(ctx):
    _need(ctx)
    with ctx.server("--max-per-addr", "0") as srv:
        changed = conns = 0
        t0 = time.monotonic()
        while time.monotonic() - t0 < 1.0:
            p = srv.plain()
            conns += 1
            p.say("/ping in")
            p.expect(b"pong in")
            for i in range(10):
                p.say(f"/nick n{conns}x{i}")
            for i in range(10):
                line = p.read_until(lambda l: b" is now known as " in l or
                                    l.startswith(b"error: "))[0]
                if not line.startswith(b"error: "):
                    changed += 1
                else:
                    assert line.startswith(b"error: slow down"), line
            p.close()
        elapsed = time.monotonic() - t0
        k = srv.most_online(conns)  # as above
        most = k * (BURST + RATE * elapsed) + 2
        print(f"  {conns} connections in {elapsed:.2f}s, at most {k} at once: {changed} nick "
              f"changes (at most {most:.0f})")
        assert changed <= most, f"{changed} nick changes in {elapsed:.2f}s (max {most:.0f})"


def test_thirty_behind_one_address_chat_freely(ctx):
    """A class on one machine: 30 people on 127.0.0.1, each sending at the
    full default rate for 3 s; nobody is slowed down by the others."""
    _need(ctx)
    ctx.require_multi()
    with ctx.server() as srv:
        people = [srv.framed(f"p{i}") for i in range(30)]
        for p in people:
            p.sock.setblocking(True)
        start = time.monotonic()
        sent = 0
        for tick in range(30):
            # 10 a second each, on schedule (a tick that starts late does
            # not catch up by sending faster).
            wait = start + tick / RATE - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            for p in people:
                p.msg(f"t{tick}")
                sent += 1
        for p in people:
            lines = p.sync(timeout=T_SHORT * 3)
            errs = [m for m in lines if m.type == "ERR"]
            assert not errs, f"{p.nick} was slowed down: {errs[:3]}"
        print(f"  {sent} messages from 30 connections of one address in "
              f"{time.monotonic() - start:.2f}s, none refused")


def _guess(srv, source, password, deadline):
    """One attempt from source; its first line (or None if refused)."""
    c = srv.connect(source=source)
    c.sendline(f"HELLO sockchat/1 g {password}")
    line = c.readline(deadline=deadline)
    c.close()
    return line


def test_guesses_from_many_addresses(ctx):
    """Every guess from 500 addresses was judged within about a second."""
    _need(ctx)
    ctx.require_multi()
    n = scaled(100, 20)
    with ctx.server("--password", PASS) as srv:
        dl = deadline_in(T_SHORT * 3)
        t0 = time.monotonic()
        judged = waited = 0
        for i in range(n):
            line = _guess(srv, f"127.0.{1 + i // 250}.{2 + i % 250}", f"guess{i}", dl)
            if line == b"ERR auth wrong password":
                judged += 1
            else:
                assert line.startswith(b"ERR auth-wait too many wrong passwords on this server "
                                       b"just now; try again in "), line
                waited += 1
        elapsed = time.monotonic() - t0
        most = 10 + elapsed + 1
        print(f"  {n} addresses in {elapsed:.2f}s: {judged} judged, {waited} told to wait "
              f"(at most {most:.0f} judged)")
        assert judged <= most, f"{judged} guesses judged in {elapsed:.2f}s"
        # A right password waits its turn too (else its being judged would
        # tell it apart): behind the turns already given out.
        line = _guess(srv, "127.0.9.9", PASS, deadline_in(T_SHORT))
        m = re.match(rb"^ERR auth-wait .*try again in (\d+) s$", line or b"")
        assert m, line
        assert int(m.group(1)) >= waited - elapsed - 2, (line, waited)


def test_lock_kept_while_others_guess(ctx):
    """Failures lived in 64 slots, the oldest pushed out: 64 other
    addresses guessing reset an address's lock."""
    _need(ctx)
    ctx.require_multi()
    with ctx.server("--password", PASS) as srv:
        dl = deadline_in(T_SHORT * 2)
        a = "127.0.5.1"
        assert _guess(srv, a, "wrong1", dl) == b"ERR auth wrong password"
        # Once the 1 s lock is over (asked every 0.1 s: an attempt while
        # locked is not judged and costs nothing), fail again: locked 2 s.
        while True:
            line = _guess(srv, a, "wrong2", dl)
            if line == b"ERR auth wrong password":
                break
            assert line.startswith(b"ERR auth-wait too many wrong passwords from your "), line
            assert remaining(dl) > 0, "the lock did not end"
            time.sleep(0.1)
        t0 = time.monotonic()
        for i in range(64):
            _guess(srv, f"127.0.6.{1 + i}", f"other{i}", dl)
        line = _guess(srv, a, PASS, dl)
        took = time.monotonic() - t0
        if took > 1.9:
            raise Skip(f"64 attempts took {took:.1f}s: the lock may be over anyway")
        assert line.startswith(b"ERR auth-wait too many wrong passwords from your address"), line


def test_class_with_the_password_not_slowed(ctx):
    """A class at the start of a lesson, all with the right password from
    one address at once: all in at once."""
    _need(ctx)
    ctx.require_multi()
    with ctx.server("--password", PASS) as srv:
        t0 = time.monotonic()
        for i in range(40):
            c = srv.connect()
            c.sendline(f"HELLO sockchat/1 s{i} {PASS}")
            line = c.readline()
            assert line.startswith(b"WELCOME "), f"student {i}: {line!r}"
        print(f"  40 in, {time.monotonic() - t0:.2f}s")


if __name__ == "__main__":
    run_tests(globals())
