#!/usr/bin/env python3
"""The server's transport seam with TLS (issue 19), in each mode: a
ClientHello on the one port makes the connection TLS and the framed and
plain dialects run inside it as in clear text, side by side with clear
text users; /stats names the certificate the client was shown; --tls-only
turns clear text away with one line; --no-tls answers a ClientHello as the
bytes of the raw dialect. The broad tests with other peers (s_client,
ncat, our client) and the floods are test_tls.py's and tests/stress'.

usage: test_tlsseam.py SERVER_BINARY [--mode M] [-k NAME]"""

import hashlib
import os
import shutil
import socket
import ssl
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chatlib import Framed, Plain, T_SHORT, run_tests  # noqa: E402

TLS_REQUIRED = (b"ERR tls-required this server takes TLS only: sockchat --tls HOST PORT, "
                b"or openssl s_client -quiet -connect HOST:PORT\n")


def client_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the pin is checked by hand below
    return ctx


def tls_connect(srv, cls=Framed, **ctx_opts):
    """A connection of cls over TLS; its certificate's SHA-256 as openssl
    prints it."""
    raw = socket.create_connection(srv.addr, timeout=T_SHORT)
    ctx = client_context()
    for k, v in ctx_opts.items():
        setattr(ctx, k, v)
    s = ctx.wrap_socket(raw, server_hostname="localhost")
    s.settimeout(None)
    der = s.getpeercert(binary_form=True)
    fp = ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())
    return srv._track(cls(s)), fp, s.version()


class TlsDir:
    """A --tls-dir of the test's own, so the key is made here and only here."""

    def __enter__(self):
        self.path = tempfile.mkdtemp(prefix="tlsseam-")
        return self.path

    def __exit__(self, *a):
        shutil.rmtree(self.path, ignore_errors=True)


def test_framed_over_tls_and_clear_text_side_by_side(ctx):
    """alice over TLS, bob in clear: chat crosses both ways, the log names
    alice's TLS version, /stats the certificate alice was shown."""
    ctx.require_multi()
    with TlsDir() as d, ctx.server("--tls-dir", d) as srv:
        line = srv.wait_log(r"tls: on \(TLS 1\.2-1\.3\), certificate .*tls-cert\.pem "
                            r"\(made now\), SHA-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$")
        alice, fp, version = tls_connect(srv)
        assert version == "TLSv1.3", version
        assert fp in line, (fp, line)
        alice.hello("alice")
        srv.wait_log(r"alice +joined \(sockchat client, TLSv1\.3, 1 online\)$")
        bob = srv.plain()
        bob.say("hello from clear text")
        alice.wait_type("CHAT", pred=lambda m: m.text == b"hello from clear text")
        alice.chat("hello from TLS")
        bob.expect(b"<alice> hello from TLS")
        srv.wait_log(r"guest\d+ +joined \(plain client, 2 online\)$")
        want = f"tls: on, SHA-256 {fp}, 1 TLS connection now".encode()
        msgs = alice.command("/stats")
        assert any(m.type == "OUT" and m.text == want for m in msgs), msgs


def test_plain_dialect_over_tls_and_tls12(ctx):
    """A line client over TLS 1.2 (as openssl s_client -quiet or ncat
    --ssl would be) is a plain user, and its history, over 16 KiB, spans
    several records."""
    with TlsDir() as d, ctx.server("--tls-dir", d, "--history", "60", "--rate", "0") as srv:
        a, _, _ = tls_connect(srv)
        a.hello("ada")
        for i in range(60):
            a.msg(f"line {i:02d} " + "x" * 300)
        a.sync()
        a.close()
        c, _, version = tls_connect(srv, Plain, maximum_version=ssl.TLSVersion.TLSv1_2)
        assert version == "TLSv1.2", version
        c.say("/help")  # joins it: the history first
        for i in range(60):
            c.expect(f"<ada> line {i:02d} ".encode() + b"x" * 300)
        c.expect(lambda l: b"/stats" in l)
        c.say("/quit")
        c.expect_eof()
        srv.wait_log(r"joined \(plain client, TLSv1\.2, \d online\)$")


def test_tls_only_refuses_clear_text(ctx):
    """--tls-only: a clear HELLO gets the one line at once; TLS is served."""
    with TlsDir() as d, ctx.server("--tls-dir", d, "--tls-only") as srv:
        srv.wait_log(r"tls: only \(TLS 1\.2-1\.3\)")
        c = srv._track(Framed.connect(srv.addr))
        c.send(b"HELLO sockchat/2 mallory\n")
        assert c.readline() + b"\n" == TLS_REQUIRED
        c.expect_eof()
        srv.wait_log(r"refused: clear text, and this server takes TLS only .*told as a sockchat")
        t, _, _ = tls_connect(srv)
        t.hello("carol")
        t.chat("encrypted")


def test_no_tls_takes_a_client_hello_as_bytes(ctx):
    """--no-tls: a ClientHello is what it is, bytes of a clear dialect (it
    holds newlines: plain lines); the handshake fails on the client's side."""
    with ctx.server("--no-tls") as srv:
        srv.wait_log(r"tls: off \(--no-tls\)$")
        raw = socket.create_connection(srv.addr, timeout=T_SHORT)
        try:
            client_context().wrap_socket(raw, server_hostname="localhost")
        except (ssl.SSLError, OSError):
            pass
        else:
            raise AssertionError("a TLS handshake succeeded against --no-tls")
        finally:
            raw.close()
        srv.wait_log(r"joined \((plain|tutorial) client, 1 online\)$")


if __name__ == "__main__":
    run_tests(globals())
