#!/usr/bin/env python3
"""Stress 5, signals under load: SIGTERM and SIGINT while every client is
chatting flat out (clean exit 0 within the flush deadline, every client told
SHUTDOWN, then EOF); SIGKILL under load, then a restart on the same port that
serves at once.

usage: stress_signals.py SERVER_BINARY [--mode M] [--size F]
--size 1 is the full size (200 chatting clients); CI runs the default 0.2."""

import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
from chatlib import (SCALE, T_LONG, T_SHORT, TIMEOUT_SCALE, Load, Msg, Skip,  # noqa: E402
                     deadline_in, raise_nofile, remaining, run_tests)

FULL_CLIENTS = 200
DEFAULT_SIZE = 0.2
PLAIN = 5


def _loaded(srv, n):
    clients = [srv.framed(f"busy{i}") for i in range(n)]
    for c in clients:
        c.sync()
    plain = [srv.plain() for _ in range(PLAIN)]
    for i, p in enumerate(plain):
        p.say(f"/ping p{i}")
        p.expect(f"pong p{i}".encode())
    load = Load(clients, window=8)
    load.start()
    # Under load: wait until messages are flowing (polled, bounded).
    dl = deadline_in(T_SHORT)
    while load.total_acked < 20 * n:
        assert remaining(dl) > 0 and load.is_alive(), "load did not get going"
        time.sleep(0.02)
    return load, plain


def _signal_under_load(ctx, sig):
    ctx.require_multi()
    raise_nofile()
    size = (ctx.size if ctx.size is not None else DEFAULT_SIZE) * SCALE
    n = max(10, int(FULL_CLIENTS * size))
    # --max-per-addr 0: the clients are all 127.0.0.1.
    with ctx.server("--rate", "0", "--quiet", "--max-clients", str(n + 100),
                    "--max-per-addr", "0") as srv:
        load, plain = _loaded(srv, n)
        acked_before = load.total_acked
        t0 = time.monotonic()
        srv.send_signal(sig)
        rc = srv.wait(T_SHORT)
        exit_s = time.monotonic() - t0
        load.join(T_SHORT)
        assert not load.is_alive(), "some clients never saw EOF"
        if load.error:
            raise load.error
        untold = [i for i in range(n) if not any(l.startswith(b"SHUTDOWN") for l in load.events[i])]
        for p in plain:
            lines = p.expect_eof()
            assert lines, "a plain client got no notice"
        print(f"  {signal.Signals(sig).name} with {n} framed + {PLAIN} plain clients chatting "
              f"({acked_before}+ messages): exit {rc} after {exit_s:.2f}s; "
              f"{n - len(untold)}/{n} told SHUTDOWN")
        assert rc == 0, f"exit code {rc}"
        assert not untold, f"clients {untold[:10]} got EOF without SHUTDOWN"
        assert exit_s < 2.0 + 3.0 * TIMEOUT_SCALE, f"exit took {exit_s:.2f}s (flush limit 2 s)"


def test_sigterm_under_load(ctx):
    _signal_under_load(ctx, signal.SIGTERM)


def test_sigint_under_load(ctx):
    _signal_under_load(ctx, signal.SIGINT)


def test_sigkill_then_restart(ctx):
    """SIGKILL under load: everyone sees the connection end; a new server on
    the same port starts at once (SO_REUSEADDR) and serves."""
    ctx.require_multi()
    size = (ctx.size if ctx.size is not None else DEFAULT_SIZE) * SCALE
    n = max(10, int(FULL_CLIENTS * size))
    srv = ctx.server("--rate", "0", "--quiet", "--max-clients", str(n + 100),
                     "--max-per-addr", "0")
    with srv:
        load, plain = _loaded(srv, n)
        port = srv.port
        srv.send_signal(signal.SIGKILL)
        rc = srv.wait(T_SHORT)
        assert rc == -signal.SIGKILL, rc
        load.join(T_SHORT)
        assert not load.is_alive(), "some clients never saw the connection end"
        for p in plain:
            p.expect_eof()
    # Connections from the killed server are in TIME_WAIT or worse now.
    with ctx.server(port=port) as again:
        assert again.port == port
        c = again.framed("survivor")
        c.chat("the server is back")
        print(f"  SIGKILL with {n} clients chatting ({load.total_acked} messages); "
              f"restarted on port {port} at once")


def _supports(binary, option):
    r = subprocess.run([binary, "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=T_SHORT)
    return option in r.stdout.decode()


def _read_transcript(path):
    """(nick, text) of each CHAT record, in file order."""
    out = []
    with open(path, "rb") as f:
        data = f.read()
    lines = data.split(b"\n")
    if lines and lines[-1] != b"":
        lines = lines[:-1]  # a torn last record: written, never acknowledged
    for line in lines:
        if not line:
            continue
        m = Msg(line)
        assert m.type == "CHAT", f"transcript record is not a CHAT line: {line[:100]!r}"
        out.append((m.nick, m.text))
    return out


def test_sigkill_transcript(ctx):
    """--transcript: messages are sent, the server is SIGKILLed while they
    flow; every acknowledged message is in the transcript exactly once, and
    after a restart a newcomer's history is the tail of the transcript."""
    ctx.require_multi()
    if not _supports(ctx.binary, "--transcript"):
        raise Skip("the server has no --transcript")
    size = (ctx.size if ctx.size is not None else DEFAULT_SIZE) * SCALE
    n = 10
    total = max(1000, int(5000 * size))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "transcript")
        srv = ctx.server("--rate", "0", "--quiet", "--transcript", path)
        with srv:
            clients = [srv.framed(f"scribe{i}") for i in range(n)]
            for c in clients:
                c.sync()
            load = Load(clients, window=8, max_per_client=total // n)
            load.start()
            dl = deadline_in(T_LONG)
            while load.total_acked < total // 2:  # kill while messages flow
                assert remaining(dl) > 0 and load.is_alive(), "load did not get going"
                time.sleep(0.005)
            srv.send_signal(signal.SIGKILL)
            srv.wait(T_SHORT)
            load.join(T_SHORT)
            assert not load.is_alive()
            port = srv.port
        records = _read_transcript(path)
        counts = {}
        for r in records:
            counts[r] = counts.get(r, 0) + 1
        dups = [r for r, k in counts.items() if k > 1]
        assert not dups, f"{len(dups)} records twice in the transcript, e.g. {dups[0]}"
        missing = []
        for i, c in enumerate(clients):
            for seq in range(1, load.acked[i] + 1):
                text = b"load%d:%d %s" % (i, seq, load.pad)
                if (c.nick, text) not in counts:
                    missing.append((c.nick, seq))
        assert not missing, f"{len(missing)} acknowledged messages not in the transcript: " \
                            f"{missing[:5]}"
        with ctx.server("--history", "20", "--transcript", path, port=port) as again:
            late = again.framed("latecomer")
            hist = [(m.nick, m.text) for m in late.sync() if m.type == "CHAT"]
            want = records[-20:]
            assert hist == want, f"history after restart is not the transcript's tail: " \
                                 f"{hist[-3:]} vs {want[-3:]}"
        print(f"  SIGKILL after {load.total_acked} acknowledged of {total} sent by {n} clients: "
              f"transcript holds {len(records)} records, every acknowledged one once; "
              f"history after restart = last {len(hist)} records")


if __name__ == "__main__":
    run_tests(globals())
