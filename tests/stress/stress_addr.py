#!/usr/bin/env python3
"""Stress 7, one address and many (issue 11, items 6-8): what an attacker can
do at most, measured. Linux lets a socket bind any 127.x.y.z as its source,
so one machine is many addresses.

- connections: N connections from one address as fast as it can (the issue:
  1,000 joined in 1 s): at most --max-per-addr (64) get in, the rest are
  refused; another address still gets in;
- messages: the reconnect flood (reconnecting every 20 messages for a fresh
  burst; the issue: 600 relayed in 1.5 s), then --max-per-addr connections
  flooding at once, closed and opened again: the most one address can send,
  and reconnecting adds nothing to it;
- guesses: A addresses (127.0.1.2 ...) guessing the password for D seconds,
  each coming back as soon as it is told: judged guesses <= 10 + D (the
  server-wide limit), and the guesses per hour that makes;
- memory: connections from M distinct addresses, each leaving a wrong
  password behind (a turn reserved: the entry is kept): the table stays
  within its bound (console `stats`), RSS per address remembered.

usage: stress_addr.py SERVER_BINARY [--mode M] [--size F]
--size 1 is the full size (1,000 connections, 500 guessing addresses for
60 s, 6,000 addresses); CI runs the default 0.2."""

import heapq
import os
import re
import select
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
from chatlib import (SCALE, T_SHORT, Conn, Skip, deadline_in, raise_nofile,  # noqa: E402
                     remaining, run_tests, sanitizer_of)

DEFAULT_SIZE = 0.2
FULL_CONNS = 1000
FULL_GUESSERS = 500
FULL_GUESS_S = 60
FULL_TABLE = 6000
PASS = "s3cret-Pass"
# The server's figures (docs/PROTOCOL.md section 12; --help says them too).
MAX_PER_ADDR, RATE, BURST = 64, 10, 20
JUDGE_BURST, JUDGE_RATE, TURN_GRACE_S = 10, 1, 30
PEERS_SPARE = 4096


def _size(ctx):
    return (ctx.size if ctx.size is not None else DEFAULT_SIZE) * SCALE


def _need(ctx):
    import subprocess
    out = subprocess.run([ctx.binary, "--help"], stdout=subprocess.PIPE,
                         timeout=T_SHORT).stdout.decode()
    if "--max-per-addr" not in out:
        raise Skip("the server has no --max-per-addr")


def _addr(i, base=1):
    """The i-th loopback address from 127.<base>.0.2 on."""
    return f"127.{base + i // 62500}.{(i // 250) % 250}.{2 + i % 250}"


def _first_line(srv, line, source=None, deadline=None):
    c = Conn.connect(srv.addr, source=source)
    c.sendline(line)
    got = c.readline(deadline=deadline or deadline_in(T_SHORT))
    return c, got


def test_connections_from_one_address(ctx):
    _need(ctx)
    ctx.require_multi()
    raise_nofile()
    n = max(100, int(FULL_CONNS * _size(ctx)))
    with ctx.server("--quiet") as srv:
        kept, welcomed, refused = [], 0, 0
        t0 = time.monotonic()
        for i in range(n):
            c, line = _first_line(srv, f"HELLO sockchat/1 u{i}")
            if line.startswith(b"WELCOME "):
                welcomed += 1
                kept.append(c)
            else:
                assert line.startswith(b"ERR full too many "), line
                refused += 1
                c.close()
        took = time.monotonic() - t0
        other, line = _first_line(srv, "HELLO sockchat/1 elsewhere", source="127.0.0.2")
        assert line.startswith(b"WELCOME "), f"another address was refused: {line!r}"
        print(f"  {n} connections from one address in {took:.2f}s: {welcomed} joined, "
              f"{refused} refused in their dialect; another address still joins")
        assert welcomed == MAX_PER_ADDR, welcomed
        for c in kept + [other]:
            c.close()


class Flooder:
    """A raw-dialect connection (no broadcasts to read) sending a message
    every `gap` seconds and counting the replies."""

    def __init__(self, srv, gap):
        self.c = Conn.connect(srv.addr)
        self.gap = gap
        self.next = 0.0
        self.waiting = False
        self.ok = self.slow = 0
        self.refused = False

    def due(self, now):
        return not self.waiting and not self.refused and now >= self.next

    def send(self, now):
        self.c.send(b"flood")
        self.waiting = True
        self.next = now + self.gap

    def readable(self):
        data = self.c.sock.recv(4096)
        if not data:
            self.refused = True
            return
        if data.startswith(b"Message received"):
            self.ok += 1
        elif data.startswith(b"error: slow down"):
            self.slow += 1
        elif data.startswith(b"error: too many"):
            self.refused = True
        else:
            raise AssertionError(f"unexpected reply {data[:100]!r}")
        self.waiting = False


