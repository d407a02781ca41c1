#!/usr/bin/env python3
"""Interop: the tutorial's client.py, nc-style and telnet-style line clients,
real nc/ncat when installed, and the three dialects talking to each other.

usage: test_interop.py SERVER_BINARY [--mode M] [-k NAME]"""

import os
import re
import select
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chatlib import (INTEROP, T_SHORT, Skip, Timeout, deadline_in, remaining,  # noqa: E402
                     run_tests)

REPLY = b"Server response: Message received\n"
PROMPT = b"Enter a message to send to the server (or 'exit' to quit): "


class TutorialClient:
    """tests/interop/client.py in a subprocess, driven through its stdin."""

    def __init__(self, host, port):
        self.proc = subprocess.Popen(
            [sys.executable, "-u", os.path.join(INTEROP, "client.py"), host, str(port)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.out = b""

    def _read_until(self, pred, timeout):
        dl = deadline_in(timeout)
        fd = self.proc.stdout.fileno()
        while not pred(self.out):
            left = remaining(dl)
            if left <= 0:
                raise Timeout(f"tutorial client output so far: {self.out[-300:]!r}")
            r, _, _ = select.select([fd], [], [], left)
            if r:
                data = os.read(fd, 4096)
                if not data:
                    break
                self.out += data
        return pred(self.out)

    def wait_prompt(self, n, timeout=T_SHORT):
        """Waits for the n-th prompt (the client is then blocked in input())."""
        if not self._read_until(lambda o: o.count(PROMPT) >= n, timeout):
            raise AssertionError(f"client ended before prompt {n}: {self.out[-300:]!r} "
                                 f"stderr {self.proc.stderr.read()[-500:]!r}")

    def type(self, text):
        self.proc.stdin.write(text.encode("utf-8") + b"\n")
        self.proc.stdin.flush()

    def finish(self, timeout=T_SHORT):
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Timeout(f"tutorial client did not exit; output {self.out[-300:]!r}")
        rest = self.proc.stdout.read()
        self.out += rest
        return rc

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def session(self, messages):
        """Types each message at its prompt, waits for the client to exit
        (the last message must make it) and returns its exit code."""
        try:
            for i, m in enumerate(messages, 1):
                self.wait_prompt(i)
                self.type(m)
            return self.finish()
        finally:
            self.kill()


def test_tutorial_client(ctx):
    """Each message gets 'Server response: Message received'; exit ends it."""
    with ctx.server() as srv:
        host, port = srv.addr
        c = TutorialClient(host, port)
        messages = ["hello", "second message", "héllo 日本 👍", "x" * 500, "EXIT"]
        rc = c.session(messages)
        assert rc == 0, f"tutorial client exit code {rc}"
        expected = b"".join(PROMPT + REPLY for _ in messages) + b"Exiting client.\n"
        assert c.out == expected, f"tutorial client transcript:\n{c.out!r}\nexpected:\n{expected!r}"


def test_tutorial_client_sees_only_its_replies(ctx):
    """The raw dialect gets only replies to its own messages (it could not
    show anything else), while its messages still reach the others."""
    ctx.require_multi()
    with ctx.server() as srv:
        host, port = srv.addr
        watcher = srv.framed("watcher")
        c = TutorialClient(host, port)
        try:
            c.wait_prompt(1)
            c.type("from the tutorial")
            c.wait_prompt(2)
            m = watcher.wait_type("CHAT", pred=lambda m: m.text == b"from the tutorial")
            tutorial_nick = m.nick
            # Others talk while the tutorial client waits in input().
            watcher.chat("chatter the tutorial client must not see")
            watcher.sync()
            c.type("again")
            c.wait_prompt(3)
            c.type("exit")
            rc = c.finish()
        finally:
            c.kill()
        assert rc == 0
        assert c.out.count(REPLY) == 3, c.out
        assert b"chatter" not in c.out, f"raw client got others' chat: {c.out!r}"
        m = watcher.wait_type("CHAT", pred=lambda m: m.text == b"again")
        assert m.nick == tutorial_nick
        watcher.wait_type("LEAVE", pred=lambda m: m.nick == tutorial_nick)


def test_raw_replies_exact(ctx):
    """One send() without LF = one message; reply has no newline."""
    with ctx.server() as srv:
        c = srv.raw()
        for msg in (b"hello", b"caf\xc3\xa9", b"two words here"):
            c.send(msg)
            got = c.recv_exact_text(b"Message received")
            assert got == b"Message received", got
            assert c.buf == b"", f"extra bytes after the reply: {c.buf!r}"
        c.send(b"ExIt")
        assert c.recv_exact_text(b"Message received") == b"Message received"
        rest = c.expect_eof()
        assert rest == [], rest


def test_plain_lf_client(ctx):
    """nc-style: LF lines, 'Message received' + LF each, exit closes."""
    with ctx.server() as srv:
        c = srv.plain()
        for i, text in enumerate(("hello", "héllo 日本", "exit-not-really")):
            c.say(text)
            if i == 0:
                assert c.expect_you().startswith("guest")  # told once, when it joins
            line = c.readline()
            assert line == b"Message received", line
        c.say("exit")
        assert c.readline() == b"Message received"
        assert c.expect_eof() == []


def test_plain_crlf_client(ctx):
    """telnet-style: CRLF lines work the same; the CR is not part of the text."""
    ctx.require_multi()
    with ctx.server() as srv:
        watcher = srv.framed("watcher")
        c = srv.plain()
        c.say("hello telnet", end=b"\r\n")
        c.expect_you()
        assert c.readline() == b"Message received"
        m = watcher.wait_type("CHAT")
        assert m.text == b"hello telnet", m
        c.say("EXIT", end=b"\r\n")
        assert c.readline() == b"Message received"
        assert c.expect_eof() == []


def test_plain_single_client_crlf(ctx):
    """CRLF works in every mode, single included."""
    with ctx.server() as srv:
        c = srv.plain()
        c.say("hello", end=b"\r\n")
        c.expect_you()
        assert c.readline() == b"Message received"
        c.say("exit", end=b"\r\n")
        assert c.readline() == b"Message received"
        c.expect_eof()


def test_dialects_talk(ctx):
    """Plain sees framed chat as '<nick> text'; framed sees plain as CHAT."""
    ctx.require_multi()
    with ctx.server() as srv:
        f = srv.framed("alice")
        p = srv.plain()
        p.say("/nick bob")
        f.wait_type("NICK", pred=lambda m: m.f(1) == "bob")
        p.say("hi alice")
        p.expect(b"Message received")
        m = f.wait_type("CHAT")
        assert (m.nick, m.text) == ("bob", b"hi alice"), m
        f.chat("hi bob")
        p.expect(b"<alice> hi bob")


def _run_nc(argv, data):
    try:
        r = subprocess.run(argv, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=T_SHORT)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"{argv[0]} did not exit after the server closed")
    return r


def test_real_nc(ctx):
    tools = [t for t in ("nc", "ncat") if shutil.which(t)]
    if not tools:
        raise Skip("neither nc nor ncat is installed")
    with ctx.server("--history", "0") as srv:  # the second tool must not get the first's line
        host, port = srv.addr
        for tool in tools:
            r = _run_nc([tool, host, str(port)], b"hello from nc\nexit\n")
            assert re.fullmatch(rb"you are guest\d+; /nick NAME to change it\n"
                                rb"Message received\nMessage received\n", r.stdout), \
                (tool, r.stdout, r.stderr)


def test_tutorial_client_long_command_output(ctx):
    """The tutorial's client reads one recv(1024) per message: a command's
    output longer than that (/who in a full room, /help) is cut to 1024
    bytes with a mark, so it never spills into the reply to the next
    message."""
    ctx.require_multi()
    with ctx.server() as srv:
        others = [srv.framed(f"someone_with_a_long_nick_{i:02d}"[:24]) for i in range(20)]
        others[-1].sync()
        host, port = srv.addr
        c = TutorialClient(host, port)
        rc = c.session(["/who", "/help", "hello", "exit"])
        assert rc == 0, rc
        parts = c.out.split(PROMPT)
        # parts[0] is empty; parts[i] is the response to message i
        assert len(parts) == 5, c.out
        head = b"Server response: "
        assert parts[1].startswith(head), parts[1]
        who = parts[1][len(head):-1]
        assert len(who) <= 1024, len(who)
        assert who.endswith(b" more lines]") and b"\n[cut: " in who, who[-100:]
        assert who.startswith(b"21 in #main (21 connected):"), who[:300]
        assert parts[2].startswith(head) and len(parts[2]) - len(head) - 1 <= 1024, parts[2]
        assert parts[3] == REPLY, f"reply to 'hello' after /who and /help: {parts[3][:200]!r}"
        assert parts[4] == REPLY + b"Exiting client.\n", parts[4][:200]


if __name__ == "__main__":
    run_tests(globals())
