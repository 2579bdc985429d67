"""The network path section of ``keydoctor check``: for each host the run calls, the
proxy, the CA bundle, DNS, reachability and whether TLS verifies, one line each.

Real parts: an HTTPS server on loopback with its own CA (made here with
``cryptography``), and a real proxy (``proxy.py`` from PyPI) started by a fixture.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from keydoctor.lab.emulator import free_port

KEY_ID = "AKIAY34FZKBOQ7RT5XW2"
SECRET = "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"


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _certificate(
    subject: str, issuer: x509.Name, key: ec.EllipticCurvePrivateKey
) -> x509.CertificateBuilder:
    """A certificate for ``subject`` valid from an hour ago for a day, extensions to add."""
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
    )


def make_ca(folder: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for localhost/127.0.0.1 it signed: (ca, cert, key)."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        _certificate("keydoctor test CA", _name("keydoctor test CA"), ca_key)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        _certificate("localhost", ca.subject, key)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = (folder / "ca.pem", folder / "server.pem", folder / "server.key")
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """An HTTPS server on 127.0.0.1 whose certificate only our own CA vouches for."""
    folder = tmp_path_factory.mktemp("tls")
    ca, cert, key = make_ca(folder)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return

        def _answer(self) -> None:
            body = b"<ErrorResponse><Error><Code>ServiceUnavailable</Code></Error></ErrorResponse>"
            self.send_response(503)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_HEAD = _answer

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"url": f"https://localhost:{server.server_address[1]}", "ca": str(ca)}
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def proxy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """proxy.py (PyPI), a real HTTP proxy with CONNECT, on a free loopback port."""
    pytest.importorskip("proxy", reason="proxy.py is not installed (pip install proxy.py)")
    port = free_port()
    log = tmp_path_factory.mktemp("proxy") / "proxy.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "proxy",
                "--hostname",
                "127.0.0.1",
                "--port",
                str(port),
                "--num-workers",
                "1",
                "--num-acceptors",
                "1",
                "--threaded",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("proxy.py did not start: " + log.read_text(errors="replace"))
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def run_check(env: dict[str, str], endpoint: str, *args: str) -> str:
    """``keydoctor check`` against ``endpoint`` as a user runs it: its standard output,
    after making sure it neither crashed nor printed the secret."""
    proc = subprocess.run(
        [sys.executable, "-m", "keydoctor", "check", "--endpoint-url", endpoint, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert SECRET not in proc.stdout and SECRET not in proc.stderr
    return proc.stdout


def check(env: dict[str, str], endpoint: str) -> Any:
    """The JSON document of ``keydoctor check``."""
    return json.loads(run_check(env, endpoint, "--format", "json"))


@pytest.fixture
def env(clean_env: dict[str, str]) -> dict[str, str]:
    """Keys, and none of this machine's own CA bundle or proxy settings."""
    kept = {
        k: v
        for k, v in clean_env.items()
        if k != "REQUESTS_CA_BUNDLE" and not k.lower().endswith("_proxy")
    }
    return dict(kept, AWS_ACCESS_KEY_ID=KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET)


@pytest.fixture
def trusting_env(env: dict[str, str], tls_server: dict[str, Any]) -> dict[str, str]:
    """The keys, with the test server's own CA as AWS_CA_BUNDLE."""
    return dict(env, AWS_CA_BUNDLE=tls_server["ca"])


def only_line(doc: Any) -> dict[str, Any]:
    lines = doc["network_path"]
    assert len(lines) == 1  # one custom endpoint: every service goes there
    return dict(lines[0])


def test_tls_verifies_with_the_servers_own_ca(
    tls_server: dict[str, Any], trusting_env: dict[str, str]
) -> None:
    line = only_line(check(trusting_env, tls_server["url"]))
    assert line["proxy"] is None and line["reach"] == "connected"
    assert line["dns"].split(", ")[0] in ("127.0.0.1", "::1")
    assert line["ca_bundle"] == f"AWS_CA_BUNDLE ({tls_server['ca']})"
    assert line["tls"].startswith("verified (TLS")


def test_tls_fails_with_the_default_bundle_and_says_so(
    tls_server: dict[str, Any], env: dict[str, str]
) -> None:
    doc = check(env, tls_server["url"])
    line = only_line(doc)
    assert line["reachable"] is True
    assert line["tls"].startswith("not verified with botocore's default: ")
    assert "certificate" in line["tls"] or "issuer" in line["tls"]
    # The finding names the one variable that mends it; with the server's own authority in
    # it (as a person would put their proxy's or server's CA there), TLS verifies.
    (unreached,) = [f for f in doc["findings"] if f["code"] == "KD901"]
    assert "the TLS handshake with" in unreached["explanation"]
    step = unreached["fix"].split("   (", 1)[0]
    assert step == "export AWS_CA_BUNDLE=/path/to/ca.pem"
    name, value = step.removeprefix("export ").split("=", 1)
    fixed = check(
        dict(env, **{name: value.replace("/path/to/ca.pem", tls_server["ca"])}), tls_server["url"]
    )
    assert only_line(fixed)["tls"].startswith("verified (TLS")
    assert "KD901" not in {f["code"] for f in fixed["findings"]}
    text = run_check(env, tls_server["url"])
    section = text.index("Network path")
    assert section < text.index("Identity")  # before anything is said about credentials
    assert f"FAIL {tls_server['url']}: direct;" in text


def test_proxy_is_used_unless_no_proxy_names_the_host(
    tls_server: dict[str, Any], proxy_server: str, trusting_env: dict[str, str]
) -> None:
    proxied = dict(trusting_env, HTTPS_PROXY=proxy_server)
    line = only_line(check(proxied, tls_server["url"]))
    assert line["proxy"] == proxy_server
    assert line["dns"] == "left to the proxy"
    assert line["reach"] == "via the proxy's tunnel"
    assert line["tls"].startswith("verified (TLS")  # the tunnel carries our own handshake
    line = only_line(check(dict(proxied, NO_PROXY="localhost"), tls_server["url"]))
    assert line["proxy"] is None and line["reach"] == "connected"


def test_network_section_matches_the_schema(
    tls_server: dict[str, Any], env: dict[str, str]
) -> None:
    import jsonschema

    schema = json.loads(
        (Path(__file__).resolve().parents[1] / "docs" / "schema.json").read_text(encoding="utf-8")
    )
    doc = check(env, tls_server["url"])
    jsonschema.validate(doc, schema)
    assert "network_path" in schema["properties"]