def _flood(flooders, seconds):
    end = time.monotonic() + seconds
    while True:
        now = time.monotonic()
        if now >= end:
            break
        for f in flooders:
            if f.due(now):
                f.send(now)
        live = [f for f in flooders if f.waiting]
        socks = {f.c.sock: f for f in live}
        r, _, _ = select.select(list(socks), [], [], 0.005)
        for s in r:
            socks[s].readable()
    # The last replies.
    dl = deadline_in(T_SHORT)
    for f in flooders:
        while f.waiting and not f.refused and remaining(dl) > 0:
            r, _, _ = select.select([f.c.sock], [], [], remaining(dl))
            if r:
                f.readable()


def test_messages_from_one_address(ctx):
    _need(ctx)
    ctx.require_multi()
    raise_nofile()
    secs = 5.0 if _size(ctx) >= 1 else 2.0
    with ctx.server("--quiet") as srv:
        # The flood: reconnect every 20 messages for a fresh burst.
        relayed, conns, joined = 0, 0, 0
        t0 = time.monotonic()
        while time.monotonic() - t0 < 1.5:
            c, line = _first_line(srv, "HELLO sockchat/1 flood")
            conns += 1
            if line.startswith(b"WELCOME "):
                joined += 1
                for i in range(20):
                    c.sendline(f"MSG {i + 1} x")
                for _ in range(20):
                    m = c.read_until(lambda l: l.startswith((b"ACK ", b"ERR ")))[0]
                    relayed += m.startswith(b"ACK ")
            c.close()
        took = time.monotonic() - t0
        # A reconnect the server has not yet seen close is one more
        # connection at once: the most is what those could send.
        k = srv.most_online(joined)
        most = k * (BURST + RATE * took) + 2
        print(f"  reconnect flood: {conns} connections in {took:.2f}s ({joined} joined, at most "
              f"{k} at once), {relayed} relayed (at most {most:.0f}: {k} connections' worth)")
        assert relayed <= most, relayed

    with ctx.server("--quiet") as srv:
        # The most: --max-per-addr connections at once, each 4x over the rate.
        gap = 1.0 / (4 * RATE)
        fl = [Flooder(srv, gap) for _ in range(MAX_PER_ADDR)]
        t0 = time.monotonic()
        _flood(fl, secs)
        first = sum(f.ok for f in fl)
        t1 = time.monotonic()
        # All of them closed and opened again at once: new connections get
        # what the old ones left, and only as many as the connection
        # bucket has refilled get in at all.
        for f in fl:
            f.c.close()
        fl2 = [Flooder(srv, gap) for _ in range(MAX_PER_ADDR)]
        _flood(fl2, secs)
        second = sum(f.ok for f in fl2)
        back_in = sum(1 for f in fl2 if not f.refused)
        total_s = time.monotonic() - t0
        most = MAX_PER_ADDR * (BURST + RATE * total_s) + MAX_PER_ADDR
        attempts = sum(f.ok + f.slow for f in fl + fl2)
        print(f"  {MAX_PER_ADDR} connections at once for {t1 - t0:.1f}s: {first} relayed "
              f"({first / (t1 - t0):.0f}/s); reopened: {back_in} got back in, {second} more "
              f"relayed in {secs:.1f}s; {attempts} attempts in all")
        print(f"  one address: {first + second} messages in {total_s:.1f}s, "
              f"{(first + second) / total_s:.0f}/s (at most {MAX_PER_ADDR} x ({BURST} + "
              f"{RATE}/s x {total_s:.1f}s) = {most:.0f})")
        assert first + second <= most, (first, second, most)
        for f in fl2:
            f.c.close()


def _try_again_s(line):
    m = re.search(rb"try again in (\d+) s", line or b"")
    return int(m.group(1)) if m else None


