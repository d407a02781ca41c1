#!/usr/bin/env python3
"""--history under attack (issue 11, item 4): a history larger than the
slow-consumer limit must not cut off every newcomer.

usage: test_history.py SERVER_BINARY [--mode M] [-k NAME]"""

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chatlib import YOU_ARE_RE, run_tests  # noqa: E402


def _send_all(f, texts, batch=64):
    """Sends texts (pipelined, in batches) and waits for every ACK."""
    for i in range(0, len(texts), batch):
        ids = [f.msg(t) for t in texts[i:i + batch]]
        for n in ids:
            f.wait_type("ACK", pred=lambda m, n=n: m.f(0) == str(n))


def test_long_history_newcomer(ctx):
    """Item 4: --history 1100 and 1100 messages of 4000 bytes (4.4 MB,
    past the 4 MiB queue limit): a newcomer gets the newest 256 KiB after a
    note of how many older ones are not shown, in its dialect, and is not
    cut off as too slow; after a restart too (--transcript)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "room.log")
        texts = [f"{i:04d} " + "h" * 3995 for i in range(1100)]
        args = ("--rate", "0", "--history", "1100", "--transcript", path)
        for restart in (False, True):
            with ctx.server(*args) as srv:
                if not restart:
                    a = srv.framed("alice")
                    _send_all(a, texts)
                    a.close()
                f = srv.framed("newcomer")
                lines = f.sync()  # still connected: it answers the PING
                notes = [m for m in lines if m.type == "NOTICE"]
                chats = [m.text for m in lines if m.type == "CHAT"]
                assert lines[0].type == "NOTICE", lines[:2]
                assert len(notes) == 1, notes
                shown = len(chats)
                assert 0 < shown < 1100, shown
                assert sum(len(m.raw) + 1 for m in lines) <= 256 * 1024 + 200
                assert notes[0].text == (f"{1100 - shown} older messages not shown "
                                         f"(history is limited to 256 KiB)").encode(), notes[0]
                assert chats == [t.encode() for t in texts[-shown:]], "not the newest, in order"
                f.close()
                p = srv.plain()
                p.say("/ping x")  # joins, and is no chat: the history stays as it was
                line, before = p.read_until(lambda l: l == b"pong x")
                assert before[0] == (f"*** notice: {1100 - shown} older messages not shown "
                                     f"(history is limited to 256 KiB)").encode(), before[0]
                # After the history: "you are ..."; then maybe the framed
                # newcomer's LEAVE, if its close was still on its way.
                you = [i for i, line in enumerate(before) if YOU_ARE_RE.match(line)]
                assert len(you) == 1, before[-3:]
                assert before[1:you[0]] == [b"<alice> " + t.encode() for t in texts[-shown:]], \
                    f"plain history: {you[0] - 1} lines"
                p.close()
                assert not any("too slow" in line for line in srv.err), srv.log_tail()



if __name__ == "__main__":
    run_tests(globals())
