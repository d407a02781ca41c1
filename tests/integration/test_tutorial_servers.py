#!/usr/bin/env python3
"""Self-test of tests/interop/: the tutorial's own client against the
tutorial's own servers behaves as the tutorial shows. The client and bench
helpers rely on these rewrites, so they must be right. Needs no sockchat.

usage: test_tutorial_servers.py"""

import os
import re
import select
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chatlib import INTEROP, T_SHORT, Conn, Timeout, deadline_in, remaining  # noqa: E402
from test_interop import PROMPT, REPLY, TutorialClient  # noqa: E402


class TutorialServer:
    def __init__(self, script):
        self.proc = subprocess.Popen(
            [sys.executable, "-u", os.path.join(INTEROP, script), "127.0.0.1", "0"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = b""
        dl = deadline_in(T_SHORT)
        fd = self.proc.stderr.fileno()
        while not line.endswith(b"\n"):
            left = remaining(dl)
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise Timeout(f"{script} did not print its port")
            b = os.read(fd, 1)
            if not b:
                raise AssertionError(f"{script} exited: {line!r}")
            line += b
        m = re.match(rb"listening on (\S+):(\d+)", line)
        assert m, line
        self.port = int(m.group(2))
        self.out = b""

    def wait_disconnects(self, n):
        """Reads stdout until it has told of n disconnects: the server
        prints that after our client has already seen its last reply, so
        killing it straight away could cut the line off."""
        dl = deadline_in(T_SHORT)
        fd = self.proc.stdout.fileno()
        while self.out.count(b"has disconnected.\n") < n:
            left = remaining(dl)
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise Timeout(f"server told of fewer than {n} disconnects: {self.out!r}")
            b = os.read(fd, 4096)
            if not b:
                raise AssertionError(f"server exited: {self.out!r}")
            self.out += b

    def stop(self):
        """Kills it (the tutorial's servers run forever) and returns stdout."""
        self.proc.send_signal(signal.SIGKILL)
        rest, _ = self.proc.communicate(timeout=T_SHORT)
        return (self.out + rest).decode()


def _session(port, messages):
    c = TutorialClient("127.0.0.1", port)
    rc = c.session(messages)
    assert rc == 0, rc
    assert c.out == b"".join(PROMPT + REPLY for _ in messages) + b"Exiting client.\n", c.out


def test_single_threaded():
    s = TutorialServer("server.py")
    try:
        _session(s.port, ["hello", "exit"])
        _session(s.port, ["second client", "EXIT"])  # served after the first left
        s.wait_disconnects(2)
    finally:
        out = s.stop()
    assert out.count("Connection established with ('127.0.0.1',") == 2, out
    assert "Received message: hello\n" in out and "Received message: exit\n" in out, out
    assert out.count("has disconnected.") == 2, out


def test_multi_threaded():
    s = TutorialServer("server-multi-threaded.py")
    try:
        # Two clients at once: the second is answered while the first is open.
        first = Conn.connect(("127.0.0.1", s.port))
        first.send(b"one")
        assert first.recv_exact_text(b"Message received") == b"Message received"
        _session(s.port, ["from the second", "exit"])
        first.send(b"exit")
        assert first.recv_exact_text(b"Message received") == b"Message received"
        assert first.expect_eof() == []
        s.wait_disconnects(2)
    finally:
        out = s.stop()
    assert re.search(r"Received message from client \('127\.0\.0\.1', \d+\): from the second",
                     out), out
    assert out.count("has disconnected.") == 2, out


if __name__ == "__main__":
    failed = 0
    for name, fn in list(globals().items()):
        if name.startswith("test_") and callable(fn):
            try:
                fn()
                print(f"ok   {name}")
            except Exception:  # noqa: BLE001
                import traceback
                traceback.print_exc()
                print(f"FAIL {name}")
                failed += 1
    sys.exit(1 if failed else 0)
