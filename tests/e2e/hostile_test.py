#!/usr/bin/env python3
"""Stress scenario 6 of issue 6: the client under hostile input.

The real client runs in tmux under a wrapper that records the tty state
before and after it. A fake server (Python, below) sends a 1 MB line,
garbage and escape sequences; the real server dies while the user is
typing; the terminal is resized 100 times in a second. Each case fails if
the client crashes, if a control sequence it received takes effect or shows
raw on screen, or if the terminal is left in raw mode (or any other mode)
after Ctrl-C.

Run one case: hostile_test.py CASE --client PATH [--server PATH]
"""

import os
import random
import re
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import term  # noqa: E402
from client_test import (ST_CONNECTED, ST_RETRY, acked, chat, check_layout,  # noqa: E402
                         client_argv, pending, server, wait_connected)


def welcome(c, nick="alice", mode="fake", users="2", name="fakesrv"):
    c.sendall(("WELCOME %s %s %s %s\n" % (nick, mode, users, name)).encode())


def chat_line(nick, text):
    if isinstance(text, str):
        text = text.encode()
    return b"CHAT %d %s " % (int(time.time()), nick.encode()) + text + b"\n"


def start_client(tm, port, opts, w=80, ht=24):
    return term.run_checked(tm, client_argv(opts, port, "alice"), w, ht, record=True)


def check_alive(p, d):
    h.check(not os.path.exists(os.path.join(d, "done")),
            "the client exited (crashed?): status %s" % _status(d), p.describe)


def _status(d):
    try:
        with open(os.path.join(d, "status")) as f:
            s = int(f.read().strip())
    except (OSError, ValueError):
        return "unknown"
    return "%d (signal %d)" % (s, s - 128) if s > 128 else str(s)


def finish(p, d, alt_before):
    """The client is alive and nothing took effect; Ctrl-C restores the tty."""
    check_alive(p, d)
    check_untouched(p, alt_before)
    check_layout(p)
    term.check_output_clean(p)
    p.keys("C-c")
    term.check_restored(p, d, statuses=(0, 130))
    reports = h.sanitizer_reports()
    h.check(not reports, "sanitizer reports:\n" + reports)


def check_untouched(p, alt_before):
    h.check(term.title(p) != "PWNED", "a title sequence took effect", p.describe)
    esc = p.screen(escapes=True)
    h.check(not term.has_sgr(esc, 5), "a blink sequence took effect", p.describe)
    h.check(term.modes(p)["alternate_on"] == alt_before, "the alternate screen was switched",
            p.describe)
    h.check(term.modes(p)["mouse_all_flag"] == "0", "mouse-all mode was switched on", p.describe)
    bufs = p.tmux.run("list-buffers", "-F", "#{buffer_name}")
    h.check(bufs.strip() == "", "an OSC 52 clipboard write took effect: %r" % bufs, p.describe)


# ---------------------------------------------------------------------------

def t_big_line(opts):
    """1 MB in one line, then 1 MB with no newline at all: the client stays
    up and keeps working (it may drop and reconnect)."""
    def script(c, n):
        welcome(c)
        if n == 0:
            c.sendall(b"CHAT 0 evil " + b"A" * (1 << 20) + b"\n")
            c.sendall(chat_line("evil", "after-big-line"))
            c.sendall(b"OUT " + b"B" * (1 << 20))  # no newline, then close
            c.shutdown(socket.SHUT_RDWR)
            c.close()
        else:
            c.sendall(chat_line("evil", "after-reconnect"))
            threading.Event().wait(60)
    fake = h.FakeServer(script)
    tm = h.Tmux()
    p, d = start_client(tm, fake.port, opts)
    alt = _alt_after_start(p)
    p.wait(chat("evil", "after-reconnect"), 30)
    p.wait_row(-2, ST_CONNECTED)
    finish(p, d, alt)


def _alt_after_start(p):
    p.wait_row(-2, r"\S", 10)  # the client has drawn its status bar
    return term.modes(p)["alternate_on"]


GARBAGE_SEED = 6


def garbage(n):
    r = random.Random(GARBAGE_SEED)
    pieces = [bytes(r.randrange(256) for _ in range(n)),
              b"\x00" * 64, b"\xff\xfe\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80",
              b"line\rwith\rCR\ronly\r", b"\x1b", b"\x9b", b"\x1b[", b"\x1b]0;PWNED",
              b"e\xcc\x81 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x91\x8d"]
    r.shuffle(pieces)
    return b"".join(pieces)


