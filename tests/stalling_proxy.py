"""A TCP proxy on 127.0.0.1 in front of a real server that, on cue, stops answering.

The cue is the n-th time a byte string (a statement the client sends) goes through: that chunk is
held, and from then on nothing is forwarded either way and new connections are accepted but left
unanswered, while every TCP connection stays open (a hung server or a frozen host, not a refused
or closed connection). `heal()` closes the stalled connections, as a server restart would, and
forwards new ones again.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time


class StallingProxy:
    def __init__(self, target: tuple[str, int], stall_at: bytes, occurrence: int = 1) -> None:
        self.target = target
        self.stall_at = stall_at
        self.occurrence = occurrence
        self.seen = 0
        self.stalled = threading.Event()
        self.stalled_at: float | None = None
        self._healed = threading.Event()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def __enter__(self) -> StallingProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.close()
        self.heal()

    def heal(self) -> None:
        """Close every connection open now and forward new ones again."""
        with self._lock:
            self._healed.set()
            self.stalled.clear()
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            with self._lock:
                self._sockets.append(client)
                if self.stalled.is_set():
                    continue  # accepted, never answered
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._sockets.append(upstream)
            for source, sink, watch in ((client, upstream, True), (upstream, client, False)):
                threading.Thread(target=self._pump, args=(source, sink, watch), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, watch: bool) -> None:
        try:
            while data := source.recv(65536):
                if watch and not self.stalled.is_set() and self.stall_at in data:
                    with self._lock:
                        self.seen += 1
                        if self.seen == self.occurrence:
                            self.stalled_at = time.monotonic()
                            self._healed.clear()
                            self.stalled.set()
                if self.stalled.is_set():
                    self._healed.wait()
                    return  # healed: this connection was closed
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
