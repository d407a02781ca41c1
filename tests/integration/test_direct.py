#!/usr/bin/env python3
"""A receiver that stops reading, and order under concurrent senders (issue
17): in threads mode a sender writes a line to a receiver whose queue is
empty itself, and queues only what did not fit; every mode must deliver
every line complete, once, in one order for everyone, without ever
blocking a sender. --trace says which thread wrote.

usage: test_direct.py SERVER_BINARY [--mode M] [-k NAME]"""

import os
import re
import select
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chatlib import (SCALE, T_LONG, T_SHORT, Framed, Msg, Timeout, deadline_in,  # noqa: E402
                     remaining, run_tests)
from test_admin import Admin, Tmp, admin_server  # noqa: E402

# The server's socket buffers for a connection (server.h: NET_SNDBUF,
# doubled by the kernel) and a receiver's own small one: what a stalled
# receiver's connection holds before the server has to queue.
SERVER_SNDBUF = 2 * (64 << 10)
SMALL_RCVBUF = 4096
HOLDS = SERVER_SNDBUF + 2 * SMALL_RCVBUF  # about; the tests send 1.5x and more
LINE = 3000  # "a few KiB": a line fills a good part of a segment
SOFT_LIMIT = 1 << 20  # OUTQ_SOFT_BYTES: stay well below it


def _text(tag, i, size):
    """Line i of a run: its number, then letters that depend on it, so a
    torn, repeated or misplaced piece cannot pass for the right line."""
    head = b"%s%05d " % (tag, i)
    body = bytes(97 + (i * 7 + j) % 26 for j in range(size - len(head)))
    return head + body


def _plain_ready(p):
    """A plain client joins with its first line; past its reply, it has
    everything before it."""
    p.say("/ping ready")
    p.expect(b"pong ready")