def test_guesses_from_many_addresses(ctx):
    _need(ctx)
    ctx.require_multi()
    raise_nofile()
    size = _size(ctx)
    n = max(50, int(FULL_GUESSERS * size))
    secs = max(10.0, FULL_GUESS_S * size)
    with ctx.server("--quiet", "--password", PASS) as srv:
        # A class first, nobody guessing: all in at once.
        t0 = time.monotonic()
        for i in range(40):
            c, line = _first_line(srv, f"HELLO sockchat/1 s{i} {PASS}")
            assert line.startswith(b"WELCOME "), line
            c.close()
        print(f"  40 right passwords from one address: all in, {time.monotonic() - t0:.2f}s")
        due = [(0.0, i) for i in range(n)]
        heapq.heapify(due)
        judged = waited = locked = attempts = 0
        first_second = 0
        t0 = time.monotonic()
        while due:
            at, i = due[0]
            now = time.monotonic() - t0
            if now >= secs:
                break
            if at > now:
                time.sleep(min(at - now, secs - now))
                continue
            heapq.heappop(due)
            c, line = _first_line(srv, f"HELLO sockchat/1 g guess{attempts}", source=_addr(i))
            c.close()
            attempts += 1
            if line == b"ERR auth wrong password":
                judged += 1
                if now < 1.0:
                    first_second += 1
                again = 1  # it is locked now: told how long when it asks
            else:
                assert line.startswith(b"ERR auth-wait "), line
                if b"from your address" in line:
                    locked += 1
                else:
                    waited += 1
                again = _try_again_s(line)
            heapq.heappush(due, (now + again, i))
        took = time.monotonic() - t0
        # A newcomer with the right password meanwhile waits its turn.
        c, line = _first_line(srv, f"HELLO sockchat/1 late {PASS}", source="127.0.200.1")
        c.close()
        wait = _try_again_s(line)
        most = JUDGE_BURST + JUDGE_RATE * took + 1
        per_hour = JUDGE_BURST + JUDGE_RATE * (3600 + TURN_GRACE_S)
        print(f"  {n} addresses guessing for {took:.0f}s: {attempts} attempts, {judged} judged "
              f"({first_second} in the first second), {waited} told to wait their turn, "
              f"{locked} locked out (at most {most:.0f} judged)")
        pace = (judged - first_second) / max(1e-9, took - 1.0)
        print(f"  after the first second: {pace:.2f} judged a second, {pace * 3600:.0f} an hour; "
              f"at most {per_hour} in any hour")
        print(f"  a newcomer with the right password meanwhile: told to try again in {wait} s")
        assert judged <= most, judged
        assert first_second <= JUDGE_BURST + JUDGE_RATE, first_second
        assert wait is not None, line


def test_address_table_memory(ctx):
    _need(ctx)
    ctx.require_multi()
    raise_nofile()
    m = max(500, int(FULL_TABLE * _size(ctx)))
    san = sanitizer_of(ctx.binary)
    with ctx.server("--quiet", "--password", PASS, tty=True) as srv:
        # The guessing is under way from the start (the burst taken), so
        # every address below is given a turn, which keeps its entry.
        for i in range(JUDGE_BURST):
            c, _ = _first_line(srv, "HELLO sockchat/1 g nope", source=_addr(i, base=20))
            c.close()
        srv.console("stats")
        line = srv.wait_log(r"^addresses remembered: \d+ \(at most \d+;", stream="out")
        bound = int(re.search(r"at most (\d+)", line).group(1))
        rss0 = srv.rss_kb()
        t0 = time.monotonic()
        for i in range(m):
            c, line = _first_line(srv, "HELLO sockchat/1 g nope", source=_addr(i, base=40))
            assert line.startswith(b"ERR auth"), line
            c.close()
        took = time.monotonic() - t0
        with srv.cond:
            srv.out.clear()
        srv.console("stats")
        line = srv.wait_log(r"^addresses remembered: \d+", stream="out")
        held = int(re.search(r"remembered: (\d+)", line).group(1))
        rss1 = srv.rss_kb()
        per = (rss1 - rss0) * 1024 / max(1, held)
        print(f"  {m} addresses in {took:.1f}s, each with a turn reserved: {held} remembered "
              f"(bound {bound} = --max-clients + {PEERS_SPARE})")
        print(f"  RSS {rss0} kB -> {rss1} kB: about {per:.0f} bytes per address remembered"
              f"{' (TSan: not meaningful)' if san == 'thread' else ''}")
        assert held <= bound, (held, bound)
        assert held >= min(m, bound) - JUDGE_BURST - 5, held  # turns keep entries
        if san is None:
            # 160 bytes an entry and its bucket pointer, with malloc's
            # overhead; a generous factor for the allocator's arenas.
            assert rss1 - rss0 <= bound * 400 // 1024 + 2048, (rss0, rss1)


if __name__ == "__main__":
    run_tests(globals())
