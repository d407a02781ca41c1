#!/usr/bin/env python3
"""--transcript under attack (issue 11, items 1-3): a failed write cut back
out of the file, the file deleted or replaced while the server runs,
--transcript-max rotation. Each checks what a restart loads.

usage: test_transcript.py SERVER_BINARY [--mode M] [-k NAME]"""

import os
import resource
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chatlib import T_SHORT, Msg, run_tests  # noqa: E402

# Runs the server with a file size limit, as a full disk would stop it:
# python3 -c WRAP LIMIT ign|dfl SERVER ARGS... (the pid stays the same).
WRAP = ("import os, resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ,\n"
        "              signal.SIG_IGN if sys.argv[2] == 'ign' else signal.SIG_DFL)\n"
        "soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), hard))\n"
        "os.execv(sys.argv[3], sys.argv[3:])\n")


def _fsize_wrapper(limit, sigxfsz="ign"):
    return [sys.executable, "-c", WRAP, str(limit), sigxfsz]


def _records(path):
    """The transcript's lines; each must be a whole CHAT record."""
    with open(path, "rb") as f:
        data = f.read()
    assert data == b"" or data.endswith(b"\n"), f"torn last record: {data[-80:]!r}"
    lines = data.split(b"\n")[:-1]
    for line in lines:
        m = Msg(line)
        assert m.type == "CHAT" and len(m.fields) == 2 and b"CHAT" not in m.text, \
            f"not one whole record: {line[:120]!r}"
    return lines


def _history(srv, nick="reader"):
    """What a newcomer is sent before live traffic: (notes, chat texts)."""
    f = srv.framed(nick)
    lines = f.sync()
    f.close()
    notes = [m.text for m in lines if m.type == "NOTICE"]
    chats = [m.text for m in lines if m.type == "CHAT"]
    # After the history: "you are NICK; /nick NAME to change it".
    others = [m for m in lines if m.type not in ("NOTICE", "CHAT", "JOIN", "LEAVE")
              and not (m.type == "OUT" and m.text.startswith(b"you are "))]
    assert not others, f"unexpected lines in the history: {others[:3]}"
    return notes, chats


def _chat_acked(f, text):
    """Sends a chat line; the very next line must be its ACK."""
    i = f.msg(text)
    m = f.next()
    assert m is not None and m.type == "ACK" and m.f(0) == str(i), f"{text!r}: {m}"


def _send_all(f, texts, batch=64):
    """Sends texts (pipelined, in batches) and waits for every ACK."""
    for i in range(0, len(texts), batch):
        ids = [f.msg(t) for t in texts[i:i + batch]]
        for n in ids:
            f.wait_type("ACK", pred=lambda m, n=n: m.f(0) == str(n))


def test_failed_write_is_cut_back(ctx):
    """Item 1: a write that fails half-way (EFBIG at a file size limit, as
    ENOSPC on a full disk) is refused and leaves nothing behind; once there
    is room again, the next message is a whole record of its own. After a
    restart the history is exactly the acknowledged messages."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "room.log")
        acked = []
        with ctx.server("--rate", "0", "--history", "50", "--transcript", path,
                        wrapper=_fsize_wrapper(2000)) as srv:
            a = srv.framed("alice")
            for i in range(5):
                text = f"small {i} " + "s" * 80
                a.chat(text)
                acked.append(text.encode())
            a.msg("big " + "b" * 1500)
            err = a.next()
            assert err.type == "ERR" and err.f(0) == "transcript", err
            srv.wait_log(r"transcript write failed; message refused")
            # "Space is freed": the limit is lifted from outside. Whatever
            # the failed write left must not join the next record.
            _, hard = resource.prlimit(srv.pid, resource.RLIMIT_FSIZE)
            resource.prlimit(srv.pid, resource.RLIMIT_FSIZE, (hard, hard))
            text = "after the disk was freed"
            _chat_acked(a, text)
            acked.append(text.encode())
        texts = [Msg(r).text for r in _records(path)]
        assert texts == acked, f"transcript {texts!r}\nacknowledged {acked!r}"
        with ctx.server("--history", "50", "--transcript", path) as srv:
            notes, chats = _history(srv)
            assert chats == acked, f"history after restart {chats!r}\nwant {acked!r}"
            assert not notes, notes


def test_file_size_limit_costs_one_message(ctx):
    """A file size limit costs the one message that does not fit: not the
    server (SIGXFSZ's default action would kill it, where the writing
    thread does not block it) and not the next, smaller message, which
    fits once the torn part is cut off."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "room.log")
        with ctx.server("--rate", "0", "--transcript", path,
                        wrapper=_fsize_wrapper(300, "dfl")) as srv:
            a = srv.framed("alice")
            a.chat("short")
            a.msg("long " + "l" * 400)
            assert a.wait_type("ERR").f(0) == "transcript"
            a.sync()
            assert srv.alive()
            a.chat("still here")
        assert [Msg(r).text for r in _records(path)] == [b"short", b"still here"]


