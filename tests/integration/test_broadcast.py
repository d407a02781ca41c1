#!/usr/bin/env python3
"""Broadcast: fan-out completeness and order, and slow consumers.

usage: test_broadcast.py SERVER_BINARY [--mode M] [-k NAME] [--size N]
--size multiplies the client/message counts (as SOCKCHAT_TEST_SCALE does)."""

import os
import select
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chatlib import (SCALE, T_LONG, T_SHORT, deadline_in, remaining, run_tests,  # noqa: E402
                     sanitizer_of)

MB = 1024 * 1024


def _size(ctx):
    return SCALE * (ctx.size if ctx.size else 1.0)


def _check_same_order(seqs, senders_of):
    """seqs[r] is what receiver r saw. Messages a receiver did not see are its
    own. Two receivers must agree on the order of the messages both saw;
    comparing everyone with three references covers every pair of senders."""
    refs = list(range(min(3, len(seqs))))
    for ref in refs:
        for r in range(len(seqs)):
            if r == ref:
                continue
            a = [m for m in seqs[ref] if senders_of(m) != r]
            b = [m for m in seqs[r] if senders_of(m) != ref]
            if a != b:
                i = next(i for i in range(min(len(a), len(b))) if a[i] != b[i]) \
                    if any(x != y for x, y in zip(a, b)) else min(len(a), len(b))
                raise AssertionError(
                    f"receivers {ref} and {r} disagree on order at position {i}: "
                    f"{a[i:i + 3]} vs {b[i:i + 3]}")


def test_fanout_50x100(ctx):
    """N clients each send K lines at once (--rate 0): everyone receives
    every line of the others exactly once, in the same order; every line is
    acknowledged to its sender exactly once."""
    ctx.require_multi()
    size = _size(ctx)
    n = max(3, int(50 * size))
    k = max(5, int(100 * size))
    # --max-per-addr 0: all of them are 127.0.0.1 (SOCKCHAT_TEST_SCALE may
    # make them more than the default 64).
    with ctx.server("--rate", "0", "--quiet", "--max-clients", str(n + 10), "--max-per-addr",
                    "0") as srv:
        clients = [srv.framed(f"u{i}") for i in range(n)]
        for c in clients:
            c.sync(timeout=T_LONG)  # past every JOIN
        batches = []
        for i, c in enumerate(clients):
            lines = [b"MSG %d %d:%d fan-out line %d from u%d" % (j + 1, i, j, j, i)
                     for j in range(k)]
            batches.append(b"\n".join(lines) + b"\n")
        t0 = time.monotonic()
        for c, b in zip(clients, batches):
            c.send(b)  # each batch fits in a socket buffer: all "at once"
        for c in clients:
            c.sock.setblocking(False)
        seqs = [[] for _ in range(n)]
        acks = [[] for _ in range(n)]
        other = [[] for _ in range(n)]
        want_chat = (n - 1) * k
        pending = set(range(n))
        index = {c.sock: i for i, c in enumerate(clients)}
        dl = deadline_in(T_LONG)
        while pending:
            left = remaining(dl)
            assert left > 0, (f"fan-out incomplete: "
                              f"{[(i, len(seqs[i]), len(acks[i])) for i in sorted(pending)][:5]}")
            r, _, _ = select.select([clients[i].sock for i in pending], [], [], min(left, 1.0))
            for s in r:
                i = index[s]
                c = clients[i]
                alive = c.feed_nonblocking()
                for line in c.take_lines():
                    if line.startswith(b"CHAT "):
                        _, _t, nick, text = line.split(b" ", 3)
                        a, b = text.split(b" ", 1)[0].split(b":")
                        sender, num = int(a), int(b)
                        assert nick == b"u%d" % sender, f"CHAT from {nick!r} carries {text!r}"
                        seqs[i].append((sender, num))
                    elif line.startswith(b"ACK "):
                        acks[i].append(int(line[4:]))
                    else:
                        other[i].append(line)
                if len(seqs[i]) >= want_chat and len(acks[i]) >= k:
                    pending.discard(i)
                assert alive, f"client u{i} lost its connection; other lines: {other[i][-5:]}"
        elapsed = time.monotonic() - t0
        for i in range(n):
            assert acks[i] == list(range(1, k + 1)), f"u{i} ACKs: {acks[i][:10]}..."
            assert len(seqs[i]) == want_chat, f"u{i} got {len(seqs[i])} CHAT, want {want_chat}"
            got = set(seqs[i])
            assert len(got) == want_chat, f"u{i} got duplicates"
            assert all(s != i for s, _ in got), f"u{i} got its own lines back"
            # each sender's lines in the order sent
            last = {}
            for s, num in seqs[i]:
                assert last.get(s, -1) < num, f"u{i} got u{s}'s lines out of order"
                last[s] = num
        _check_same_order(seqs, lambda m: m[0])
        for c in clients:
            c.close()
        print(f"  {n} clients x {k} lines: {n * k} messages, {n * want_chat} deliveries "
              f"in {elapsed:.2f}s")


