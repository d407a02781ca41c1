#!/usr/bin/env python3
"""--trace (issue 14): the server's log shows, per connection, who accepts
it, each read with where its lines end, each write, the close; the `trace`
command at the admin socket; the rate bound; single mode's listen backlog.
The exact line formats are in docs/man/sockchat-server.1 (TRACE).

usage: test_trace.py SERVER_BINARY [--mode M] [-k NAME]"""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chatlib import T_SHORT, deadline_in, remaining, run_tests  # noqa: E402
from test_admin import Admin, Tmp, admin_server  # noqa: E402


def trace_lines(srv, who=None):
    """The log's trace lines (of the connection whose nick is who)."""
    out = []
    for line in list(srv.err):
        m = re.match(r"^\d\d:\d\d:\d\d  (\S+)\s+(\S+)\s+trace: (.*)$", line)
        if m and (who is None or m.group(2) == who):
            out.append(m.group(3))
    return out


def test_accept_names_the_thread(ctx):
    """Each accept names the thread that serves the connection: threads mode
    a new thread per client (a task of the server process, not its main
    thread), pool a worker thread, single the server's one thread."""
    with ctx.server("--trace") as srv:
        srv.plain()
        line = srv.wait_log(r"trace: accepted by ")
        tasks = os.listdir(f"/proc/{srv.pid}/task")
        if ctx.mode == "threads":
            m = re.search(r"trace: accepted by thread (\d+) \(a new thread for it\)$", line)
            assert m and m.group(1) in tasks and int(m.group(1)) != srv.pid, (line, tasks)
            srv.plain()
            dl = deadline_in(T_SHORT)
            while len(re.findall(r"accepted by thread (\d+)", "\n".join(srv.err))) < 2:
                assert remaining(dl) > 0, srv.err
                time.sleep(0.02)
            tids = re.findall(r"accepted by thread (\d+)", "\n".join(srv.err))
            assert tids[0] != tids[1], tids  # a thread per client
        elif ctx.mode == "pool":
            m = re.search(r"trace: accepted by worker w\d+ \(tid (\d+)\)$", line)
            assert m and m.group(1) in tasks and int(m.group(1)) != srv.pid, (line, tasks)
        else:
            m = re.search(r"trace: accepted by the one thread \(tid (\d+)\)$", line)
            assert m and int(m.group(1)) == srv.pid, line  # the main thread serves


def test_read_of_two_lines_and_a_partial(ctx):
    """One read holding two lines shows both line ends; a read ending in a
    partial line shows it, and the next read completes it."""
    with ctx.server("--trace") as srv:
        p = srv.plain()
        p.send(b"one\ntwo\n")
        srv.wait_log(r"trace: read 8 B: 2 lines framed \(end at 4, 8\)$")
        p.send(b"three\nfo")
        srv.wait_log(r"trace: read 8 B: 1 line framed \(ends at 6\) \+ 2 B partial$")
        p.send(b"ur\n")
        srv.wait_log(r"trace: read 3 B: 1 line framed \(ends at 3\); the first had 2 B from "
                     r"before$")
        srv.wait_log(r"says: four$")
        srv.wait_log(r"trace: write \d+ B by .*: queue empty$")


def test_tutorial_client_read_is_a_message(ctx):
    """The tutorial's client: each read is one message, from the first on."""
    with ctx.server("--trace") as srv:
        r = srv.raw()
        r.send(b"hello")
        srv.wait_log(r"trace: read 5 B: 1 message \(the tutorial's dialect: one read is one "
                     r"message\)$")
        assert r.recv_exact_text(b"Message received") == b"Message received"


def test_trace_one_nick_at_the_admin_socket(ctx):
    """`trace bob` at the admin socket: bob's reads are traced, in the log
    and as trace events; alice's are not."""
    ctx.require_multi()
    with Tmp() as tmp, admin_server(ctx, tmp) as srv:
        a = Admin.attach(srv.admin_path)
        a.command("subscribe events")
        outs, last = a.command("trace bob")
        assert last == "OK tracing bob only", (outs, last)
        alice = srv.framed("alice")
        bob = srv.framed("bob")
        alice.chat("from alice")
        bob.chat("from bob")
        srv.wait_log(r"bob\s+trace: read \d+ B: 1 line framed")
        _, _, _, nick, text = a.event("trace", lambda t: t.startswith("trace: read"))
        assert nick == "bob", (nick, text)
        alice.chat("alice again")
        bob.chat("bob again")
        srv.wait_log(r"says: bob again$")
        assert trace_lines(srv, "alice") == [], trace_lines(srv)
        assert all(l.startswith(("read ", "write ")) for l in trace_lines(srv, "bob"))
        assert a.command("trace off")[1] == "OK trace is off"
        assert a.command("trace")[0] == ["trace is off"]
        assert a.command("trace no such nick")[1].startswith("ERR ")


def test_flood_is_summarised(ctx):
    """A client sending 300 lines in separate writes over about a second:
    at most TRACE_PER_SEC (10) read/write lines per second of it, and a
    summary of the rest."""
    with ctx.server("--trace", "--rate", "0") as srv:
        p = srv.plain()
        p.send(b"start\n")
        srv.wait_log(r"says: start$")
        t0 = time.monotonic()
        for i in range(300):
            p.send(b"line %d\n" % i)
            time.sleep(0.004)  # separate writes: many reads, not one
        p.send(b"exit\n")
        srv.wait_log(r"trace: closed \(quit\)")
        elapsed = time.monotonic() - t0
        lines = trace_lines(srv, "guest1")
        told = [l for l in lines if l.startswith(("read ", "write "))]
        summaries = [l for l in lines if l.startswith("... ")]
        assert summaries, lines
        assert re.match(r"^\.\.\. \d+ more reads? \(\d+ [KM]?B\)", summaries[0]), summaries
        # Windows begin at an event, so the run spans at most elapsed + 2.
        assert len(told) <= 10 * (int(elapsed) + 2), (len(told), elapsed)
        assert len(lines) < 60, len(lines)


def test_single_mode_backlog(ctx):
    """Single mode: a second connection waits in the listen backlog while the
    first is served; the trace says so, and when it is accepted, after how
    long."""
    ctx.require_mode("single")
    with ctx.server("--trace") as srv:
        a = srv.plain()
        a.say("first")
        a.expect(b"Message received")
        b = srv.plain()  # its connect succeeds: the kernel completed it
        srv.wait_log(r"^\d\d:\d\d:\d\d  trace: backlog: 1 connection waiting \(not accepted yet\)$")
        t_waiting = time.monotonic()
        c = srv.plain()
        srv.wait_log(r"trace: backlog: 2 connections waiting \(not accepted yet\)$")
        a.say("exit")
        a.expect_eof()
        a.close()
        line = srv.wait_log(r"trace: accepted by the one thread \(tid \d+\) after (\d+) ms in the "
                            r"backlog$")
        waited = int(re.search(r"after (\d+) ms", line).group(1))
        held = (time.monotonic() - t_waiting) * 1000
        # Seen at most a check (250 ms) after its connect.
        assert waited >= held - 300, (waited, held)
        b.say("second")
        b.expect(b"Message received")
        b.say("exit")
        b.expect_eof()
        b.close()
        c.say("third")
        c.expect(b"Message received")


if __name__ == "__main__":
    run_tests(globals())
