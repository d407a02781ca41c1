#!/usr/bin/env python3
"""Stress: a TLS handshake flood (issue 19). Many clients make full TLS
handshakes at once, while many others stall part-way: half a ClientHello,
0x16 0x03 and nothing more, or a whole ClientHello and then silence (the
server's flight unanswered). Meanwhile a clear-text user and a TLS user keep
chatting with each other.

Fails if a handshake fails, if a chat message is lost or late (over
CHAT_LATE_S, scaled), if the server's descriptors or threads exceed what its
connections account for, if its RSS grows more than RSS_PER_CONN_KB per
connection it holds (plus a margin), or if the server does not close the
stalled connections itself, HANDSHAKE_S after they came. Prints handshakes/s, the peaks and
the time, for the issue's note.

usage: stress_handshake.py SERVER_BINARY [--mode M] [--size F]
--size 1 is the full size (5,000 handshakes by 32 at once, 1,000 stalled);
CI runs the default 0.1."""

import os
import ssl
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
from chatlib import (SCALE, T_SHORT, TIMEOUT_SCALE, Conn, Framed,  # noqa: E402
                     raise_nofile, run_tests, sanitizer_of)
import tlslib  # noqa: E402

FULL_HANDSHAKES = 5000
FULL_STALLED = 1000
DEFAULT_SIZE = 0.1
CONCURRENCY = 32
CHAT_LATE_S = 2.0        # a chat line must cross within this, even mid-flood
PACE_S = 0.15            # between one chatter's lines: under the rate limit
HANDSHAKE_S = 10         # xport.c XPORT_HANDSHAKE_MS
RSS_PER_CONN_KB = 64     # a stalled TLS connection: SSL state, no idle buffers
RSS_MARGIN_KB = 24 << 10  # allocator slack, thread arenas
FD_SLACK = 32            # listening sockets, admin socket, log, epoll, pipes
THREAD_SLACK = 16


class Peaks(threading.Thread):
    """Samples the server's fds, threads and RSS every 20 ms."""

    def __init__(self, srv):
        super().__init__(daemon=True)
        self.srv = srv
        self.stop = threading.Event()
        self.fds = self.threads = self.rss = 0

    def sample(self):
        self.fds = max(self.fds, self.srv.fd_count())
        self.threads = max(self.threads, self.srv.thread_count())
        self.rss = max(self.rss, self.srv.rss_kb())

    def run(self):
        while not self.stop.wait(0.02):
            if not self.srv.alive():
                return
            self.sample()


class Flood(threading.Thread):
    """One of CONCURRENCY workers: full handshakes, one after the other,
    every tenth one also a /ping round trip (the server serves it)."""

    def __init__(self, addr, count):
        super().__init__(daemon=True)
        self.addr, self.count = addr, count
        self.done = 0
        self.errors = []

    def run(self):
        for i in range(self.count):
            try:
                c = tlslib.wrap(Conn, self.addr, timeout=T_SHORT * 3)
                if i % 10 == 0:
                    # Blocking reads with a timeout, not chatlib's select():
                    # the stalled connections push descriptors past 1024.
                    c.sock.settimeout(T_SHORT * 3)
                    c.send(f"/ping f{i}\n")
                    want = f"pong f{i}\n".encode()
                    got = b""
                    while want not in got:
                        data = c.sock.recv(4096)
                        if not data:
                            raise AssertionError(f"EOF before {want!r}: {got[-200:]!r}")
                        got += data
                c.close()
                self.done += 1
            except (OSError, ssl.SSLError, AssertionError) as e:
                self.errors.append(repr(e))
                if len(self.errors) > 5:
                    return


class Chatters(threading.Thread):
    """A clear-text framed user and a TLS framed user saying lines to each
    other in turn until stopped; each line must cross in CHAT_LATE_S."""

    def __init__(self, srv):
        super().__init__(daemon=True)
        self.clear = srv.framed("clearuser")
        self.tls = srv._track(tlslib.wrap(Framed, srv.addr))
        self.tls.hello("tlsuser")
        self.stop = threading.Event()
        self.crossed = 0
        self.worst = 0.0
        self.error = None

    def say(self, a, b, text):
        t0 = time.monotonic()
        a.msg(text)
        try:
            b.wait_type("CHAT", timeout=CHAT_LATE_S * TIMEOUT_SCALE,
                        pred=lambda m: m.text == text.encode())
        except AssertionError as e:
            raise AssertionError(f"{text!r} did not cross: {e}; the sender got "
                                 f"{a.take_lines()[-5:]!r}") from None
        self.worst = max(self.worst, time.monotonic() - t0)
        self.crossed += 1

    def run(self):
        i = 0
        try:
            # Paced under the per-client rate limit (RATE_DEFAULT, 10/s):
            # a line each way every PACE_S.
            while not self.stop.wait(PACE_S):
                self.say(self.clear, self.tls, f"clear to tls {i}")
                self.say(self.tls, self.clear, f"tls to clear {i}")
                i += 1
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.error = e


