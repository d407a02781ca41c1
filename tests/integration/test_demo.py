#!/usr/bin/env python3
"""scripts/demo on a port in use: it says so and how to pick another, and
exits 69 (EX_UNAVAILABLE), without a terminal on stdin.

usage: test_demo.py SERVER_BINARY [-k NAME]

A test must not install packages or rebuild anyone's build directory, which
is what the demo does first. So it runs a copy of scripts/demo in a scratch
tree whose scripts/deps.sh and `cmake` (first on PATH) only record that they
were called, and whose build/bin/sockchat-server is the server under test."""

import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chatlib import T_SHORT, run_tests  # noqa: E402

DEMO = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                    "scripts", "demo")
RECORDER = '#!/bin/sh\necho "$0 $*" >> "$DEMO_CALLS"\n'


def _write_exec(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)


def _run_demo(server, port):
    """Runs the demo's copy with PORT=port, stdin not a terminal; returns
    (exit status, its output, the build steps it ran)."""
    top = tempfile.mkdtemp(prefix="sockchat-demo-")
    try:
        os.makedirs(os.path.join(top, "scripts"))
        os.makedirs(os.path.join(top, "build", "bin"))
        os.makedirs(os.path.join(top, "path"))
        shutil.copy(DEMO, os.path.join(top, "scripts", "demo"))
        _write_exec(os.path.join(top, "scripts", "deps.sh"), RECORDER)
        _write_exec(os.path.join(top, "path", "cmake"), RECORDER)
        os.symlink(os.path.abspath(server), os.path.join(top, "build", "bin", "sockchat-server"))
        calls = os.path.join(top, "calls")
        env = dict(os.environ, PORT=str(port), DEMO_CALLS=calls, TMPDIR=top,
                   PATH=os.path.join(top, "path") + os.pathsep + os.environ.get("PATH", ""))
        r = subprocess.run([os.path.join(top, "scripts", "demo")], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                           timeout=T_SHORT)
        steps = open(calls).read().splitlines() if os.path.exists(calls) else []
        return r.returncode, r.stdout.decode("utf-8", "replace"), steps
    finally:
        shutil.rmtree(top, ignore_errors=True)


def _listener(host):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((host, 0))
    s.listen(1)
    return s


def _check_told(rc, out, port):
    print("  " + out.strip().replace("\n", "\n  "))
    assert rc == 69, f"exit status {rc}, not 69:\n{out}"
    assert f"port {port} is in use" in out, out
    assert f"PORT={port + 1} scripts/demo" in out, out


def test_port_answering(ctx):
    """Something answers on the port: said before anything is installed or
    built."""
    with _listener("127.0.0.1") as s:
        port = s.getsockname()[1]
        rc, out, steps = _run_demo(ctx.binary, port)
    _check_told(rc, out, port)
    assert steps == [], f"it installed or built first: {steps}"


def test_port_taken_on_another_address(ctx):
    """A listener on 127.0.0.2 only: nothing answers on 127.0.0.1, so the
    demo builds and starts the server, whose bind to 0.0.0.0 fails; that
    is said the same way (the demo's exit trap used to turn it into 1)."""
    with _listener("127.0.0.2") as s:
        port = s.getsockname()[1]
        rc, out, steps = _run_demo(ctx.binary, port)
    _check_told(rc, out, port)
    assert "Address already in use" in out, out
    assert any("deps.sh" in c for c in steps), steps


if __name__ == "__main__":
    run_tests(globals())