def t_garbage(opts):
    """Random bytes, NULs, invalid UTF-8, CR-only lines, lone and cut escape
    sequences, as whole lines and inside the fields of real message types."""
    def script(c, n):
        welcome(c)
        g = garbage(4096)
        c.sendall(g + b"\n")
        for t in (b"CHAT", b"CHAT x", b"CHAT 1", b"ACK", b"ACK zz", b"WELCOME", b"PRIV 1 a",
                  b"LEAVE", b"JOIN", b"NICK a", b"PONG", b"ERR", b"FROB"):
            c.sendall(t + b" " + g[:300].replace(b"\n", b" ") + b"\n")
            c.sendall(t + b"\n")
        c.sendall(b"\r\n\n\r\n")
        for i in range(0, len(g), 97):
            c.sendall(b"CHAT 1 evil " + g[i:i + 97].replace(b"\n", b" ") + b"\n")
        c.sendall(chat_line("evil", "after-garbage"))
        threading.Event().wait(60)
    fake = h.FakeServer(script)
    tm = h.Tmux()
    p, d = start_client(tm, fake.port, opts)
    alt = _alt_after_start(p)
    p.wait(chat("evil", "after-garbage"), 20)
    finish(p, d, alt)


EVIL = [b"\x1b]2;PWNED\x07", b"\x1b]0;PWNED\x1b\\", b"\x1b[5m", b"\x1b[2J", b"\x1b[H",
        b"\x1b[?1049l", b"\x1b[?1003h", b"\x1b]52;c;UFdORUQ=\x07", b"\x9b5m", b"\x1bc",
        b"\x1b[6n", b"\x1b[21t", b"\x1bP$q\"p\x1b\\", b"\x07", b"\x08\x08\x08", b"\x1b(0"]


def t_escapes(opts):
    """Escape sequences in every field the client shows: the welcome
    (nick, mode, server name go to the status bar), chat nicks and texts,
    actions, private messages, joins, leaves, nick changes, command output,
    errors, notices, unknown types."""
    ev = b"".join(EVIL)

    def script(c, n):
        c.sendall(b"WELCOME alice fake" + EVIL[0] + b" 2 srv" + ev + b"\n")
        lines = [b"CHAT 1 ev" + EVIL[2] + b"il x " + ev + b" y",
                 b"ACTION 1 evil " + ev, b"PRIV 1 evil alice " + ev,
                 b"JOIN ev" + EVIL[1] + b"il 3", b"LEAVE evil 2 quit " + ev,
                 b"NICK evil ev" + EVIL[6] + b"il", b"OUT " + ev, b"ERR usage " + ev,
                 b"NOTICE " + ev, b"FROB " + ev, b"PONG " + ev]
        for l in lines:
            c.sendall(l + b"\n")
        c.sendall(chat_line("evil", "after-escapes"))
        threading.Event().wait(60)
    fake = h.FakeServer(script)
    tm = h.Tmux()
    p, d = start_client(tm, fake.port, opts)
    alt = _alt_after_start(p)
    p.wait(chat("evil", "after-escapes"), 20)
    finish(p, d, alt)


WEIRD = [b"WELCOME alice fake 99999999999999999999 x", b"WELCOME alice fake -5 x",
         b"WELCOME " + b"n" * 500 + b" m 1 s",
         b"CHAT 99999999999999999999 evil bigtime", b"CHAT -99999999999 evil negtime",
         b"CHAT 9223372036854775807 evil maxtime", b"CHAT -9223372036854775808 evil mintime",
         b"ACK 12345", b"ACK 18446744073709551615", b"ACK 0", b"ACK -1",
         b"CHAT 1 " + b"N" * 3000 + b" longnick",
         b"CHAT 1 evil " + "日".encode() * 2700,
         b"CHAT 1 evil " + "\u0301".encode() * 50 + b" combining-only",
         b"CHAT 1 evil " + "👩\u200d👩\u200d👧 ❤\ufe0f e\u0301 zwj".encode(),
         b"CHAT 1 evil " + "\u202e reversed \u2066 isolate".encode(),
         b"JOIN " + b"j" * 100 + b" 4294967295", b"LEAVE x 4294967296 quit",
         b"NICK alice " + b"z" * 200, b"PRIV 1 a b", b"PRIV 1 evil alice " + b"x " * 3000,
         b"PONG", b"PONG " + b"9" * 400, b"SHUTDOWN going down " + b"\x1b[5m"]


