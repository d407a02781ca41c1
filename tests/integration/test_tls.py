#!/usr/bin/env python3
"""TLS on the chat port (issue 19), with real peers: Python's ssl module
(framed and plain), `openssl s_client -quiet` and `ncat --ssl` as plain line
users, chat crossing between TLS and clear-text users; the server's identity
(made once and kept, or given), checked against `openssl x509`; clients that
pin a wrong fingerprint or trust a wrong CA refuse; `--tls-only` refuses clear
text with its one line; `--no-tls` answers no ClientHello; a stalled
handshake is a connection that has not joined, evicted as one.

usage: test_tls.py SERVER_BINARY [--mode M] [-k NAME]"""

import os
import re
import select
import shutil
import socket
import ssl
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chatlib import (INTEROP, T_SHORT, Conn, Framed, Plain, Skip, Timeout,  # noqa: E402
                     deadline_in, remaining, run_tests)
import tlslib  # noqa: E402

TLS_REQUIRED = (b"ERR tls-required this server takes TLS only: sockchat --tls HOST PORT, "
                b"or openssl s_client -quiet -connect HOST:PORT")
REFUSE_WAIT_S = 1.0       # server.h REFUSE_WAIT_MS
HANDSHAKE_S = 10.0   # xport.c XPORT_HANDSHAKE_MS
FP_RE = r"([0-9A-F]{2}(?::[0-9A-F]{2}){31})"
START_RE = (r"tls: (on|only) \(TLS 1\.2-1\.3\), certificate (\S+) \(([^)]*)\), SHA-256 "
            + FP_RE)


def need_openssl():
    if not tlslib.have_openssl():
        raise Skip("openssl is not installed (scripts/deps.sh test installs it)")


def start_line(srv):
    """(on|only, certificate path, how, fingerprint) from the server's log."""
    line = srv.wait_log(START_RE)
    m = re.search(START_RE, line)
    return m.group(1), m.group(2), m.group(3), m.group(4)


def tls_framed(srv, nick, **kw):
    c = srv._track(tlslib.wrap(Framed, srv.addr, **kw))
    c.hello(nick)
    return c


def tls_plain(srv, **kw):
    """A plain user over TLS, joined (a plain client joins with its first
    line: here a /ping)."""
    c = srv._track(tlslib.wrap(Plain, srv.addr, **kw))
    c.say("/ping join")
    c.expect_you()
    c.expect(b"pong join")
    return c


def peer_fingerprint(srv):
    """The SHA-256 of the certificate the server presents, as we compute it."""
    c = tlslib.wrap(Conn, srv.addr)
    try:
        return tlslib.fingerprint_der(c.sock.getpeercert(binary_form=True))
    finally:
        c.close()


def stats_lines(srv):
    """/stats as a clear-text plain user reads it (the lines up to a /ping's pong)."""
    p = srv._track(Plain.connect(srv.addr))
    p.say("/stats")
    p.say("/ping statsend")
    _, lines = p.read_until(lambda l: l == b"pong statsend", what="pong statsend")
    p.close()
    return [l.decode(errors="replace") for l in lines]


class LineProc:
    """A line client in a subprocess (openssl s_client, ncat): its stdin
    typed into, its stdout read with deadlines."""

    def __init__(self, argv, env=None):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE,
                                     env=dict(os.environ, **env) if env else None)
        self.buf = b""

    def say(self, text):
        self.proc.stdin.write(text.encode() + b"\n")
        self.proc.stdin.flush()

    def expect(self, pattern, timeout=None):
        rx = re.compile(pattern)
        dl = deadline_in(timeout or T_SHORT)
        fd = self.proc.stdout.fileno()
        while True:
            for line in self.buf.split(b"\n")[:-1]:
                if rx.search(line):
                    return line
            left = remaining(dl)
            if left <= 0:
                raise Timeout(f"no {pattern!r} from {self.proc.args[0]}; got {self.buf[-400:]!r}")
            r, _, _ = select.select([fd], [], [], left)
            if r:
                data = os.read(fd, 4096)
                if not data:
                    raise AssertionError(f"{self.proc.args[0]} ended before {pattern!r}; "
                                         f"got {self.buf[-400:]!r}")
                self.buf += data

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            f.close()


# ---- real peers -----------------------------------------------------------------