def _stall_mid_line(conn):
    """Reads part of the next line (it is LINE bytes long) and stops
    there: the receiver stops reading mid-line."""
    assert not conn.buf, conn.buf
    r, _, _ = select.select([conn.sock], [], [], T_SHORT)
    assert r, "the first line never came"
    part = conn.sock.recv(LINE // 3)
    assert part and b"\n" not in part, part
    conn.buf = part


def _chat_text(line):
    """The text of a CHAT line in either dialect, and who said it."""
    if line.startswith(b"<"):  # plain: "<nick> text"
        nick, _, text = line[1:].partition(b"> ")
        return nick, text
    m = Msg(line)
    assert m.type == "CHAT", line[:120]
    return m.nick.encode(), m.text


def test_history_to_a_reader_that_stopped(ctx):
    """Every mode, single's one client at a time included: a newcomer whose
    history replay (70 lines of 3 KB, past its connection's buffers) it
    stops reading in the middle of the first line gets, when it reads
    again, every line whole, in order, once. (A replay is its owner's
    write, never a direct one: the queued path, in every mode.)"""
    n = 70  # 210 KB: more than the connection holds, less than a replay's cap
    assert n * LINE > 1.5 * HOLDS
    with ctx.server("--rate", "0", "--history", str(n)) as srv:
        teller = srv.framed("teller")
        texts = [_text(b"h", i, LINE) for i in range(n)]
        for t in texts:
            teller.chat(t)
        teller.close()  # single mode serves the next one once it is gone
        late = Framed.connect(srv.addr, rcvbuf=SMALL_RCVBUF)
        srv.conns.append(late)
        late.sendline("HELLO sockchat/1 late")
        # WELCOME, OUT, then the first line's start: a few hundred bytes.
        r, _, _ = select.select([late.sock], [], [], T_SHORT)
        assert r, "no answer to HELLO"
        late.buf = late.sock.recv(LINE // 3)
        srv.wait_log(r"late\s+joined")  # its replay went out or was queued
        assert late.buf.count(b"\n") <= 2 and not late.buf.endswith(b"\n"), late.buf
        assert late.next().type == "WELCOME"
        got = []
        while len(got) < n:
            m = late.next()
            assert m is not None, f"EOF after {len(got)} lines"
            if m.type == "CHAT":
                assert m.nick == "teller" and m.text == texts[len(got)], \
                    (len(got), m.raw[:60], len(m.raw))
                got.append(m.text)
        assert [m for m in late.sync() if m.type == "CHAT"] == []  # nothing twice


def test_receiver_stops_mid_line(ctx):
    """A framed and a plain receiver with small receive buffers stop
    reading in the middle of a line; another client sends lines of 3 KB
    until far more than their connections hold is on its way. The sender
    gets each ACK meanwhile (it is never blocked by them). Then the
    receivers read a little after each of the sender's next lines (their
    sockets have room while lines are still queued for them), and at last
    everything: each gets every line whole, in order, once."""
    ctx.require_multi()
    n = min(max(60, int(100 * SCALE)), SOFT_LIMIT // LINE // 3)
    assert n * LINE > 2 * HOLDS  # the server must queue
    with ctx.server("--rate", "0") as srv:
        f = srv.framed("reader", rcvbuf=SMALL_RCVBUF)
        p = srv.plain(rcvbuf=SMALL_RCVBUF)
        _plain_ready(p)
        s = srv.framed("sender")
        f.wait_type("JOIN", pred=lambda m: m.nick == "sender")
        p.expect(lambda line: b"sender" in line)
        f.sync()
        _plain_ready(p)
        texts = [_text(b"m", i, LINE) for i in range(n + n // 2)]
        s.chat(texts[0])
        _stall_mid_line(f)
        _stall_mid_line(p)
        for t in texts[1:n]:
            s.chat(t, timeout=T_SHORT)  # its ACK comes while they do not read
        for t in texts[n:]:
            s.chat(t, timeout=T_SHORT)
            for conn in (f, p):
                if select.select([conn.sock], [], [], 0)[0]:
                    assert conn.feed_nonblocking(), "closed"
        for who, conn in (("framed", f), ("plain", p)):
            for i, t in enumerate(texts):
                line = conn.readline()
                assert line is not None, f"{who}: EOF at line {i}"
                nick, text = _chat_text(line)
                assert nick == b"sender" and text == t, \
                    f"{who} line {i}: {line[:40]!r}... ({len(line)} B)"
        f.sync()
        _plain_ready(p)  # nothing repeated before the round trip's answer


def _parse_k(text):
    m = re.match(rb"^k(\d+):(\d+) ", text)
    return (int(m.group(1)), int(m.group(2))) if m else None


def test_concurrent_senders_one_order(ctx):
    """4 senders x 200 lines at once to 6 receivers, framed and plain, two
    of which read only once every line is acknowledged (their lines queue):
    every receiver sees every line once, whole, and all see one order; so
    do the senders, for the others' lines."""
    ctx.require_multi()
    nsend, nrecv = 4, 6
    k = max(50, int(200 * SCALE))
    size = 300
    with ctx.server("--rate", "0", "--quiet") as srv:
        senders = [srv.framed(f"s{i}") for i in range(nsend)]
        recvs = []
        for j in range(nrecv):
            small = {"rcvbuf": 8192} if j >= nrecv - 2 else {}
            if j % 2 == 0:
                recvs.append(srv.framed(f"r{j}", **small))
            else:
                p = srv.plain(**small)
                _plain_ready(p)
                recvs.append(p)
        for c in senders + recvs:
            if hasattr(c, "sync"):
                c.sync()
            else:
                _plain_ready(c)
        stalled = set(range(nrecv - 2, nrecv))
        texts = {(i, n): _text(b"k%d:" % i, n, size) for i in range(nsend) for n in range(k)}
        outbuf = [b"".join(b"MSG %d %s\n" % (n + 1, texts[(i, n)]) for n in range(k))
                  for i in range(nsend)]
        conns = senders + recvs
        for c in conns:
            c.sock.setblocking(False)
        seqs = [[] for _ in conns]
        acks = [[] for _ in senders]
        want = [(nsend - 1) * k] * nsend + [nsend * k] * nrecv
        dl = deadline_in(T_LONG)
        while True:
            everyone_acked = all(len(a) == k for a in acks)
            reading = [x for x in range(len(conns))
                       if len(seqs[x]) < want[x] or (x < nsend and len(acks[x]) < k)]
            reading = [x for x in reading if everyone_acked or x - nsend not in stalled]
            if not reading and everyone_acked:
                break
            assert remaining(dl) > 0, \
                f"incomplete: {[(x, len(seqs[x])) for x in reading]}, acks {list(map(len, acks))}"
            wr = [senders[i].sock for i in range(nsend) if outbuf[i]]
            r, w, _ = select.select([conns[x].sock for x in reading], wr, [], 0.5)
            for sock in w:
                i = next(i for i in range(nsend) if senders[i].sock is sock)
                try:
                    outbuf[i] = outbuf[i][sock.send(outbuf[i]):]
                except BlockingIOError:
                    pass
            for sock in r:
                x = next(x for x in range(len(conns)) if conns[x].sock is sock)
                c = conns[x]
                assert c.feed_nonblocking(), f"connection {x} closed"
                for line in c.take_lines():
                    if x < nsend and line.startswith(b"ACK "):
                        acks[x].append(int(line[4:]))
                        continue
                    nick, text = _chat_text(line)
                    sn = _parse_k(text)
                    assert sn is not None and texts.get(sn) == text and nick == b"s%d" % sn[0], \
                        f"connection {x}: {line[:60]!r} ({len(line)} B)"
                    seqs[x].append(sn)
        for i in range(nsend):
            assert acks[i] == list(range(1, k + 1)), f"s{i} ACKs: {acks[i][:10]}..."
        ref = seqs[nsend]
        for x in range(len(conns)):
            got = seqs[x]
            assert len(set(got)) == len(got) == want[x], f"connection {x}: {len(got)} lines"
            mine = x if x < nsend else None
            expect = [sn for sn in ref if sn[0] != mine]
            if got != expect:
                at = next(i for i, (a, b) in enumerate(zip(got, expect)) if a != b)
                raise AssertionError(f"connection {x} disagrees with r0 at line {at}: "
                                     f"{got[at:at + 3]} vs {expect[at:at + 3]}")
        last = {}
        for s, n in ref:
            assert last.get(s, -1) == n - 1, f"s{s}'s lines out of order at {n}"
            last[s] = n


def _addr(conn):
    host, port = conn.sock.getsockname()[:2]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _wait_trace(srv, conn, pattern, start=0):
    """The first trace line of conn's connection matching pattern among
    the log lines from index start on: (its text, its index)."""
    rx = re.compile(r"^\d\d:\d\d:\d\d  " + re.escape(_addr(conn)) + r"\s+\S+\s+trace: (.*)$")
    want = re.compile(pattern)
    dl = deadline_in(T_SHORT)
    with srv.cond:
        while True:
            for idx in range(start, len(srv.err)):
                m = rx.match(srv.err[idx])
                if m and want.search(m.group(1)):
                    return m.group(1), idx
            left = remaining(dl)
            if left <= 0:
                raise Timeout(f"no trace line of {_addr(conn)} matching {pattern!r}")
            srv.cond.wait(min(left, 0.5))


def _accepted_by(srv, conn):
    text, _ = _wait_trace(srv, conn, r"^accepted by thread \d+ ")
    return int(re.match(r"accepted by thread (\d+)", text).group(1))


def test_trace_says_who_wrote(ctx):
    """Threads mode, --trace: a broadcast to a receiver that reads is
    written 'by thread N (the sender's, directly)', N the sender's thread
    (its 'accepted by thread N'); to a receiver that stopped reading, what
    did not fit is written later by the receiver's own thread."""
    ctx.require_mode("threads")
    with Tmp() as tmp, admin_server(ctx, tmp, "--trace", "--rate", "0") as srv:
        a = Admin.attach(srv.admin_path)
        s = srv.framed("sender")
        tid_s = _accepted_by(srv, s)
        r = srv.framed("reader")
        tid_r = _accepted_by(srv, r)
        stop = srv.framed("stopper", rcvbuf=SMALL_RCVBUF)
        tid_stop = _accepted_by(srv, stop)
        assert len({tid_s, tid_r, tid_stop}) == 3, (tid_s, tid_r, tid_stop)
        s.chat("straight to you")
        assert r.wait_type("CHAT").text == b"straight to you"
        line, _ = _wait_trace(srv, r, r"^write \d+ B by thread %d \(the sender's, directly\): "
                              r"queue empty$" % tid_s)
        # The stopper's connection fills (untraced: the rate bound would
        # hide the later lines), then it alone is traced while it reads.
        assert stop.wait_type("CHAT").text == b"straight to you"
        assert a.command("trace off")[1] == "OK trace is off"
        n = 2 * HOLDS // LINE + 1
        texts = [_text(b"t", i, LINE) for i in range(n)]
        s.chat(texts[0])
        _stall_mid_line(stop)
        for t in texts[1:]:
            s.chat(t)
        r.close()  # it has shown what it had to
        _, last = a.command("trace stopper")
        assert last == "OK tracing stopper only", last
        start = len(srv.err)
        for i, t in enumerate(texts):
            m = stop.next()
            assert m is not None and m.type == "CHAT" and m.text == t, (i, m and m.raw[:60])
        line, _ = _wait_trace(srv, stop, r"^write \d+ B (of \d+ B )?by thread %d[:]" % tid_stop,
                              start)
        assert "directly" not in line, line


if __name__ == "__main__":
    run_tests(globals())