def t_fields(opts):
    """Well-framed lines with hostile fields: numbers out of range, huge
    nicks and texts, combining-only text, ZWJ emoji, bidi overrides, a
    second WELCOME, acknowledgements of nothing."""
    def script(c, n):
        welcome(c)
        for l in WEIRD:
            c.sendall(l + b"\n")
        c.sendall(chat_line("evil", "after-fields"))
        threading.Event().wait(60)
    fake = h.FakeServer(script)
    tm = h.Tmux()
    p, d = start_client(tm, fake.port, opts)
    alt = _alt_after_start(p)
    p.wait(chat("evil", "after-fields"), 20)
    h.check("\u202e" not in p.screen() and "\u2066" not in p.screen(),
            "a bidi override reached the screen", p.describe)
    finish(p, d, alt)


def t_flood(opts):
    """50,000 lines at once: the client keeps up (redraws are coalesced),
    stays responsive to typing, and keeps its memory bounded."""
    N = 50000

    def script(c, n):
        welcome(c)
        t = int(time.time())
        c.sendall(b"".join(b"CHAT %d bob flood %05d\n" % (t, i) for i in range(N)))
        threading.Event().wait(60)
    fake = h.FakeServer(script)
    tm = h.Tmux()
    t0 = time.monotonic()
    p, d = start_client(tm, fake.port, opts)
    p.wait(chat("bob", "flood %05d" % (N - 1)), 30)
    alt = term.modes(p)["alternate_on"]
    took = time.monotonic() - t0
    p.type("still typing")
    p.wait(r"still typing", 5)
    pid = term.program_pid(p)
    with open("/proc/%d/status" % pid) as f:
        rss = int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
    print("%d lines shown %.2f s after the client started; client RSS %d kB" % (N, took, rss))
    h.check(rss < 200 * 1024, "client RSS %d kB after a flood" % rss)
    p.keys("C-u")
    # The scrollback keeps the newest 10,000 entries (at least): Home shows
    # the oldest one kept.
    p.keys("Home")
    # the top row, once drawn, is flood 40000 or older (N = 50000)
    m = p.wait(r"\A\S+ <bob> flood ([0-3]\d{4}|40000)$")
    print("oldest entry kept: flood %s" % m.group(1))
    p.keys("End")
    p.wait(chat("bob", "flood %05d" % (N - 1)))
    finish(p, d, alt)


def t_plain_escapes(opts):
    """--plain prints server lines as the tutorial's client does, and
    sanitises them too: no payload reaches the terminal."""
    ev = b"".join(EVIL)

    def script(c, n):
        c.sendall(b"<evil> hi " + ev + b" there\n*** " + ev + b"\n" + garbage(512) +
                  b"\nMessage received")
        threading.Event().wait(60)
    fake = h.FakeServer(script)
    tm = h.Tmux()
    p, d = term.run_checked(tm, client_argv(opts, fake.port, "alice", ["--plain"]), 80, 24,
                            record=True)
    p.wait(r"^Server response: Message received")
    p.wait(r"\(or 'exit' to quit\):")
    check_untouched(p, "0")
    check_layout(p)
    term.check_output_clean(p)
    p.line("exit")
    term.check_restored(p, d, statuses=(0,))


def t_server_dies(opts):
    """The server is killed (SIGKILL) while the user is typing: the half
    line survives, is finished and sent after the restart; and a fake server
    that resets the connection in the middle of a line."""
    tm = h.Tmux()
    srv = server(opts)
    port = srv.port
    p, d = start_client(tm, port, opts)
    wait_connected(p)
    alt = term.modes(p)["alternate_on"]
    p.type("half-typ")
    p.wait(r"half-typ")
    srv.kill()
    p.wait_row(-2, ST_RETRY, 10)
    h.check("half-typ" in p.rows()[-1], "the input line lost the half-typed text: %r"
            % p.rows()[-1], p.describe)
    p.line("ed line")
    p.wait(pending("alice", "half-typed line"))
    srv2 = server(opts, port)
    wait_connected(p, 40)
    p.wait(acked("alice", "half-typed line"))
    srv2.kill()
    p.wait_row(-2, ST_RETRY, 10)
    finish(p, d, alt)

    # A reset in the middle of a line.
    def script(c, n):
        welcome(c)
        if n == 0:
            c.sendall(b"CHAT 1 evil unfinished li")
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            c.close()
        else:
            c.sendall(chat_line("evil", "after-reset"))
            threading.Event().wait(60)
    fake = h.FakeServer(script)
    p, d = start_client(tm, fake.port, opts)
    alt = _alt_after_start(p)
    p.wait(chat("evil", "after-reset"), 30)
    finish(p, d, alt)


