"""TLS for the integration tests (issue 19): throwaway certificates made with
the openssl CLI, the fingerprint as the server prints it, and chatlib
connections over Python's ssl module.

Certificates go into a directory the caller owns (a chatlib.TempDir or
tempfile.mkdtemp): nothing here touches the home directory."""

import hashlib
import os
import socket
import ssl
import subprocess

import chatlib


def have_openssl():
    return subprocess.run(["sh", "-c", "command -v openssl"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


def _openssl(*args):
    r = subprocess.run(["openssl"] + list(args), stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    if r.returncode != 0:
        raise AssertionError(f"openssl {' '.join(args[:2])} failed: "
                             f"{r.stderr.decode(errors='replace')[-400:]}")
    return r.stdout.decode()


SAN = "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"


def make_ca(directory, name="ca"):
    """A self-signed CA (ECDSA P-256): returns (cert path, key path)."""
    cert = os.path.join(directory, f"{name}-cert.pem")
    key = os.path.join(directory, f"{name}-key.pem")
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-days", "2", "-subj", f"/CN=sockchat test {name}", "-addext",
             "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign",
             "-keyout", key, "-out", cert)
    return cert, key


def make_cert(directory, name="server", ca=None, cn="localhost"):
    """A server certificate for localhost/127.0.0.1/::1 (ECDSA P-256):
    self-signed, or signed by ca = (cert, key) from make_ca. Returns
    (cert path, key path)."""
    cert = os.path.join(directory, f"{name}-cert.pem")
    key = os.path.join(directory, f"{name}-key.pem")
    if ca is None:
        _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-nodes", "-days", "2", "-subj", f"/CN={cn}", "-addext", SAN,
                 "-keyout", key, "-out", cert)
        return cert, key
    csr = os.path.join(directory, f"{name}.csr")
    ext = os.path.join(directory, f"{name}.ext")
    with open(ext, "w") as f:
        f.write(SAN.replace("=", " = ", 1) + "\n")
    _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-subj", f"/CN={cn}", "-keyout", key, "-out", csr)
    _openssl("x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1], "-CAcreateserial",
             "-days", "2", "-extfile", ext, "-out", cert)
    return cert, key


def fingerprint_file(cert):
    """What `openssl x509 -noout -fingerprint -sha256` says of the file's
    first certificate, after 'sha256 Fingerprint=' (AB:CD:...)."""
    out = _openssl("x509", "-in", cert, "-noout", "-fingerprint", "-sha256").strip()
    assert "=" in out, f"openssl x509 -fingerprint: {out!r}"
    return out.split("=", 1)[1]


def fingerprint_der(der):
    """The same text computed here, from a certificate's DER."""
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


def client_context(cafile=None):
    """cafile: verify the chain and the host name against it. None: no
    verification (the caller pins the fingerprint itself, as our client's
    trust on first use does)."""
    ctx = ssl.create_default_context(cafile=cafile) if cafile else \
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if not cafile:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


class PinMismatch(Exception):
    pass


def wrap(conn_cls, addr, cafile=None, pin=None, server_hostname="localhost", timeout=None):
    """A chatlib connection (Conn, Plain, Framed) over TLS to addr. With
    pin (fingerprint text), the server's certificate must have it, else
    PinMismatch is raised before a byte of application data is sent."""
    host, port = addr
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    raw = socket.socket(family, socket.SOCK_STREAM)
    raw.settimeout(timeout or chatlib.T_SHORT)
    raw.connect((host, port))
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        s = client_context(cafile).wrap_socket(raw, server_hostname=server_hostname)
    except BaseException:
        raw.close()
        raise
    if pin is not None:
        got = fingerprint_der(s.getpeercert(binary_form=True))
        if got != pin.upper():
            s.close()
            raise PinMismatch(f"server presented SHA-256 {got}, pinned {pin}")
    s.settimeout(None)
    return conn_cls(s)


# The first bytes of a TLS 1.2/1.3 ClientHello, as a real client sends them:
# record type 0x16 (handshake), record version 0x0301, then the length.
def client_hello_bytes(host="localhost"):
    """A real ClientHello (from Python's ssl, through a memory BIO): for
    tests that send part of one, or one to a server that has TLS off."""
    ctx = client_context()
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname=host)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    data = out.read()
    assert data[:3] == b"\x16\x03\x01", f"not a ClientHello: {data[:8]!r}"
    return data
