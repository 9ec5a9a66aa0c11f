"""uvicorn's HTTP/1.1 protocol (h11) with a deadline on each request's head.

uvicorn itself waits forever for a request line and headers: a client that connects and says nothing,
or sends half a header and stalls, holds its connection (and a file descriptor) for good, and enough
of them starve the server. Here every request's head must be complete within `head_timeout_s` of the
connection opening or of its first byte (a trickling client cannot stretch it); otherwise the server
answers 408 (if part of a head came) and closes the connection. Bodies have their own deadline
(Settings.body_timeout_s, in leanpipe.server.http.read_json); idle keep-alive connections uvicorn's.

    uvicorn.Server(uvicorn_config(app, port=8080)).run()     # what `leanpipe serve` runs
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from .http import ERROR_TYPES


class HeadDeadlineProtocol(H11Protocol):
    head_timeout_s: float = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_timer: asyncio.TimerHandle | None = None
        self._arm()  # connected: the first request's head is due

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self._arm()  # part of a head: the rest is due by the deadline set at its first byte
        else:
            self._disarm()  # a whole head came (its body has read_json's deadline), or the connection ends

    def on_response_complete(self) -> None:
        super().on_response_complete()  # an idle keep-alive connection now has uvicorn's own timeout
        if self.conn.their_state is h11.IDLE and self.conn.trailing_data[0]:
            self._arm()  # a pipelined request's head is already partly here

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.head_timeout_s, self._head_timed_out)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self.conn.trailing_data[0]:  # part of a head came: say why the connection ends
            self.transport.write(timeout_response(self.head_timeout_s))
        self.transport.close()


def timeout_response(seconds: float) -> bytes:
    body = json.dumps({"error": f"the request line and headers did not arrive within {seconds:g} seconds",
                       "error_type": ERROR_TYPES[408]}).encode()
    head = ("HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
            f"content-length: {len(body)}\r\n\r\n")
    return head.encode() + body


def protocol_class(head_timeout_s: float) -> type[HeadDeadlineProtocol]:
    return type("HeadDeadlineProtocol", (HeadDeadlineProtocol,), {"head_timeout_s": head_timeout_s})


def uvicorn_config(app: Any, **options: Any) -> Any:
    """uvicorn.Config for a leanpipe app (create_app), with the head deadline of its Settings."""
    import uvicorn

    settings = app.state.service.settings
    return uvicorn.Config(app, http=protocol_class(settings.header_timeout_s), **options)
