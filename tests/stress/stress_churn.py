#!/usr/bin/env python3
"""Stress 1, churn: connect/disconnect cycles (clean, RST via SO_LINGER 0,
half-closed, silent, tutorial-style exit) while 20 steady clients chat.

Fails if a steady client misses or duplicates a message, or if the server's
open fds and RSS do not come back to within 10% of the baseline.

usage: stress_churn.py SERVER_BINARY [--mode M] [--size F]
--size 1 is the issue's full size (10,000 cycles); CI runs the default 0.05."""

import os
import socket
import struct
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
from chatlib import (SCALE, T_LONG, T_SHORT, Load, deadline_in, raise_nofile,  # noqa: E402
                     remaining, run_tests, sanitizer_of)

FULL_CYCLES = 10000
DEFAULT_SIZE = 0.05
STEADY = 20
WORKERS = 4
# Warm-up cycles before the baseline: in threads mode glibc keeps per-thread
# arenas and thread stacks around, and RSS plateaus after about this many.
WARMUP = 2000


def _cycle(addr, kind):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(T_SHORT)
    try:
        s.connect(addr)
        if kind == 0:  # framed, clean close after WELCOME
            s.sendall(b"HELLO sockchat/1 churner\n")
            buf = b""
            while b"\n" not in buf:
                d = s.recv(4096)
                if not d:
                    break
                buf += d
            s.close()
        elif kind == 1:  # RST: SO_LINGER 0, with a line in flight
            s.sendall(b"HELLO sockchat/1 rst\nMSG 1 about to vanish\n")
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        elif kind == 2:  # half-close: we stop writing, read until the server closes
            s.sendall(b"half closed\n")
            s.shutdown(socket.SHUT_WR)
            while s.recv(4096):
                pass
            s.close()
        elif kind == 3:  # connect and close without a byte
            s.close()
        else:  # the tutorial's way: exit, wait for the reply and the close
            s.sendall(b"exit")
            while s.recv(4096):
                pass
            s.close()
    except (ConnectionResetError, BrokenPipeError):
        s.close()
        return "reset"
    except socket.timeout:
        s.close()
        return "timeout"
    return "ok"


def _churn(addr, cycles):
    """Runs cycles over WORKERS threads; returns outcome counts."""
    counts = {}
    lock = threading.Lock()
    nxt = [0]

    def work():
        while True:
            with lock:
                i = nxt[0]
                if i >= cycles:
                    return
                nxt[0] += 1
            r = _cycle(addr, i % 5)
            with lock:
                counts[r] = counts.get(r, 0) + 1

    threads = [threading.Thread(target=work, daemon=True) for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(T_LONG * 4)
        assert not t.is_alive(), "churn worker stuck"
    return counts


def _settle(srv, fd_limit, rss_limit_kb, timeout):
    """Polls (50 ms) until fds and RSS are back under their limits."""
    dl = deadline_in(timeout)
    while True:
        fds, rss = srv.fd_count(), srv.rss_kb()
        if fds <= fd_limit and rss <= rss_limit_kb:
            return fds, rss
        if remaining(dl) <= 0:
            return fds, rss
        time.sleep(0.05)


def test_churn(ctx):
    ctx.require_multi()
    raise_nofile()
    size = (ctx.size if ctx.size is not None else DEFAULT_SIZE) * SCALE
    cycles = max(50, int(FULL_CYCLES * size))
    san = sanitizer_of(ctx.binary)
    # --max-per-addr 0: every churner is 127.0.0.1, and the limits per
    # address would refuse most of them (that is stress_addr's subject).
    with ctx.server("--rate", "0", "--quiet", "--max-clients", "5000", "--max-per-addr",
                    "0") as srv:
        steady = [srv.framed(f"steady{i}") for i in range(STEADY)]
        for c in steady:
            c.sync()
        fds0 = srv.fd_count()
        # Warm-up: a first round of the same workload grows the allocator's
        # arenas and caches, which are then reused; the RSS baseline is
        # taken after it, once its connections are all closed.
        warm = Load(steady, window=4)
        warm.start()
        _churn(srv.addr, WARMUP)
        warm.stop()
        assert warm.finished_clean
        warm.verify()
        for c in steady:
            c.sock.setblocking(True)
        _, rss0 = _settle(srv, fds0, 10 ** 9, T_SHORT)
        load = Load(steady, window=4)
        load.start()
        t0 = time.monotonic()
        counts = _churn(srv.addr, cycles)
        churn_s = time.monotonic() - t0
        load.stop()
        assert load.finished_clean, "steady clients did not get everything before the deadline"
        assert not any(load.eof), f"steady clients disconnected: {load.eof}"
        load.verify()
        assert srv.alive()
        # The last churners may still be lingering (LINGER_MS): wait.
        fd_limit = int(fds0 * 1.1) + 1
        # 10% as the issue asks, plus a fixed slack: in threads mode glibc
        # caches freed thread stacks and per-thread arenas in proportion to
        # the peak number of threads at once (lingering half-closed churners
        # included), not to the number of cycles, so on a 4 MB process the
        # figure varies by ~0.7 MB from run to run. A leak grows with cycles;
        # run --size 1 to see it, and the ASan CI run's LeakSanitizer checks
        # for it exactly.
        slack_kb = int(os.environ.get("SOCKCHAT_TEST_RSS_SLACK_KB", "1024"))
        rss_limit = int(rss0 * 1.1) + slack_kb
        if san == "address":
            # As stress_slow: ASan keeps freed blocks in its quarantine
            # (8 MB, set by chatlib) and caches chunks per size class and
            # thread, so RSS after churn depends on what was freed last, not
            # on what is live. Not a leak: LeakSanitizer checks that exactly
            # at exit. Builds without ASan keep the plain bound.
            rss_limit += 16 * 1024
        if san == "thread":
            rss_limit = 10 ** 9  # TSan's shadow memory makes RSS meaningless
        fds1, rss1 = _settle(srv, fd_limit, rss_limit, T_SHORT * 2)
        print(f"  {cycles} cycles in {churn_s:.2f}s ({cycles / churn_s:.0f}/s) outcomes {counts}; "
              f"steady: {load.total_acked} messages, all delivered once in order")
        print(f"  fds {fds0} -> {fds1} (limit {fd_limit}); RSS {rss0} kB -> {rss1} kB "
              f"(limit {rss_limit if rss_limit < 10 ** 9 else 'none under TSan'}"
              f"{', with ASan slack' if san == 'address' else ''})")
        assert counts.get("timeout", 0) == 0, f"churn cycles timed out: {counts}"
        assert fds1 <= fd_limit, f"fds {fds0} -> {fds1}: leak"
        assert rss1 <= rss_limit, f"RSS {rss0} kB -> {rss1} kB (> +10%)"


if __name__ == "__main__":
    run_tests(globals())