def test_framed_over_tls_crosses_to_clear(ctx):
    """A framed user over TLS (Python ssl) and one in clear text: each one's
    chat reaches the other; the join line names TLSv1.3."""
    ctx.require_multi()
    with ctx.server() as srv:
        tara = tls_framed(srv, "tara")
        clem = srv.framed("clem")
        tara.chat("sealed hello from tara")
        m = clem.wait_type("CHAT", pred=lambda m: m.nick == "tara")
        assert m.text == b"sealed hello from tara", m
        clem.chat("open reply from clem")
        m = tara.wait_type("CHAT", pred=lambda m: m.nick == "clem")
        assert m.text == b"open reply from clem", m
        srv.wait_log(r"tara +joined \(sockchat client, TLSv1\.3, \d+ online\)")
        srv.wait_log(r"clem +joined \(sockchat client, \d+ online\)")


def test_plain_over_tls_and_tls12(ctx):
    """A plain (nc-style) user over TLS 1.2 and a framed one over TLS 1.3,
    in every mode: /ping round trips, chat acknowledged, the versions logged."""
    with ctx.server() as srv:
        c12 = tlslib.client_context()
        c12.maximum_version = ssl.TLSVersion.TLSv1_2
        s = socket.create_connection(srv.addr, timeout=T_SHORT)
        s = c12.wrap_socket(s, server_hostname="localhost")
        assert s.version() == "TLSv1.2", s.version()
        s.settimeout(None)
        p = srv._track(Plain(s))
        p.say("/ping twelve")
        p.expect_you()
        p.expect(b"pong twelve")
        srv.wait_log(r"joined \(plain client, TLSv1\.2, \d+ online\)")
        p.close()
        f = tls_framed(srv, "thirteen")
        f.sync()
        f.chat("over 1.3")
        srv.wait_log(r"thirteen +joined \(sockchat client, TLSv1\.3, \d+ online\)")


def line_tool_is_a_plain_user(ctx, srv, argv, nick, token):
    """A TLS line tool (argv) as a plain user: its /ping is answered; with
    more than one client at a time its line reaches a clear-text framed
    user and that user's reply reaches it."""
    lp = LineProc(argv)
    try:
        lp.say("/ping %s" % token)
        lp.expect(rb"^you are guest\d+")
        lp.expect(rb"^pong %s$" % token.encode())
        if ctx.mode != "single":
            clem = srv.framed("clem")
            lp.say("/nick " + nick)
            lp.expect(rb"known as " + nick.encode())
            lp.say("hello from " + nick)
            m = clem.wait_type("CHAT", pred=lambda m: m.nick == nick)
            assert m.text == b"hello from " + nick.encode(), m
            clem.chat("hi " + nick)
            lp.expect(rb"clem.*hi " + nick.encode())
        srv.wait_log(r"joined \(plain client, TLSv1\.3, \d+ online\)")
    finally:
        lp.close()


def test_openssl_s_client_is_a_plain_user(ctx):
    """openssl s_client -quiet: a plain user, chatting with a clear-text
    framed user (single mode: its /ping is answered)."""
    need_openssl()
    with ctx.server() as srv:
        line_tool_is_a_plain_user(
            ctx, srv, ["openssl", "s_client", "-quiet", "-connect", "%s:%d" % srv.addr],
            "sam", "42")


def test_ncat_ssl_is_a_plain_user(ctx):
    """ncat --ssl: a plain user, as with openssl s_client."""
    if not shutil.which("ncat"):
        raise Skip("ncat is not installed")
    with ctx.server() as srv:
        line_tool_is_a_plain_user(ctx, srv, ["ncat", "--ssl", srv.addr[0], str(srv.addr[1])],
                                  "nico", "7")


def client_binary(ctx):
    """Our client, beside the server in the build (bin/sockchat)."""
    path = os.path.join(os.path.dirname(ctx.binary), "sockchat")
    if not os.access(path, os.X_OK):
        raise Skip(f"{path} not built")
    return path