def test_slow_consumer(ctx):
    """A client that never reads while another floods several MB (--rate 0):
    the readers get everything in bounded time, the slow one is disconnected
    as 'too slow' (the others are told), and the server's RSS stays bounded."""
    ctx.require_multi()
    size = _size(ctx)
    text_len = 1000
    total = max(4 * MB, int(24 * MB * size))
    count = total // (text_len + 10)
    # One slow client may hold the server's hard queue limit (4 MiB,
    # OUTQ_MAX_BYTES) plus allocator slack; an unbounded queue would hold
    # most of the flood (24 MB).
    rss_limit_mb = float(os.environ.get("SOCKCHAT_TEST_RSS_LIMIT_MB", "8"))
    san = sanitizer_of(ctx.binary)
    if san == "address":
        rss_limit_mb += 24  # the quarantine (8 MB, set by chatlib), redzones, shadow
    with ctx.server("--rate", "0", "--quiet") as srv:
        readers = [srv.framed(f"reader{i}") for i in range(2)]
        # A tiny receive window so the kernel absorbs little of the flood.
        slow = srv.framed("slowpoke", rcvbuf=4096)
        flooder = srv.framed("flooder")
        for c in readers + [flooder]:
            c.sync()
        baseline = srv.rss_kb()
        peak = baseline
        pad = b"x" * (text_len - 20)
        out = bytearray()
        sent = 0
        got = {id(c): 0 for c in readers}
        saw_leave = {id(c): None for c in readers}
        acks = 0
        everyone = readers + [flooder]
        for c in everyone:
            c.sock.setblocking(False)
        t0 = time.monotonic()
        dl = deadline_in(T_LONG)
        last_sample = 0.0
        while True:
            done_reading = all(got[id(c)] == count for c in readers)
            if done_reading and acks == count and all(saw_leave.values()):
                break
            left = remaining(dl)
            assert left > 0, (f"flood incomplete after {T_LONG:.0f}s: sent {sent}/{count}, "
                              f"acks {acks}, readers {list(got.values())}, "
                              f"leave seen {list(saw_leave.values())}")
            # Stay at most ~512 KB ahead of the slower reader: one Python
            # thread reads for all, and the server rightly cuts a reader that
            # stays 1 MiB behind for 2 s.
            lag_ok = sent - min(got.values()) < 512
            while sent < count and len(out) < 256 * 1024 and lag_ok:
                sent += 1
                out += b"MSG %d %08d %s\n" % (sent, sent, pad)
            wl = [flooder.sock] if out else []
            r, w, _ = select.select([c.sock for c in everyone], wl, [], min(left, 0.2))
            if w:
                try:
                    n = flooder.sock.send(out)
                    del out[:n]
                except BlockingIOError:
                    pass
            for s in r:
                c = next(c for c in everyone if c.sock is s)
                alive = c.feed_nonblocking()
                for line in c.take_lines():
                    if c is flooder:
                        if line.startswith(b"ACK "):
                            acks += 1
                        continue
                    if line.startswith(b"CHAT "):
                        seq = int(line.split(b" ", 4)[3])
                        got[id(c)] += 1
                        assert seq == got[id(c)], f"reader lost or reordered: {seq} != {got[id(c)]}"
                    elif line.startswith(b"LEAVE slowpoke "):
                        saw_leave[id(c)] = line
                assert alive, "a reader or the flooder was disconnected"
            now = time.monotonic()
            if now - last_sample > 0.05:
                peak = max(peak, srv.rss_kb())
                last_sample = now
        elapsed = time.monotonic() - t0
        peak = max(peak, srv.rss_kb())
        for line in saw_leave.values():
            assert b"too slow" in line, f"slow client left with another reason: {line!r}"
        # The slow client's socket: whatever was in flight, then EOF/RST.
        slow.sock.setblocking(True)
        t_dl = deadline_in(T_SHORT)
        while slow._fill(t_dl):
            slow.buf = b""
        growth_mb = (peak - baseline) / 1024
        print(f"  flooded {count} x {text_len} B = {count * text_len / MB:.1f} MB in "
              f"{elapsed:.2f}s; RSS baseline {baseline / 1024:.1f} MB, peak "
              f"{peak / 1024:.1f} MB (+{growth_mb:.1f} MB, limit +{rss_limit_mb:.0f} MB"
              f"{', not enforced under TSan' if san == 'thread' else ''})")
        if san != "thread":  # TSan's shadow memory makes RSS meaningless
            assert growth_mb < rss_limit_mb, f"server RSS grew by {growth_mb:.1f} MB"


if __name__ == "__main__":
    run_tests(globals())