def t_resize_storm(opts):
    """100 resizes in a second, down to 1x1, while messages arrive; then the
    client is drawn right at 80x24 and still works."""
    tm = h.Tmux()
    srv = server(opts, args=["--rate", "0"])
    p, d = start_client(tm, srv.port, opts)
    wait_connected(p)
    alt = term.modes(p)["alternate_on"]
    peer = h.FramedClient(srv.port, "bob")
    r = random.Random(100)
    sizes = [(r.randrange(1, 200), r.randrange(1, 60)) for _ in range(96)]
    sizes += [(1, 1), (40, 10), (39, 9), (200, 60)]
    start = time.monotonic()
    for i, (w, ht) in enumerate(sizes):
        p.resize(w, ht)
        if i % 5 == 0:
            peer.msg("storm %03d 日本 👍" % i)
        # pace the storm at 100 per second (a rate, not a wait for anything)
        slot = start + (i + 1) * 0.01
        if slot > time.monotonic():
            time.sleep(slot - time.monotonic())
    took = time.monotonic() - start
    print("100 resizes in %.2f s" % took)
    p.resize(80, 24)
    p.wait_size(80, 24)
    check_alive(p, d)
    wait_connected(p)
    p.wait(chat("bob", "storm 095 日本 👍"))
    p.line("still here")
    p.wait(acked("alice", "still here"))
    finish(p, d, alt)


def _vm(pid, field):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"%s:\s+(\d+)" % field, f.read()).group(1))


FLOOD_MAX = 128 << 20  # bytes of PINGs at most; the client must give up long before


def t_ping_flood(opts):
    """Issue 11 item 13: a server that floods PINGs and never reads our
    PONGs. The client answers no PING with a token over 64 bytes, keeps its
    unsent output bounded, disconnects saying why ("the server is not
    reading what we send"), and keeps the message the user typed: it goes
    to the next connection. Its peak RSS stays within 32 MB of what it was
    before the flood (without the cap it grew by the whole flood)."""
    go = threading.Event()
    flood = {"sent": 0, "why": None, "done": threading.Event()}

    def script(c, n):
        if n > 0:
            # The reconnect: a server that reads, and acknowledges.
            welcome(c)
            buf = b""
            while True:
                d = c.recv(65536)
                if not d:
                    return
                buf += d
                m = re.search(rb"^MSG (\d+) keep me$", buf, re.M)
                if m:
                    c.sendall(b"ACK %s\n" % m.group(1))
                    threading.Event().wait(60)
                    return
        welcome(c)
        go.wait(30)
        c.sendall(b"PING " + b"L" * 4000 + b"\n")
        block = b"".join(b"PING %s\n" % (b"%064d" % i) for i in range(16000))  # 1.1 MB
        try:
            while flood["sent"] < FLOOD_MAX:
                c.sendall(block)
                flood["sent"] += len(block)
            flood["why"] = "sent it all"
        except OSError as e:
            flood["why"] = str(e)  # the client closed: what we want
        flood["done"].set()
        threading.Event().wait(60)

    fake = h.FakeServer(script, drain=False)
    tm = h.Tmux()
    p, d = start_client(tm, fake.port, opts)
    alt = _alt_after_start(p)
    p.wait_row(-2, ST_CONNECTED, 10)
    p.line("keep me")
    p.wait(pending("alice", "keep me"))
    pid = term.program_pid(p)
    before = _vm(pid, "VmRSS")
    go.set()
    h.check(flood["done"].wait(60), "the flood did not end in 60 s", p.describe)
    hwm = _vm(pid, "VmHWM")
    print("flood: %d MB sent (%s); client RSS %d kB before, peak %d kB"
          % (flood["sent"] >> 20, flood["why"], before, hwm))
    h.check(hwm - before < 32 * 1024, "client RSS grew from %d to %d kB" % (before, hwm))
    h.check(flood["sent"] < FLOOD_MAX, "the client took the whole flood", p.describe)
    p.wait(r"the server is not reading what we send", 10)
    p.wait(r"PING with a token over 64 bytes; not answered")
    # Nothing lost: the message goes out again on the next connection.
    p.wait(acked("alice", "keep me"), 20)
    finish(p, d, alt)


TESTS = {"big_line": t_big_line, "garbage": t_garbage, "escapes": t_escapes,
         "fields": t_fields, "flood": t_flood, "plain_escapes": t_plain_escapes,
         "server_dies": t_server_dies, "resize_storm": t_resize_storm,
         "ping_flood": t_ping_flood}

if __name__ == "__main__":
    sys.exit(h.main(TESTS))
