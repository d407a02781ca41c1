#!/usr/bin/env python3
"""The server under valgrind (memcheck): a session touching every dialect,
the commands, the limits and disconnect paths, then SIGTERM with clients
still connected. Fails on any memcheck error or a definite/indirect leak.
Skipped when valgrind is not installed or the binary is sanitized.

usage: test_valgrind.py SERVER_BINARY [--mode M] [-k NAME]"""

import os
import shutil
import signal
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chatlib import T_LONG, Server, Skip, run_tests, sanitizer_of  # noqa: E402


def test_memcheck_session(ctx):
    # Debian's place too, in case PATH was trimmed by whatever runs us.
    vg = shutil.which("valgrind") or shutil.which("valgrind", path="/usr/bin:/usr/local/bin")
    if not vg:
        raise Skip(f"valgrind is not installed (PATH={os.environ.get('PATH', '')})")
    if sanitizer_of(ctx.binary):
        raise Skip("a sanitized binary cannot run under valgrind")
    multi = ctx.mode != "single"
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "vg.log")
        wrapper = [vg, "--quiet", "--leak-check=full", "--show-leak-kinds=definite,indirect",
                   "--errors-for-leak-kinds=definite,indirect", "--error-exitcode=99",
                   "--track-fds=no", f"--log-file={log}"]
        srv = Server(ctx.binary, "--history", "5", mode=ctx.mode, wrapper=wrapper,
                     timeout=T_LONG)
        try:
            a = srv.framed("alice", timeout=T_LONG)
            a.chat("hello", timeout=T_LONG)
            for cmd in ("/help", "/who", "/time", "/uptime", "/stats", "/nick al", "/nick !",
                        "/msg al self", "/msg nobody x", "/me waves", "/bogus", "/ping t"):
                a.command(cmd, timeout=T_LONG)
            a.send(b"MSG 50 " + b"x" * 6000 + b"\nMSG 51 bad \xff\xfe utf8 \x1b[31m\x00\r\n")
            a.sync(timeout=T_LONG)
            a.send(b"".join(b"MSG %d flood\n" % i for i in range(100, 160)))  # rate limit
            a.sync(timeout=T_LONG)
            if multi:
                b = srv.framed("bob", timeout=T_LONG)
                p = srv.plain(timeout=T_LONG)
                p.say("plain hello")
                p.expect(b"Message received", timeout=T_LONG)
                r = srv.raw(timeout=T_LONG)
                r.send(b"raw hello")
                r.recv_exact_text(b"Message received", timeout=T_LONG)
                r.send(b"/who")
                r.recv_some(timeout=T_LONG)
                q = srv.framed("quitter", timeout=T_LONG)
                q.msg("/quit bye")
                q.expect_eof(timeout=T_LONG)
                q.close()
                d = srv.framed("dropper", timeout=T_LONG)
                d.abort()
                b.sync(timeout=T_LONG)
            else:
                a.msg("exit")
                a.expect_eof(timeout=T_LONG)
                a.close()
                b = srv.framed("bob", timeout=T_LONG)
                b.sync(timeout=T_LONG)
            srv.send_signal(signal.SIGTERM)
            rc = srv.wait(T_LONG)
        finally:
            if srv.alive():
                srv.kill()
            srv.join_output()
            for c in srv.conns:
                c.close()
        with open(log) as f:
            report = f.read()
        print(f"  valgrind exit code {rc}; report {len(report)} bytes")
        assert rc == 0, f"exit code {rc} under valgrind:\n{report[-4000:]}"
        assert "definitely lost" not in report and "Invalid" not in report, report[-4000:]


if __name__ == "__main__":
    run_tests(globals())