def test_deleted_while_running(ctx):
    """Item 2: the transcript deleted under the running server is noticed
    (by the check before the next fdatasync, within 200 ms of the next
    message), logged, and created again with the history and what went
    into the deleted file meanwhile, so a restart still restores it."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "room.log")
        texts = [f"before {i}" for i in range(15)]
        with ctx.server("--rate", "0", "--history", "10", "--transcript", path) as srv:
            a = srv.framed("alice")
            _send_all(a, texts)
            os.unlink(path)
            a.chat("after the rm")
            srv.wait_log(r"WARNING: transcript .*room\.log was deleted .*written again")
            assert os.path.exists(path), "the transcript was not created again"
            a.chat("and one more")
        want = [t.encode() for t in texts[-8:]] + [b"after the rm", b"and one more"]
        with ctx.server("--history", "10", "--transcript", path) as srv:
            _, chats = _history(srv)
        assert chats == want, f"history after restart {chats!r}\nwant {want!r}"


def test_deleted_then_stopped(ctx):
    """Item 2: deleted with no message after it, then a clean stop: the
    last check, at shutdown, writes it again, so the restart has the
    history it was showing."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "room.log")
        with ctx.server("--rate", "0", "--history", "10", "--transcript", path) as srv:
            a = srv.framed("alice")
            _send_all(a, ["one", "two", "three"])
            a.close()
            os.unlink(path)
            assert srv.stop() == 0
            assert any("WARNING: transcript" in line and "was deleted" in line
                       for line in srv.err), srv.log_tail()
        with ctx.server("--history", "10", "--transcript", path) as srv:
            _, chats = _history(srv)
        assert chats == [b"one", b"two", b"three"], chats


def _is_prefix_of(records, texts):
    got = [Msg(r).text for r in records]
    assert got == texts[:len(got)], f"{got!r} is not a beginning of {texts!r}"


def test_replaced_while_running(ctx):
    """Item 2: the transcript renamed away (logrotate's way), with or
    without a new empty file put in its place: the server writes into a
    file at the path again, with the history, and each record is in one
    file only."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "room.log")
        want = [b"one 0", b"one 1", b"one 2", b"one 3", b"after the rename", b"after the create"]
        with ctx.server("--rate", "0", "--history", "10", "--transcript", path) as srv:
            a = srv.framed("alice")
            _send_all(a, [t.decode() for t in want[:4]])
            os.rename(path, path + "-old")
            a.chat("after the rename")
            srv.wait_log(r"WARNING: transcript .*room\.log was deleted \(or renamed away\)")
            assert os.path.exists(path), "the transcript was not created again"
            # logrotate's "create": a new empty file at the path
            os.rename(path, path + "-older")
            open(path, "wb").close()
            a.chat("after the create")
            srv.wait_log(r"WARNING: transcript .*room\.log was replaced")
            assert os.path.getsize(path) > 0, "the new file was left empty"
        assert [Msg(r).text for r in _records(path)] == want
        # What they held when renamed, each record once across the files.
        _is_prefix_of(_records(path + "-old"), want)
        _is_prefix_of(_records(path + "-older"), want)
        with ctx.server("--history", "10", "--transcript", path) as srv:
            _, chats = _history(srv)
        assert chats == want, chats


def test_rotation(ctx):
    """Item 3: --transcript-max rotates FILE to FILE.1; no file grows past
    the limit (a record is never split), nothing acknowledged is lost, and
    a restart just after a rotation loads FILE.1's tail before FILE."""
    limit = 512 * 1024
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "room.log")
        # 140 records of about 4 KB: one rotation, FILE has ~10 of them.
        texts = [f"{i:04d} " + "r" * 4000 for i in range(140)]
        with ctx.server("--rate", "0", "--history", "50", "--transcript", path,
                        "--transcript-max", "512K") as srv:
            a = srv.framed("alice")
            _send_all(a, texts, batch=16)
            srv.wait_log(r"transcript .*room\.log rotated")
        assert os.path.exists(path + ".1"), "no FILE.1"
        old, cur = _records(path + ".1"), _records(path)
        assert os.path.getsize(path + ".1") <= limit, os.path.getsize(path + ".1")
        assert os.path.getsize(path) <= limit, os.path.getsize(path)
        assert 0 < len(cur) < 50, f"{len(cur)} records in FILE: the test wants FILE.1 needed"
        got = [Msg(r).text for r in old + cur]
        assert got == [t.encode() for t in texts], "FILE.1 + FILE is not every message in order"
        with ctx.server("--history", "50", "--transcript", path) as srv:
            notes, chats = _history(srv)
        want = [t.encode() for t in texts[-50:]]
        assert chats == want, f"history after restart: {len(chats)} messages, " \
                              f"first {chats[0][:8]!r}, want {len(want)} from {want[0][:8]!r}"
        assert not notes, notes


def test_transcript_max_option(ctx):
    """Item 3: sizes as 64M, 1G, 512K or bytes; anything else, or less than
    512K (but 0, never), is refused with a clear error, exit status 64."""
    for bad in ("12Q", "100K", "", "-1", "1KB", "99999999999G"):
        r = subprocess.run([ctx.binary, "--port", "0", "--transcript-max", bad],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=T_SHORT)
        assert r.returncode == 64, (bad, r.returncode, r.stderr)
        assert b"--transcript-max" in r.stderr and b"512K" in r.stderr, r.stderr
    with tempfile.TemporaryDirectory() as tmp:
        for good in ("0", "524288", "1G", "64m"):
            with ctx.server("--transcript", os.path.join(tmp, "t"), "--transcript-max",
                            good) as srv:
                assert srv.alive()


if __name__ == "__main__":
    run_tests(globals())