def test_our_client_trusts_on_first_use_and_refuses_a_change(ctx):
    """sockchat --plain --tls --tls-accept-new (no terminal): it stores the
    server's fingerprint (the log's) in known_servers and chats with a
    clear-text user (single mode: a /ping); the server restarted on the same
    port with another identity is refused, naming both fingerprints."""
    client = client_binary(ctx)
    data = tempfile.mkdtemp(prefix="sockchat-tls-data-")
    env = {"XDG_DATA_HOME": data, "SOCKCHAT_PASSWORD": ""}
    try:
        with ctx.server() as srv:
            _, _, _, fp = start_line(srv)
            host, port = srv.addr
            pat = LineProc([client, "--plain", "--tls", "--tls-accept-new", "--nick", "pat",
                            host, str(port)], env=env)
            try:
                pat.say("/ping 5")
                pat.expect(rb"pong 5")
                if ctx.mode != "single":
                    clem = srv.framed("clem")
                    pat.say("hello from our client")
                    m = clem.wait_type("CHAT", pred=lambda m: m.nick == "pat")
                    assert m.text == b"hello from our client", m
                    clem.chat("hi pat")
                    pat.expect(rb"clem.*hi pat")
            finally:
                pat.close()
            srv.wait_log(r"pat .*TLSv1\.3|joined \((sockchat|plain) client, TLSv1\.3")
        with open(os.path.join(data, "sockchat", "known_servers")) as f:
            known = f.read()
        assert f"{host}:{port} SHA-256 {fp}" in known, known
        with ctx.server(port=port) as srv2:
            _, _, _, fp2 = start_line(srv2)
            assert fp2 != fp
            r = subprocess.run([client, "--plain", "--tls", "--tls-accept-new", "--nick", "pat",
                                host, str(port)], input=b"hello again\n",
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               env=dict(os.environ, **env), timeout=T_SHORT * 2)
            out = r.stdout.decode(errors="replace")
            assert r.returncode != 0, out
            assert fp in out and fp2 in out, out
            assert not any("hello again" in l for l in srv2.err), srv2.err
    finally:
        shutil.rmtree(data, ignore_errors=True)


# ---- the server's identity -----------------------------------------------------


def test_generated_identity_kept_across_restart(ctx):
    """No TLS option: a key and a self-signed certificate are made on the
    first start in $XDG_STATE_HOME/sockchat (key 0600) and reused on the
    next; the fingerprint is the same in the log, /stats, the certificate
    the server presents and `openssl x509 -fingerprint -sha256` of the file."""
    need_openssl()
    state = tempfile.mkdtemp(prefix="sockchat-tls-state-")
    try:
        env = {"XDG_STATE_HOME": state}
        with ctx.server(env=env) as srv:
            kind, cert, how, fp = start_line(srv)
            assert kind == "on" and how == "made now", (kind, how)
            d = os.path.join(state, "sockchat")
            assert cert == os.path.join(d, "tls-cert.pem"), cert
            key = os.path.join(d, "tls-key.pem")
            assert stat.S_IMODE(os.stat(key).st_mode) == 0o600, oct(os.stat(key).st_mode)
            assert tlslib.fingerprint_file(cert) == fp
            assert peer_fingerprint(srv) == fp
            lines = stats_lines(srv)
            assert any(l.startswith("tls: on, SHA-256 " + fp) for l in lines), lines
        with ctx.server(env=env) as srv:
            kind, cert2, how, fp2 = start_line(srv)
            assert cert2 == cert and how != "made now", (cert2, how)
            assert fp2 == fp, (fp, fp2)
            assert peer_fingerprint(srv) == fp
    finally:
        shutil.rmtree(state, ignore_errors=True)


def test_given_cert_and_key(ctx):
    """--tls-cert/--tls-key: that certificate is presented and logged."""
    need_openssl()
    d = tempfile.mkdtemp(prefix="sockchat-tls-cert-")
    try:
        cert, key = tlslib.make_cert(d)
        with ctx.server("--tls-cert", cert, "--tls-key", key) as srv:
            _, logged, _, fp = start_line(srv)
            assert logged == cert, logged
            assert fp == tlslib.fingerprint_file(cert)
            assert peer_fingerprint(srv) == fp
            tls_framed(srv, "given").sync()
        # Nothing was made in the state directory.
        assert not os.path.exists(os.path.join(srv.state_home, "sockchat", "tls-key.pem"))
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_wrong_pin_and_wrong_ca_refused(ctx):
    """A client pinning another certificate's fingerprint refuses before
    sending anything; the right pin works. A client verifying against the
    server's CA and host name connects; one trusting another CA fails the
    handshake, and the server logs the failure as one line."""
    need_openssl()
    d = tempfile.mkdtemp(prefix="sockchat-tls-ca-")
    try:
        ca = tlslib.make_ca(d, "ca")
        other_ca = tlslib.make_ca(d, "other")
        cert, key = tlslib.make_cert(d, "server", ca=ca)
        stranger, _ = tlslib.make_cert(d, "stranger")
        with ctx.server("--tls-cert", cert, "--tls-key", key) as srv:
            _, _, how, fp = start_line(srv)
            assert how.startswith("CA"), how
            try:
                tlslib.wrap(Framed, srv.addr, pin=tlslib.fingerprint_file(stranger))
                raise AssertionError("a wrong pin was accepted")
            except tlslib.PinMismatch:
                pass
            c = srv._track(tlslib.wrap(Framed, srv.addr, pin=fp))
            c.hello("pinned")
            c.close()
            c = srv._track(tlslib.wrap(Framed, srv.addr, cafile=ca[0]))
            c.hello("verified")
            c.close()
            try:
                tlslib.wrap(Framed, srv.addr, cafile=other_ca[0])
                raise AssertionError("a certificate from another CA was accepted")
            except ssl.SSLCertVerificationError:
                pass
            srv.wait_log(r"left before joining \(tls: ")
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ---- --tls-only and --no-tls ------------------------------------------------------


