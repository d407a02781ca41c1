#!/usr/bin/env python3
"""The operator's kick, ban and mute where everyone shares one address (a
class on one VM, or behind one NAT): here, all on 127.0.0.1. A person is
recognised by sockchat's SESSION token and by the nick, never by the
address; the console prints each result once.

usage: test_moderation.py SERVER_BINARY [--mode M] [-k NAME]"""

import os
import pty
import re
import select
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chatlib  # noqa: E402
from chatlib import T_SHORT, Framed, Timeout, deadline_in, remaining, run_tests  # noqa: E402

TOKEN = "bobsession42"


def ours(srv, nick, token=TOKEN):
    """A framed client that names itself with SESSION after its WELCOME, as
    sockchat does; None when it was refused before the WELCOME."""
    return srv._track(Framed.connect(srv.addr)).arrive(nick, token)


def test_kick_holds_on_one_address(ctx):
    ctx.require_multi()
    with ctx.server(tty=True) as srv:
        teacher = srv.framed("teacher")
        bob = ours(srv, "bob")
        bob.sync()
        srv.console("kick bob 30m spamming the room")
        srv.wait_log(r"^kicked bob for 30m00s \(recognised by session token and nick\): "
                     r"spamming the room$", stream="out")
        lines = bob.expect_eof()
        assert b"ERR kicked you were kicked by the operator for 30m00s: spamming the room" \
            in lines, lines
        m = teacher.wait_type("LEAVE", pred=lambda m: m.nick == "bob")
        assert m.text == b"kicked: spamming the room", m
        srv.wait_log(r"\bbob\s+disconnected \(kicked: spamming the room\)$", stream="err")

        # /connect: refused before it joins, with the time left.
        again = ours(srv, "bob")
        assert again.refusal is not None and again.refusal.type == "ERR", again.refusal
        assert re.fullmatch(rb"ERR kicked you are still kicked \((?:30m00|29m[0-5]\d)s left\): "
                            rb"spamming the room", again.refusal.raw), again.refusal
        assert again.expect_eof() == []
        # The same client under another nick: its token gives it away.
        other = ours(srv, "robert")
        assert other.welcome is not None
        m, _ = other.next_until(lambda m: m.type == "ERR", what="ERR kicked")
        assert m.f(0) == "kicked" and m.text.startswith(b"you are still kicked ("), m
        assert other.expect_eof() == []
        # nc, back as a new guest, cannot take the nick.
        p = srv.plain()
        p.say("/nick bob")
        line, _ = p.read_until(lambda l: l.startswith(b"error: "))  # robert's leave may come first
        assert re.fullmatch(rb"error: bob is kicked by the operator "
                            rb"\((?:30m00|29m[0-5]\d)s left\); "
                            rb"pick another", line), line

        srv.console("bans")
        srv.wait_log(r"^  kick bob \(token, nick\): (?:30m00|29m[0-5]\d)s left: spamming the room$",
                     stream="out")
        srv.console("unban bob")
        srv.wait_log(r"^unbanned bob$", stream="out")
        back = ours(srv, "bob")
        assert back.welcome is not None and back.nick == "bob", back.refusal
        back.sync()
        teacher.sync()  # the address is everyone's: the teacher stayed


def test_ban_nick(ctx):
    """ban NICK: the person (token and nick), not the address, until unban;
    'ban NICK' used to say 'bad address'."""
    ctx.require_multi()
    with ctx.server(tty=True) as srv:
        teacher = srv.framed("teacher")
        bob = ours(srv, "bob")
        bob.sync()
        srv.console("ban bob cheating")
        lines = bob.expect_eof()
        assert b"ERR kicked you were banned by the operator: cheating" in lines, lines
        again = ours(srv, "guest1")  # a restart of sockchat keeps no nick, but the token
        _, _ = again.next_until(lambda m: m.type == "ERR" and b"banned" in m.text, what="ERR")
        srv.console("bans")
        srv.wait_log(r"^  ban  bob \(token, nick\): until unban: cheating$", stream="out")
        srv.console("unban BOB")
        srv.wait_log(r"^unbanned BOB$", stream="out")
        assert ours(srv, "bob").welcome is not None
        teacher.sync()


def test_mute(ctx):
    """mute NICK: they read, cannot write (chat, /me, /msg: ERR muted), and
    reconnecting does not shake it off; unmute tells them."""
    ctx.require_multi()
    with ctx.server(tty=True) as srv:
        teacher = srv.framed("teacher")
        bob = ours(srv, "bob")
        bob.sync()
        srv.console("mute bob 10m let others talk")
        m = bob.wait_type("NOTICE")
        assert m.text == b"the operator muted you for 10m00s: you can read, not write: " \
            b"let others talk", m
        for text in ("hello", "/me waves", "/msg teacher psst"):
            bob.msg(text)
            m = bob.wait_type("ERR")
            assert m.f(0) == "muted" and m.text.startswith(b"you are muted ("), m
        teacher.chat("can you read me")
        bob.wait_type("CHAT", pred=lambda m: m.text == b"can you read me")
        assert not [m for m in teacher.sync() if m.type in ("CHAT", "ACTION", "PRIV")]
        bob.close()
        bob = ours(srv, "bob")
        m = bob.wait_type("NOTICE")
        assert m.text.startswith(b"you are still muted ("), m
        bob.msg("back")
        assert bob.wait_type("ERR").f(0) == "muted"
        srv.console("unmute bob")
        srv.wait_log(r"^unmuted bob$", stream="out")
        m = bob.wait_type("NOTICE")
        assert m.text == b"the operator unmuted you: you can write again", m
        bob.chat("thanks")
        teacher.wait_type("CHAT", pred=lambda m: m.text == b"thanks")


def test_console_prints_each_result_once(ctx):
    """With stdout and stderr on one terminal (the teacher's), an action's
    result is shown once, not once printed and once logged."""
    master, slave = pty.openpty()
    # The pty is the server's controlling terminal (as a teacher's is): the
    # console reads only its own terminal.
    proc = subprocess.Popen([ctx.binary, "--bind", "127.0.0.1", "--port", "0", "--mode",
                             ctx.mode], stdin=slave, stdout=slave, stderr=slave,
                            start_new_session=True, preexec_fn=chatlib.take_terminal)
    os.close(slave)
    seen = b""

    def read_until(pattern):
        nonlocal seen
        dl = deadline_in(T_SHORT)
        while not re.search(pattern, seen):
            if remaining(dl) <= 0:
                raise Timeout(f"no {pattern!r} on the terminal: {seen[-500:]!r}")
            r, _, _ = select.select([master], [], [], remaining(dl))
            if r:
                try:
                    seen += os.read(master, 4096)
                except OSError:
                    break
        return re.search(pattern, seen)

    try:
        port = int(read_until(rb"listening on 127\.0\.0\.1:(\d+)").group(1))
        os.write(master, b"ban 10.9.9.9 testing\n")
        read_until(rb"banned 10\.9\.9\.9")
        # A later log line: the log is written in order, so an echo of the
        # ban would be on the terminal before it.
        c = Framed.connect(("127.0.0.1", port))
        c.hello("witness")
        read_until(rb"\bwitness\b.*joined")
        c.close()
        assert seen.count(b"banned 10.9.9.9") == 1, seen.decode("utf-8", "replace")
        os.write(master, b"quit\n")
        assert proc.wait(timeout=T_SHORT) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)


if __name__ == "__main__":
    run_tests(globals())
