#!/usr/bin/env python3
"""The /commands, nicknames, events and history.

usage: test_commands.py SERVER_BINARY [--mode M] [-k NAME]"""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chatlib import T_SHORT, run_tests  # noqa: E402


def _outs(lines):
    return [m for m in lines if m.type == "OUT"]


def _text(lines):
    return b"\n".join(m.text for m in lines).decode("utf-8", "replace")


def test_help(ctx):
    with ctx.server() as srv:
        f = srv.framed("helpme")
        lines = f.command("/help")
        outs = _outs(lines)
        assert outs, f"/help printed nothing: {lines}"
        text = _text(outs)
        for c in ("/help", "/nick", "/who", "/me", "/msg", "/time", "/uptime", "/stats",
                  "/ping", "/quit"):
            assert c in text, f"/help does not mention {c}:\n{text}"
        assert not any(m.type == "ACK" for m in lines), "a command got an ACK"


def test_unknown_command(ctx):
    with ctx.server() as srv:
        f = srv.framed("curious")
        lines = f.command("/frobnicate now")
        errs = [m for m in lines if m.type == "ERR"]
        assert len(errs) == 1, lines
        assert errs[0].f(0) == "unknown-command", errs[0]
        assert b"/help" in errs[0].text and b"/frobnicate" in errs[0].text, errs[0]
        p = srv.plain() if ctx.mode != "single" else None
        if p:
            p.say("/frobnicate")
            p.expect_you()
            line = p.readline()
            assert line.startswith(b"error: ") and b"/help" in line, line
        # "//text" is chat, not a command
        f.chat("//not a command")


def test_nick(ctx):
    ctx.require_multi()
    with ctx.server() as srv:
        a = srv.framed("alice")
        b = srv.framed("bob")
        a.sync()
        # valid
        lines = a.command("/nick alice_2-x")
        assert not any(m.type == "ERR" for m in lines), lines
        m = b.wait_type("NICK")
        assert (m.f(0), m.f(1)) == ("alice", "alice_2-x"), m
        # invalid
        for bad in ("/nick", "/nick bad!nick", "/nick " + "n" * 25, "/nick white space",
                    "/nick émile"):
            lines = a.command(bad)
            errs = [m for m in lines if m.type == "ERR"]
            assert errs and errs[0].f(0) in ("bad-nick", "usage"), (bad, lines)
        # taken, case-insensitively
        for taken in ("/nick bob", "/nick BOB"):
            lines = a.command(taken)
            errs = [m for m in lines if m.type == "ERR"]
            assert errs and errs[0].f(0) == "nick-taken", (taken, lines)
        a.chat("after the nick change")
        m = b.wait_type("CHAT")
        assert m.nick == "alice_2-x", m
        # A HELLO with a taken or invalid nick gets a guest nick.
        c = srv.framed("BOB")
        assert c.nick.startswith("guest") and c.nick != "BOB", c.welcome
        d = srv.framed("no*good")
        assert d.nick.startswith("guest"), d.welcome


def test_nick_race(ctx):
    """Many clients asking for the same nick at once: exactly one gets it."""
    ctx.require_multi()
    with ctx.server() as srv:
        conns = [srv.connect() for _ in range(20)]
        for c in conns:  # all hellos before any answer is read
            c.sendline("HELLO sockchat/1 Popular")
        got = []
        for c in conns:
            line, _ = c.read_until(lambda l: l.startswith(b"WELCOME"))
            got.append(line.split()[1])
        assert sorted(got).count(b"Popular") == 1, got
        assert len(set(n.lower() for n in got)) == len(got), f"duplicate nicks: {got}"
        # and through /nick, case-insensitively
        others = [srv.framed(f"racer{i}") for i in range(10)]
        for f in others:
            f.msg("/nick SameName" if f.nick != "racer0" else "/nick samename")
        winners = []
        for f in others:
            lines = f.sync()
            if not any(m.type == "ERR" for m in lines):
                winners.append(f.nick)
        assert len(winners) == 1, f"{len(winners)} clients got the same nick: {winners}"


def test_who_me_msg(ctx):
    ctx.require_multi()
    with ctx.server() as srv:
        a = srv.framed("alice")
        b = srv.framed("bob")
        c = srv.framed("carol")
        for x in (a, b):
            x.sync()
        lines = _outs(a.command("/who"))
        text = _text(lines)
        for n in ("alice", "bob", "carol"):
            assert n in text, f"/who misses {n}:\n{text}"
        assert "127.0.0.1" in text, f"/who shows no address:\n{text}"
        # /me
        i = a.msg("/me waves")
        a.wait_type("ACK", pred=lambda m: m.f(0) == str(i))
        m = b.wait_type("ACTION")
        assert (m.nick, m.text) == ("alice", b"waves"), m
        assert abs(int(m.f(0)) - time.time()) < 60, m
        # /msg: to the target and echoed to the sender, nobody else
        a.msg("/msg bob psst secret")
        m = a.wait_type("PRIV")
        assert (m.f(1), m.f(2), m.text) == ("alice", "bob", b"psst secret"), m
        m = b.wait_type("PRIV")
        assert (m.f(1), m.f(2), m.text) == ("alice", "bob", b"psst secret"), m
        a.chat("after the secret")
        got, skipped = c.next_until(lambda m: m.type == "CHAT" and m.text == b"after the secret")
        assert not any(m.type == "PRIV" for m in skipped), skipped
        assert not any(m.type == "CHAT" and b"secret" in m.text and m.text != got.text
                       for m in skipped)
        lines = a.command("/msg nobody hello")
        errs = [m for m in lines if m.type == "ERR"]
        assert errs and errs[0].f(0) == "no-such-nick", lines
        lines = a.command("/msg")
        assert any(m.type == "ERR" for m in lines), lines


