#!/usr/bin/env python3
"""Stress 2, slow consumers: 10 clients that never read while 10 flood
(--rate 0) and 2 more only read.

Fails if a reading client misses anything, if a slow client is not
disconnected as "too slow", or if the server's RSS exceeds
baseline + (queue limit x slow clients) + 10%, the queue limit being the
hard one the server states in --help (4 MiB).

usage: stress_slow.py SERVER_BINARY [--mode M] [--size F]
--size 1 is the full size (10 x 10 MB flooded); CI runs the default 0.2."""

import os
import re
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
from chatlib import (SCALE, T_SHORT, Load, deadline_in, raise_nofile, remaining,  # noqa: E402
                     run_tests, sanitizer_of)

SLOW = 10
FLOODERS = 10
READERS = 2
TEXT = 1000
FULL_PER_FLOODER = 10 * 1024 * 1024
DEFAULT_SIZE = 0.2


def _queue_limit_kb(binary):
    """The per-client output limit the server states in --help ("... or
    N MiB at all, is disconnected as too slow"); 4 MiB (OUTQ_MAX_BYTES)
    if it does not say."""
    r = subprocess.run([binary, "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=T_SHORT)
    m = re.search(r"(\d+)\s+MiB\s+at all", r.stdout.decode())
    return int(m.group(1)) * 1024 if m else 4096


def test_slow_consumers(ctx):
    ctx.require_multi()
    raise_nofile()
    size = (ctx.size if ctx.size is not None else DEFAULT_SIZE) * SCALE
    per_flooder = max(200, int(FULL_PER_FLOODER * size) // TEXT)
    san = sanitizer_of(ctx.binary)
    with ctx.server("--rate", "0", "--quiet") as srv:
        slow = [srv.framed(f"slow{i}", rcvbuf=4096) for i in range(SLOW)]
        flood = [srv.framed(f"flood{i}") for i in range(FLOODERS)]
        readers = [srv.framed(f"reader{i}") for i in range(READERS)]
        for c in flood + readers:
            c.sync()
        rss0 = srv.rss_kb()
        # Flooders send per_flooder messages each; readers send nothing.
        load = Load(flood + readers, window=32, text_len=TEXT,
                    max_per_client=[per_flooder] * FLOODERS + [0] * READERS, max_lag=500)
        load.start()
        peak = rss0
        dl = deadline_in(T_SHORT * 12)
        stop_sampling = threading.Event()

        def sample():
            nonlocal peak
            while not stop_sampling.is_set():
                try:
                    peak = max(peak, srv.rss_kb())
                except OSError:
                    return
                stop_sampling.wait(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        t0 = time.monotonic()
        while min(load.sent[:FLOODERS]) < per_flooder:
            assert load.is_alive(), "load loop died"
            cut = [(i, load.events[i][-3:]) for i in range(FLOODERS + READERS) if load.eof[i]]
            assert not cut, f"reading clients were disconnected: {cut[:2]}"
            assert remaining(dl) > 0, f"flood not sent in time: {load.sent}"
            time.sleep(0.05)  # polling the loop's progress, bounded by dl
        load.stop()
        elapsed = time.monotonic() - t0
        stop_sampling.set()
        sampler.join(T_SHORT)
        assert load.finished_clean, "readers did not get everything in time"
        assert not any(load.eof), f"a reading client was disconnected: {load.eof}"
        load.verify()
        # Every slow client was disconnected as too slow, and everyone was told.
        for r in range(FLOODERS + READERS):
            told = {l.split(b" ")[1] for l in load.events[r]
                    if l.startswith(b"LEAVE ") and b"too slow" in l}
            want = {f"slow{i}".encode() for i in range(SLOW)}
            assert told == want, f"client {r} was told of slow leaves {sorted(told)}"
        for s in slow:
            s.sock.setblocking(True)
            dl2 = deadline_in(T_SHORT)
            while s._fill(dl2):
                s.buf = b""
        total_mb = FLOODERS * per_flooder * TEXT / 1048576
        queue_kb = _queue_limit_kb(ctx.binary)
        limit = int((rss0 + queue_kb * SLOW) * 1.1)
        if san == "address":
            limit += 16 * 1024  # ASan's quarantine (8 MB, set by chatlib) and redzones
        print(f"  {FLOODERS} flooders x {per_flooder} x {TEXT} B = {total_mb:.1f} MB to "
              f"{FLOODERS - 1 + READERS} readers in {elapsed:.2f}s; {SLOW} slow clients cut")
        print(f"  RSS baseline {rss0} kB, peak {peak} kB, limit {limit} kB"
              f"{' (not enforced under TSan)' if san == 'thread' else ''}")
        if san != "thread":
            assert peak <= limit, f"RSS peak {peak} kB over {limit} kB"


if __name__ == "__main__":
    run_tests(globals())