def expect_refusal(c, timeout=None):
    lines = c.expect_eof(timeout)
    assert lines and lines[0] == TLS_REQUIRED, lines


def test_tls_only_refuses_clear_text(ctx):
    """--tls-only: a raw socket that sends, one that stays silent (within
    REFUSE_WAIT_MS or so), a framed HELLO and the tutorial's client all get
    the one line and a close; TLS is served."""
    with ctx.server("--tls-only") as srv:
        kind, _, _, fp = start_line(srv)
        assert kind == "only", kind
        c = srv._track(Conn.connect(srv.addr))
        c.send(b"hello there\n")
        expect_refusal(c)
        c = srv._track(Conn.connect(srv.addr))
        c.send(b"HELLO sockchat/1 fran\n")
        expect_refusal(c)
        c = srv._track(Conn.connect(srv.addr))
        t0 = time.monotonic()
        expect_refusal(c, timeout=REFUSE_WAIT_S + T_SHORT)
        waited = time.monotonic() - t0
        assert waited >= REFUSE_WAIT_S * 0.8, f"refused after {waited:.2f}s, before any wait"
        tut = subprocess.Popen([sys.executable, "-u", os.path.join(INTEROP, "client.py"),
                                srv.addr[0], str(srv.addr[1])], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            out, _ = tut.communicate(b"hello\n", timeout=T_SHORT)
        except subprocess.TimeoutExpired:
            tut.kill()
            tut.communicate()
            raise
        assert b"Server response: " + TLS_REQUIRED in out, out
        t = tls_framed(srv, "sealed")
        t.sync()
        t.close()  # single mode serves one at a time
        assert any(l.startswith("tls: only, SHA-256 " + fp) for l in stats_over_tls(srv))


def stats_over_tls(srv):
    p = tls_plain(srv)
    p.say("/stats")
    p.say("/ping statsend")
    _, lines = p.read_until(lambda l: l == b"pong statsend", what="pong statsend")
    p.close()
    return [l.decode(errors="replace") for l in lines]


def test_no_tls_answers_no_client_hello(ctx):
    """--no-tls: the log says TLS is off; a ClientHello is bytes of the raw
    dialect, answered in clear (never a TLS record), and a TLS client fails."""
    with ctx.server("--no-tls") as srv:
        srv.wait_log(r"tls: off")
        assert not any(re.search(r"tls: on", l) for l in srv.err), srv.err
        c = srv._track(Conn.connect(srv.addr))
        c.send(tlslib.client_hello_bytes())
        reply = c.recv_some()
        assert reply and reply[0] != 0x16, reply[:40]
        c.close()
        try:
            tlslib.wrap(Framed, srv.addr)
            raise AssertionError("a TLS handshake succeeded with --no-tls")
        except (ssl.SSLError, ConnectionError):
            pass
        srv.framed("clear").sync()


# ---- bounds ------------------------------------------------------------------------


def test_stalled_handshakes_closed(ctx):
    """Half a ClientHello, and 0x16 0x03 alone, then silence. Until their
    handshakes are given up they are connections like any other (a full
    server refuses a newcomer); each is closed HANDSHAKE_S after its
    connect, full server or not, and the newcomer then gets in."""
    ctx.require_multi()
    hello = tlslib.client_hello_bytes()
    with ctx.server("--max-clients", "2", "--max-per-addr", "0") as srv:
        half = srv._track(Conn.connect(srv.addr))
        half.send(hello[:len(hello) // 2])
        lone = srv._track(Conn.connect(srv.addr))
        lone.send(b"\x16\x03")
        t0 = time.monotonic()
        early = srv._track(Conn.connect(srv.addr))
        early.send(b"HELLO sockchat/1 early\n")
        m = Framed(early.sock).next()
        assert m is not None and m.type == "ERR" and m.f(0) == "full", m
        # The server's deadline is the point of the test: both are closed
        # by it, not before.
        half.expect_eof(timeout=HANDSHAKE_S + T_SHORT)
        lone.expect_eof(timeout=T_SHORT)
        waited = time.monotonic() - t0
        assert waited >= HANDSHAKE_S - 0.5, f"closed after {waited:.2f}s"
        srv.wait_log(r"left before joining \(tls: handshake not finished in 10 s\)")
        late = srv.framed("late", timeout=T_SHORT)
        late.sync()


if __name__ == "__main__":
    run_tests(globals())