def test_time_uptime_stats_ping(ctx):
    with ctx.server() as srv:
        f = srv.framed("clock")
        for cmd in ("/time", "/uptime"):
            outs = _outs(f.command(cmd))
            assert outs and outs[0].text, f"{cmd} printed nothing"
        f.chat("one message")
        text = _text(_outs(f.command("/stats"))).lower()
        assert ctx.mode in text, f"/stats does not name the mode:\n{text}"
        assert "bytes" in text and "message" in text, text
        f.msg("/ping tok123")
        m = f.wait_type("PONG")
        assert m.text == b"tok123", m
        f.sendline("PING tok456")
        m = f.wait_type("PONG")
        assert m.text == b"tok456", m
        if ctx.mode != "single":
            p = srv.plain()
            p.say("/ping abc")
            p.expect(b"pong abc")
            p.say("/time")
            assert p.readline(), "plain /time printed nothing"


def test_quit_and_exit(ctx):
    ctx.require_multi()
    with ctx.server() as srv:
        w = srv.framed("watcher")
        a = srv.framed("quitter")
        w.sync()
        a.msg("/quit see you later")
        a.expect_eof()
        m = w.wait_type("LEAVE", pred=lambda m: m.nick == "quitter")
        assert m.text.startswith(b"quit") and b"see you later" in m.text, m
        b = srv.framed("exiter")
        b.msg("EXIT")
        b.expect_eof()
        m = w.wait_type("LEAVE", pred=lambda m: m.nick == "exiter")
        assert m.text.startswith(b"quit"), m
        c = srv.framed("dropper")
        c.sync()
        c.abort()  # RST
        m = w.wait_type("LEAVE", pred=lambda m: m.nick == "dropper")
        assert m.text == b"lost connection", m
        d = srv.plain()  # nc, then Ctrl-D: a clean FIN is a quit
        d.say("/nick closer")
        w.wait_type("NICK", pred=lambda m: m.f(1) == "closer")
        d.sock.shutdown(socket.SHUT_WR)
        m = w.wait_type("LEAVE", pred=lambda m: m.nick == "closer")
        assert m.text == b"quit", m
        d.close()
        p = srv.plain()
        p.say("/quit")
        p.expect_eof()


def test_join_leave_users(ctx):
    ctx.require_multi()
    with ctx.server() as srv:
        a = srv.framed("first")
        assert a.welcome.f(2) == "1", a.welcome
        b = srv.framed("second")
        assert b.welcome.f(2) == "2", b.welcome
        m = a.wait_type("JOIN")
        assert (m.f(0), m.f(1)) == ("second", "2"), m
        b.msg("/quit")
        m = a.wait_type("LEAVE")
        assert (m.f(0), m.f(1)) == ("second", "1"), m


def test_history(ctx):
    """A newcomer is sent the last N chat messages (--history N)."""
    ctx.require_multi()
    with ctx.server("--history", "5", "--rate", "0") as srv:
        a = srv.framed("talker")
        for i in range(8):
            a.chat(f"line {i}")
        a.msg("/me is not chat")  # may or may not count as history
        a.wait_type("ACK")
        b = srv.framed("late")
        hist = [m for m in b.sync() if m.type in ("CHAT", "ACTION")]
        chats = [m.text for m in hist if m.type == "CHAT"]
        assert len(hist) == 5, hist
        assert chats == [f"line {i}".encode() for i in range(8 - len(chats), 8)], chats
        assert all(m.nick == "talker" for m in hist)


def test_history_default_20(ctx):
    ctx.require_multi()
    with ctx.server("--rate", "0") as srv:
        a = srv.framed("talker")
        for i in range(25):
            a.msg(f"msg {i}")
        a.sync()
        b = srv.framed("late")
        chats = [m.text for m in b.sync() if m.type == "CHAT"]
        assert chats == [f"msg {i}".encode() for i in range(5, 25)], chats
        p = srv.plain()
        p.say("/ping h")
        lines = p.read_until(lambda l: l == b"pong h")[1]
        hist = [l for l in lines if l.startswith(b"<talker> ")]
        assert len(hist) == 20, lines


def test_history_zero(ctx):
    ctx.require_multi()
    with ctx.server("--history", "0") as srv:
        a = srv.framed("talker")
        a.chat("forgotten")
        b = srv.framed("late")
        assert not [m for m in b.sync() if m.type == "CHAT"]


if __name__ == "__main__":
    run_tests(globals())