def stall(srv, i, hello):
    """Stalled connection i: three ways of stopping part-way."""
    c = srv.connect()
    kind = i % 3
    if kind == 0:
        c.send(hello[:len(hello) // 2])
    elif kind == 1:
        c.send(b"\x16\x03")
    else:
        c.send(hello)  # the server answers; we never do
    return c


def test_handshake_flood(ctx):
    ctx.require_multi()
    have = raise_nofile()
    size = (ctx.size if ctx.size is not None else DEFAULT_SIZE) * SCALE
    handshakes = max(200, int(FULL_HANDSHAKES * size))
    stalled_n = min(max(50, int(FULL_STALLED * size)), have - CONCURRENCY - 100)
    san = sanitizer_of(ctx.binary)
    hello = tlslib.client_hello_bytes()
    # The rate limits stay at their defaults but for the number from one
    # address: every connection here is 127.0.0.1.
    with ctx.server("--quiet", "--max-clients", str(stalled_n + CONCURRENCY + 50),
                    "--max-per-addr", "0") as srv:
        chat = Chatters(srv)
        chat.clear.sync()
        chat.tls.sync()
        base_fds, base_threads, base_rss = srv.fd_count(), srv.thread_count(), srv.rss_kb()
        peaks = Peaks(srv)
        peaks.start()
        chat.start()
        t0 = time.monotonic()
        stalled = [stall(srv, i, hello) for i in range(stalled_n)]
        t_stalled = time.monotonic()
        per = -(-handshakes // CONCURRENCY)
        workers = [Flood(srv.addr, per) for _ in range(CONCURRENCY)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(timeout=60 * TIMEOUT_SCALE)
        elapsed = time.monotonic() - t0
        done = sum(w.done for w in workers)
        errors = [e for w in workers for e in w.errors]
        # Every stalled connection is still held (none was served or lost),
        # when their handshakes' deadline is still ahead.
        last = srv.framed("last", timeout=T_SHORT * 3)
        last.sync()
        peaks.sample()
        fds_held = srv.fd_count()
        young = time.monotonic() - t_stalled < HANDSHAKE_S - 1
        chat.stop.set()
        chat.join(timeout=T_SHORT * 3)
        peaks.stop.set()
        peaks.join()
        # The server gives up the stalled handshakes by itself, HANDSHAKE_S
        # after their connects: their descriptors come back with nothing
        # done on our side.
        deadline = t_stalled + HANDSHAKE_S + T_SHORT * 3
        while srv.fd_count() > base_fds + 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        fds_after = srv.fd_count()
        gone_after = time.monotonic() - t_stalled
        for c in stalled:
            c.close()
        held = stalled_n + CONCURRENCY + 3
        print(f"  {done} full handshakes in {elapsed:.2f} s by {CONCURRENCY} at once "
              f"({done / elapsed:.0f}/s), {stalled_n} stalled part-way; "
              f"{chat.crossed} chat lines crossed clear<->TLS meanwhile, slowest "
              f"{chat.worst * 1000:.0f} ms")
        print(f"  server: fds {base_fds} -> peak {peaks.fds} (after {fds_after}); threads "
              f"{base_threads} -> peak {peaks.threads}; RSS {base_rss} kB -> peak {peaks.rss} kB "
              f"({(peaks.rss - base_rss) / max(1, stalled_n + CONCURRENCY):.1f} kB per "
              f"connection held){' [sanitizer build]' if san else ''}")
        assert not errors, f"{len(errors)} handshakes failed: {errors[:3]}"
        assert done == per * CONCURRENCY, f"{done} of {per * CONCURRENCY} handshakes done"
        assert chat.error is None, f"chat failed mid-flood: {chat.error!r}"
        assert chat.crossed >= 2, f"only {chat.crossed} chat lines crossed"
        print(f"  the stalled connections were closed by the server "
              f"{gone_after:.1f} s after the last one connected")
        if young:
            assert fds_held >= base_fds + stalled_n, \
                f"server holds {fds_held} fds for {stalled_n} stalled connections"
        assert peaks.fds <= base_fds + held + FD_SLACK, \
            f"fds peaked at {peaks.fds}, more than {held} connections account for"
        thread_limit = base_threads + THREAD_SLACK
        if ctx.mode == "threads":
            thread_limit += held  # a thread per connection, by design
        assert peaks.threads <= thread_limit, \
            f"threads peaked at {peaks.threads} (limit {thread_limit})"
        if not san:
            limit = base_rss + RSS_PER_CONN_KB * held + RSS_MARGIN_KB
            assert peaks.rss <= limit, f"RSS peaked at {peaks.rss} kB (limit {limit} kB)"
        assert fds_after <= base_fds + 4, \
            f"{fds_after} fds {gone_after:.1f} s after the stalled connections came " \
            f"(from {base_fds}): their handshakes were not given up"
        assert srv.alive()


if __name__ == "__main__":
    run_tests(globals())
