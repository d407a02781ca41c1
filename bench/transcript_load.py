#!/usr/bin/env python3
"""How long sockchat-server takes to load a big --transcript at start.

Loading reads FILE.1 and FILE whole (docs/PROTOCOL.md section 10): this
writes a FILE of --size MiB (and a FILE.1 of as much with --both: the
worst case under the default --transcript-max 64M) of chat records, mostly
of a busy #main and some of quiet rooms and topics, starts the server on
127.0.0.1 (ephemeral port) and times it from exec to its log line
"N messages loaded into history", --runs times; prints the median.

    bench/transcript_load.py --bin build/bin --size 64 [--both] [--runs 5]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

LOADED = b"messages loaded into history"


def write_transcript(path, size, seed):
    """size bytes of records: 1 in 100 in #lab1..#lab9, a topic at the start."""
    text = "x" * 70
    with open(path, "w", encoding="ascii") as f:
        f.write("TOPIC #lab1 1700000000 1 fractions, seed %d\n" % seed)
        written, i = 0, 0
        while written < size:
            if i % 100 == 0:
                rec = "#lab%d CHAT 1700000000 bob q%d %s\n" % (1 + i // 100 % 9, i, text)
            else:
                rec = "CHAT 1700000000 alice m%d %s\n" % (i, text)
            f.write(rec)
            written += len(rec)
            i += 1


def time_start(server, path, timeout=120.0):
    start = time.monotonic()
    proc = subprocess.Popen(
        [server, "--bind", "127.0.0.1", "--port", "0", "--history", "20",
         "--transcript", path, "--transcript-max", "0"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = start + timeout
        line = b""
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            if LOADED in line:
                return time.monotonic() - start, line.decode(errors="replace").strip()
        raise RuntimeError("no '%s' line from %s (last: %r)" % (LOADED.decode(), server, line))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default="build/bin", help="where sockchat-server is")
    ap.add_argument("--size", type=int, default=64, help="MiB of FILE (default 64)")
    ap.add_argument("--both", action="store_true", help="a FILE.1 of --size MiB too")
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    server = os.path.join(a.bin, "sockchat-server")
    with tempfile.TemporaryDirectory(prefix="sockchat-tload-") as d:
        path = os.path.join(d, "chat.log")
        write_transcript(path, a.size << 20, 0)
        if a.both:
            write_transcript(path + ".1", a.size << 20, 1)
        time_start(server, path)  # the first run warms the page cache
        runs = []
        for _ in range(a.runs):
            secs, line = time_start(server, path)
            runs.append(secs)
        print("%s: FILE %d MiB%s: start to loaded, median of %d: %.0f ms (min %.0f, max %.0f)"
              % (server, a.size, " + FILE.1 as much" if a.both else "", a.runs,
                 statistics.median(runs) * 1000, min(runs) * 1000, max(runs) * 1000))
        print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
