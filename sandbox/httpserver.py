"""The one piece every emulator shares: a threaded HTTP server on loopback.

Each emulator subclasses `Handler`, implements `handle_request(method, path, query, headers, body)`
and returns a `Reply`. Faults that are not an answer (a reset connection, a hang) are raised as
`Reset` / `Hang` and acted out here, over the real socket; answers that are slow (`delay`: nothing
for that long, then the answer; `drip`: the whole answer, status line included, one byte at a time)
or endless (`stream`) are acted out here too.
"""
from __future__ import annotations

import json
import socket
import struct
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: object = None  # dict/list -> JSON; str -> text/plain; bytes as they are
    headers: dict = field(default_factory=dict)
    delay: float = 0.0  # seconds of silence before the answer starts
    drip: float = 0.0  # seconds between bytes of the answer
    stream: tuple[bytes, int] | None = None  # (chunk, times): a body of len(chunk) * times bytes, written as it goes

    def encode(self) -> tuple[bytes, str]:
        if isinstance(self.body, (dict, list)):
            return json.dumps(self.body).encode(), "application/json;charset=utf-8"
        if isinstance(self.body, bytes):
            return self.body, "application/octet-stream"
        return (self.body or "").encode(), "text/plain; charset=utf-8"


class Reset(Exception):
    """Close the connection without an answer (the client sees a reset)."""


class Hang(Exception):
    """Answer nothing for `seconds` (longer than any sane client timeout), then close."""

    def __init__(self, seconds: float = 600.0):
        super().__init__(seconds)
        self.seconds = seconds


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's pooled sessions expect
    disable_nagle_algorithm = True  # else each small answer waits ~40 ms for a delayed ACK
    server: "LoopbackServer"

    def log_message(self, format, *args):  # noqa: A002 - quiet: tests read recordings, not logs
        pass

    def _dispatch(self):
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            reply = self.server.app.handle_request(self.command, parts.path, query, headers, body, parts.query)
        except Reset:
            # SO_LINGER 0 turns close() into a TCP RST, which is what a client sees from a dropped connection.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        except Hang as hang:
            self.server.stopping.wait(hang.seconds)
            self.close_connection = True
            return
        if reply.delay and self.server.stopping.wait(reply.delay):
            self.close_connection = True
            return
        data, content_type = reply.encode()
        headers = {"Content-Type": content_type, **reply.headers}
        if reply.stream:
            headers["Content-Length"] = str(len(reply.stream[0]) * reply.stream[1])
        else:
            headers["Content-Length"] = str(len(data))
        try:
            if reply.drip:
                self._drip(reply, headers, data)
            elif reply.stream:
                self._head(reply.status, headers)
                chunk, times = reply.stream
                for _ in range(times):
                    if self.server.stopping.is_set():
                        break
                    self.wfile.write(chunk)
            else:
                self._head(reply.status, headers)
                self.wfile.write(data)
        except OSError:  # the client hung up mid-answer: that is its right
            self.close_connection = True

    def _head(self, status: int, headers: dict) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def _drip(self, reply: Reply, headers: dict, data: bytes) -> None:
        lines = [f"HTTP/1.1 {reply.status} {self.responses.get(reply.status, ('',))[0]}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        whole = ("\r\n".join(lines) + "\r\n\r\n").encode() + data
        self.close_connection = True
        for i in range(len(whole)):
            if self.server.stopping.wait(reply.drip):
                return
            self.wfile.write(whole[i:i + 1])
            self.wfile.flush()

    do_GET = do_POST = do_PUT = do_DELETE = _dispatch


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0):
        self.app = app
        self.stopping = threading.Event()
        super().__init__((host, port), Handler)
        # A short poll keeps stop() quick: tests start and stop many servers.
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=type(app).__name__, daemon=True)

    def handle_error(self, request, client_address) -> None:
        # A client that hangs up mid-answer (a capped read, a deadline) is doing its job: no traceback.
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)

    @property
    def address(self) -> str:
        host, port = self.server_address[:2]
        return f"{host}:{port}"

    def start(self) -> "LoopbackServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()  # releases hung answers
        self.shutdown()
        self.server_close()
