#!/usr/bin/env python3
"""Stress 4, garbage over TCP: 50 clients send random bytes, NULs, invalid
UTF-8, 1 MB without a newline, CR-only lines, escape sequences and malformed
framed lines, while 5 normal clients chat.

Fails on a crash, a sanitizer report, a normal client losing or duplicating
a message, or a normal client receiving a line that is not a well-formed,
clean (no control characters, valid UTF-8) line of a known type.

usage: stress_garbage.py SERVER_BINARY [--mode M] [--size F] [seed in SOCKCHAT_TEST_SEED]
--size 1 is the full size (50 garbage clients); CI runs the default 0.4."""

import os
import random
import socket
import struct
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
from chatlib import (SCALE, T_LONG, T_SHORT, Load, is_clean_text, raise_nofile,  # noqa: E402
                     run_tests)

FULL_CLIENTS = 50
DEFAULT_SIZE = 0.4
NORMAL = 5
ROUNDS = 5  # connections per garbage client, one after the other
KNOWN = {b"WELCOME", b"ACK", b"CHAT", b"ACTION", b"PRIV", b"JOIN", b"LEAVE", b"NICK", b"OUT",
         b"ERR", b"NOTICE", b"PING", b"PONG", b"SHUTDOWN"}
ESCAPES = [b"\x1b[2J", b"\x1b[H", b"\x1b]0;title\x07", b"\x1b]52;c;ZXZpbA==\x07", b"\x1bP+q\x1b\\",
           b"\x9b31m", b"\xc2\x9b31m", b"\x1b[?1049h", b"\x1bc", b"\x07", b"\x08", b"\x7f",
           b"\xe2\x80\xae", b"\x1b[6n"]
BAD_UTF8 = [b"\xff", b"\xfe", b"\xc3(", b"\xe6\x97", b"\xc0\xaf", b"\xed\xa0\x80",
            b"\xf4\x90\x80\x80", b"\xf8\x88\x80\x80\x80", b"\x80\x80"]


def _garbage(rnd, kind, i):
    """The chunks client i sends (each sent separately)."""
    hello = b"HELLO sockchat/1 junk%d\n" % i
    if kind == 0:  # random bytes from the very first byte
        return [rnd.randbytes(rnd.randint(1, 8192)) for _ in range(8)]
    if kind == 1:  # framed, then random bytes full of LFs
        return [hello] + [rnd.randbytes(4096).replace(b"\x00", b"\n") for _ in range(16)]
    if kind == 2:  # NULs inside lines
        return [hello] + [b"MSG %d a\x00b\x00\x00CHAT 1 admin forged\n" % n for n in range(50)]
    if kind == 3:  # invalid UTF-8
        return [hello] + [b"MSG %d " % n + b"".join(rnd.choice(BAD_UTF8) for _ in range(20)) +
                          b"\n" for n in range(50)]
    if kind == 4:  # 1 MB without a newline, then one
        return [hello, b"MSG 1 "] + [b"w" * 65536 for _ in range(16)] + [b"\nMSG 2 after\n"]
    if kind == 5:  # CR only
        return [hello, b"\r" * 5000, b"MSG 1 a\rb\rc\r" * 100, b"\r\r\r\n"]
    if kind == 6:  # escape sequences
        return [hello] + [b"MSG %d " % n + b"".join(rnd.choice(ESCAPES) for _ in range(10)) +
                          b" text\n" for n in range(50)]
    if kind == 7:  # plain dialect garbage
        return [b"hello\n"] + [rnd.randbytes(512).replace(b"\n", b"") + b"\n" for _ in range(20)]
    if kind == 8:  # malformed framed lines
        return [hello, b"FOO bar\n", b"MSG\n", b"MSG abc text\n", b"MSG -1 x\n",
                b"MSG 99999999999999999999999999 x\n", b"HELLO sockchat/1 again\n",
                b"HELLO sockchat/999 v\n", b"ACK 5\n", b"WELCOME a b c d\n", b"PING\n",
                b"PING " + b"t" * 5000 + b"\n", b"MSG 5 /nick\n", b"MSG 6 /msg\n",
                b"MSG 7 /msg junk%d self\n" % i, b"MSG 8 /nick " + b"n" * 100 + b"\n",
                b"MSG 9 /me\n", b"MSG 10 /quit " + b"q" * 5000 + b"\n"]
    # raw dialect: many reads without LF
    return [rnd.randbytes(rnd.randint(1, 1024)).replace(b"\n", b"") for _ in range(20)]


def _run_garbage(addr, rnd, kind, i, results, rounds=1):
    for _ in range(rounds):
        _one_garbage(addr, rnd, kind, i, results)


def _one_garbage(addr, rnd, kind, i, results):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(T_SHORT)
    outcome = "ok"
    try:
        s.connect(addr)
        for chunk in _garbage(rnd, kind, i):
            s.sendall(chunk)
        end = i % 3
        if end == 0:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif end == 1:
            s.shutdown(socket.SHUT_WR)
            while s.recv(65536):
                pass
    except (ConnectionResetError, BrokenPipeError):
        outcome = "reset"
    except socket.timeout:
        outcome = "timeout"
    finally:
        s.close()
    results.append(outcome)


def test_garbage(ctx):
    ctx.require_multi()
    raise_nofile()
    size = (ctx.size if ctx.size is not None else DEFAULT_SIZE) * SCALE
    n = max(10, int(FULL_CLIENTS * size))
    seed = int(os.environ.get("SOCKCHAT_TEST_SEED", "") or time.time_ns() % 100000)
    # --max-per-addr 0: every client, hostile or not, is 127.0.0.1.
    with ctx.server("--rate", "0", "--quiet", "--max-per-addr", "0") as srv:
        normal = [srv.framed(f"normal{i}") for i in range(NORMAL)]
        for c in normal:
            c.sync()
        load = Load(normal, window=4)
        load.start()
        results = []
        threads = []
        for i in range(n):
            rnd = random.Random(seed * 1000 + i)
            t = threading.Thread(target=_run_garbage,
                                 args=(srv.addr, rnd, i % 10, i, results, ROUNDS), daemon=True)
            threads.append(t)
        t0 = time.monotonic()
        for k in range(0, n, 10):  # ten at a time
            batch = threads[k:k + 10]
            for t in batch:
                t.start()
            for t in batch:
                t.join(T_LONG)
                assert not t.is_alive(), "a garbage client is stuck"
        elapsed = time.monotonic() - t0
        load.stop()
        assert srv.alive(), f"server died (seed {seed})"
        assert load.finished_clean and not any(load.eof), f"normal clients hurt (seed {seed})"
        load.verify()
        bad = []
        for i in range(NORMAL):
            for line in load.events[i]:
                if line.split(b" ", 1)[0] not in KNOWN or not is_clean_text(line):
                    bad.append(line)
        assert not bad, f"unsafe or unknown lines reached normal clients (seed {seed}): {bad[:3]}"
        counts = {r: results.count(r) for r in set(results)}
        print(f"  seed {seed}: {n} garbage clients x {ROUNDS} connections in {elapsed:.2f}s "
              f"({counts}); "
              f"{NORMAL} normal clients: {load.total_acked} messages delivered once in order, "
              f"{sum(len(e) for e in load.events)} other lines all clean; "
              f"server RSS {srv.rss_kb()} kB, {srv.fd_count()} fds")
        assert counts.get("timeout", 0) == 0, f"garbage clients timed out: {counts}"


if __name__ == "__main__":
    run_tests(globals())
