"""The HTTP side of the teleop page: serves web/teleop (the page), three.js and urdf-loader
from web/node_modules (fetched by the set-up from npm, pinned by web/package-lock.json) under
/vendor/, and /config.json (where the page finds the WebSocket port).

With a token (required when bound beyond loopback), every request must present it: as
?token=... (the page's URL; the server then sets an HttpOnly cookie so that the page's own
requests carry it) or as that cookie; anything else gets 403 and nothing is served.

Thread rule: requests are served on the server's own threads; nothing here touches ROS.
"""

from __future__ import annotations

import hmac
import json
import mimetypes
import threading
from http import HTTPStatus
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aca_sim.paths import share_path

VENDOR_PACKAGES = ("three", "urdf-loader")
COOKIE = "aca_teleop_token"
TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".html": "text/html",
    ".json": "application/json",
}


def web_dir() -> Path:
    """The folder holding teleop/ (the page) and node_modules/ (its npm packages)."""
    return share_path("web")


class PageServer:
    """Serve the page on (host, port) until stop(); port 0 picks a free port."""

    def __init__(self, host: str, port: int, token: str, config: dict[str, Any]) -> None:
        self.token, self.config = token, config
        self.page_dir, self.vendor_dir = web_dir() / "teleop", web_dir() / "node_modules"
        missing = [p for p in VENDOR_PACKAGES if not (self.vendor_dir / p).is_dir()]
        if missing:
            raise FileNotFoundError(
                f"{self.vendor_dir} lacks {', '.join(missing)}: run `make setup` "
                "(it runs `npm ci` in web/)"
            )
        handler = type("Handler", (_Handler,), {"server_state": self})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def start(self) -> PageServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def resolve(self, path: str) -> Path | None:
        """The file a URL path names, or None (never outside the page and vendor folders)."""
        if path in ("", "/"):
            path = "/index.html"
        if path.startswith("/vendor/"):
            relative = path.removeprefix("/vendor/")
            if relative.split("/", 1)[0] not in VENDOR_PACKAGES:
                return None
            base = self.vendor_dir
        else:
            base, relative = self.page_dir, path.lstrip("/")
        candidate = (base / relative).resolve()
        if not candidate.is_relative_to(base.resolve()) or not candidate.is_file():
            return None
        return candidate


class _Handler(BaseHTTPRequestHandler):
    server_state: PageServer

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: the node logs what matters

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        state = self.server_state
        set_cookie = False
        if state.token:
            offered = parse_qs(url.query).get("token", [""])[0]
            cookie = SimpleCookie(self.headers.get("Cookie", ""))
            from_cookie = cookie[COOKIE].value if COOKIE in cookie else ""
            if hmac.compare_digest(offered, state.token):
                set_cookie = True
            elif not hmac.compare_digest(from_cookie, state.token):
                self._send(HTTPStatus.FORBIDDEN, b"token missing or wrong\n", "text/plain")
                return
        if url.path == "/config.json":
            body = json.dumps(state.config).encode()
            self._send(HTTPStatus.OK, body, "application/json", set_cookie)
            return
        path = state.resolve(url.path)
        if path is None:
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain")
            return
        kind = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "text/plain"
        self._send(HTTPStatus.OK, path.read_bytes(), kind, set_cookie)

    def _send(self, status: HTTPStatus, body: bytes, kind: str, set_cookie: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        if set_cookie:
            token = self.server_state.token
            self.send_header("Set-Cookie", f"{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/")
        self.end_headers()
        self.wfile.write(body)
