"""Serve the XBezahldienste platform stub on 127.0.0.1 with the standard library.

    python -m stadtkasse_dev.xbezahldienste.server --port 8070

Tests start it in a thread with ``start``. With --tls-cert and --tls-key it speaks
HTTPS; with --client-ca as well it accepts only clients whose certificate that CA signed,
and then requires no OAuth2 token.
"""

import argparse
import logging
import ssl
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from stadtkasse_dev.xbezahldienste.platform import StubPlatform, StubRequest, StubStore

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
MAX_BODY_BYTES = 1024 * 1024


class StubServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, platform: StubPlatform, tls: ssl.SSLContext | None = None):
        super().__init__((HOST, port), StubHandler)
        self.platform = platform
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
        scheme = "https" if tls is not None else "http"
        self.base_url = f"{scheme}://{HOST}:{self.server_address[1]}/"


class StubHandler(BaseHTTPRequestHandler):
    server: StubServer

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, MAX_BODY_BYTES)) if length else b""
        request = StubRequest(
            method=self.command,
            path=self.path.split("?", 1)[0].lstrip("/"),
            headers=dict(self.headers.items()),
            body=body,
            base_url=self.server.base_url,
        )
        stub_response = self.server.platform.handle(request)
        self.send_response(stub_response.status)
        self.send_header("Content-Type", stub_response.content_type)
        self.send_header("Content-Length", str(len(stub_response.body)))
        for name, value in stub_response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(stub_response.body)

    do_GET = _handle
    do_POST = _handle

    def log_message(self, format, *args):
        logger.debug("stub: " + format, *args)


def tls_context(cert: str, key: str, client_ca: str | None) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    if client_ca:
        context.load_verify_locations(client_ca)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


def start(
    *,
    port: int = 0,
    store_path: str | None = None,
    clients: dict | None = None,
    tls: ssl.SSLContext | None = None,
) -> StubServer:
    """Start the stub in a daemon thread; stop it with ``server.shutdown()``."""
    if store_path is None:
        store_path = str(Path(tempfile.mkdtemp(prefix="xbd-stub-")) / "stub.sqlite3")
    server = StubServer(port, StubPlatform(StubStore(store_path), clients=clients), tls)
    threading.Thread(target=server.serve_forever, name="xbezahldienste-stub", daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description="XBezahldienste platform stub on 127.0.0.1")
    parser.add_argument("--port", type=int, default=8070, help="TCP port (default 8070).")
    parser.add_argument(
        "--store", help="SQLite file of the stub's state (default: a new temp file)."
    )
    parser.add_argument("--client-id", default="stadtkasse", help="OAuth2 client id.")
    parser.add_argument("--client-secret", default="geheim", help="OAuth2 client secret.")
    parser.add_argument("--tls-cert", help="PEM certificate of the server; turns on HTTPS.")
    parser.add_argument("--tls-key", help="PEM private key of the server.")
    parser.add_argument(
        "--client-ca", help="PEM CA that signs client certificates; turns off OAuth2."
    )
    options = parser.parse_args()
    logging.basicConfig(level=logging.INFO)

    tls = None
    if options.tls_cert:
        tls = tls_context(options.tls_cert, options.tls_key, options.client_ca)
    clients = None if options.client_ca else {options.client_id: options.client_secret}
    server = start(port=options.port, store_path=options.store, clients=clients, tls=tls)
    logger.info("XBezahldienste stub listening on %s", server.base_url)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.shutdown()


if __name__ == "__main__":
    main()
