"""Loopback TCP peers for the fault tests: a relay in front of a real server
(PostgreSQL or Redis) which a test can cut: open connections are dropped and new
ones refused, as when the server stops, and ``restore`` listens again on the same
port; and two servers that never answer: one hung after accepting, one whose
host seems gone (connections are never even accepted)."""

from __future__ import annotations

import socket
import struct
import threading


class CuttableTcpProxy:
    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = 0
        self._listener: socket.socket | None = None
        self._live: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> CuttableTcpProxy:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    restore = start

    def cut(self) -> None:
        """Refuse new connections and drop every open one (FIN, then RST on close)."""
        with self._lock:
            listener, self._listener = self._listener, None
            live, self._live = self._live, set()
        if listener is not None:
            _drop(listener)
        for sock in live:
            _drop(sock, reset=True)

    stop = cut

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:  # cut while connecting
                    client.close()
                    upstream.close()
                    return
                self._live.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            _drop(source)
            _drop(sink)


class HungServer:
    """Accepts connections and never answers, as a server stuck in a long pause."""

    def __init__(self):
        self._listener = socket.socket()
        self._held: list[socket.socket] = []

    def start(self) -> HungServer:
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._hold, daemon=True).start()
        return self

    def _hold(self) -> None:
        while True:
            try:
                self._held.append(self._listener.accept()[0])
            except OSError:
                return

    def stop(self) -> None:
        for sock in (self._listener, *self._held):
            _drop(sock)


class VanishedHost:
    """A port whose connections never complete, as when the server's host is gone:
    its accept queue is full and never served, so further handshakes are not
    answered (Linux drops their SYNs)."""

    def __init__(self):
        self._listener = socket.socket()
        self._fillers: list[socket.socket] = []

    def start(self) -> VanishedHost:
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(0)
        self.port = self._listener.getsockname()[1]
        for _ in range(3):  # the queue of a listen(0) socket holds one: fill it
            filler = socket.socket()
            filler.setblocking(False)
            try:
                filler.connect(("127.0.0.1", self.port))
            except BlockingIOError:
                pass
            self._fillers.append(filler)
        return self

    def stop(self) -> None:
        for sock in (*self._fillers, self._listener):
            sock.close()


def _drop(sock: socket.socket, reset: bool = False) -> None:
    """Shut the socket down, then close it. A socket that another thread is
    blocked on (in accept or recv) stays open after close() alone: a listener
    would keep its port, and a PostgreSQL backend would wait on its connection
    for ever. shutdown() wakes that thread."""
    try:
        if reset:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already shut or closed by the thread relaying the other direction
    sock.close()
