"""`verify_tls` means what it says, with both HTTP clients, against a real HTTPS server on 127.0.0.1.

The server uses a self-signed certificate made by `openssl` for this test: verification on (the
default) must refuse it, `verify_tls: false` must accept it, per spec default and per step.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def https_url(tmp_path: Path) -> Any:
    openssl = shutil.which("openssl")
    assert openssl, "openssl is needed to make the test certificate"
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("client", ["wire", "fast", "requests"])
def test_verification_refuses_a_self_signed_certificate_unless_turned_off(tmp_path, https_url, cli, client):
    spec = tmp_path / "tls.yaml"
    spec.write_text(textwrap.dedent("""
        defaults:
          timeout: 5s
        scenarios:
          - name: tls
            steps:
              - {name: verified, get: /v, on_fail: continue}
              - {name: unverified, get: /u, verify_tls: false}
        """))
    result = cli("run", str(spec), "--host", https_url, "--client", client, "--iterations", "2", "-q")
    assert result.step("verified")["failures"] == 2, result.text
    assert result.step("unverified")["failures"] == 0, result.text
    assert result.step("unverified")["requests"] == 2
    assert "CERTIFICATE_VERIFY_FAILED" in result.text or "certificate verify failed" in result.text

    spec.write_text(textwrap.dedent("""
        defaults:
          verify_tls: false
        scenarios:
          - name: tls
            steps:
              - {name: off by default, get: /d}
        """))
    result = cli("run", str(spec), "--host", https_url, "--client", client, "--iterations", "2", "-q")
    assert result.code == 0, result.text
