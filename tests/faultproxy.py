"""A fault-injecting HTTP/1.1 TCP proxy for sync tests: the network a commune office really has.

    proxy = FaultProxy(server_url, faults=["reset", "pass", "cut_after_commit"]).start()
    client = SyncClient(proxy.url, token)

It understands just enough HTTP (request and response heads, Content-Length and chunked
bodies) to decide a fault per request, even on a kept-alive connection. The faults:

- `pass`               forward the request and the response unchanged;
- `reset`              RST the client's connection before the request reaches the server;
- `drop`               close the client's connection quietly before forwarding (no answer);
- `stall`              hold the request without forwarding until the client times out;
- `cut_after_commit`   forward the request, let the server commit and answer, then send the
                       client only part of the answer's head and RST — the worst case for
                       exactly-once, the client cannot know whether its batch was stored;
- `cut_body`           as above but the whole head and half the body arrive before the RST;
- `error_502`          answer 502 Bad Gateway without forwarding (a flaky reverse proxy);
- `error_413`          answer 413 without forwarding (a reverse proxy with a smaller body limit).

`faults` is a list consumed one per request (then `pass`), or a callable
`(index, method, path) -> fault`; `FaultProxy.random(rate, seed)` builds a seeded random one.
`set_upstream(url)` re-targets the proxy (a server restarted on another port); while the
upstream is down, clients see their connection reset.
"""

from __future__ import annotations

import random
import socket
import struct
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

FAULTS = (
    "pass",
    "reset",
    "drop",
    "stall",
    "cut_after_commit",
    "cut_body",
    "error_502",
    "error_413",
)
Decide = Callable[[int, str, str], str]


class FaultProxy:
    def __init__(
        self,
        upstream: str,
        *,
        faults: Sequence[str] | Decide | None = None,
        stall_seconds: float = 30.0,
    ) -> None:
        self.set_upstream(upstream)
        self.stall_seconds = stall_seconds
        self.counts: Counter[str] = Counter()
        self.sizes: list[tuple[str, int]] = []  # (fault, request bytes) per request
        self._index = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sockets: set[socket.socket] = set()
        self.set_faults(faults)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    @classmethod
    def random(
        cls,
        upstream: str,
        *,
        rate: float,
        seed: int,
        kinds: Sequence[str] = ("reset", "drop", "cut_after_commit", "cut_body", "error_502"),
        **options,
    ) -> FaultProxy:
        rng = random.Random(seed)
        lock = threading.Lock()

        def decide(_index: int, _method: str, _path: str) -> str:
            with lock:
                return rng.choice(kinds) if rng.random() < rate else "pass"

        return cls(upstream, faults=decide, **options)

    def set_upstream(self, url: str) -> None:
        parts = urlsplit(url)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)

    def set_faults(self, faults: Sequence[str] | Decide | None) -> None:
        if faults is None or not callable(faults):
            planned = list(faults or [])
            unknown = set(planned) - set(FAULTS)
            if unknown:
                raise ValueError(f"unknown faults {unknown}")

            def decide(index: int, _method: str, _path: str) -> str:
                return planned[index] if index < len(planned) else "pass"

            faults = decide
        with self._lock:
            self._decide, self._index = faults, 0

    def start(self) -> FaultProxy:
        thread = threading.Thread(target=self._accept_loop, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for sock in [self._listener, *self._sockets]:
            try:  # wakes a thread blocked in recv (close alone does not)
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            _close(sock)
        for thread in self._threads:
            thread.join(5)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- connections ----------------------------------------------------------------------

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self._sockets.add(conn)
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]

    def _serve(self, client: socket.socket) -> None:
        try:
            while not self._stop.is_set():
                request = _read_message(client, is_response=False)
                if request is None:
                    return
                method, path = _request_line(request)
                with self._lock:
                    index, decide = self._index, self._decide
                    self._index += 1
                fault = decide(index, method, path)
                self.counts[fault] += 1
                keep_going = self._handle(client, request, fault)
                if not keep_going:
                    return
        except OSError:
            return
        finally:
            self._sockets.discard(client)
            _close(client)

    def _handle(self, client: socket.socket, request: bytes, fault: str) -> bool:
        """Apply one fault; returns whether the client's connection lives on."""
        self.sizes.append((fault, len(request)))
        if fault == "reset":
            _reset(client)
            return False
        if fault == "drop":
            return False
        if fault == "stall":
            self._stop.wait(self.stall_seconds)
            return False
        if fault in ("error_502", "error_413"):
            status = b"502 Bad Gateway" if fault == "error_502" else b"413 Payload Too Large"
            client.sendall(
                b"HTTP/1.1 " + status + b"\r\nContent-Type: text/plain\r\n"
                b"Content-Length: 5\r\n\r\nerror"
            )
            return True
        # A fresh upstream connection per request: a server-side keep-alive timeout must not
        # look like an injected fault.
        try:
            with socket.create_connection(self.upstream, timeout=60) as upstream_sock:
                upstream_sock.sendall(request)
                response = _read_message(upstream_sock, is_response=True)
        except OSError:
            response = None
        if response is None:  # the server is down or hung up: the client sees a reset
            _reset(client)
            return False
        if fault in ("cut_after_commit", "cut_body"):
            head_end = response.index(b"\r\n\r\n") + 4
            cut = head_end // 3 if fault == "cut_after_commit" else (head_end + len(response)) // 2
            client.sendall(response[:cut])
            _reset(client)
            return False
        client.sendall(response)
        return not _closes(response)


def _request_line(message: bytes) -> tuple[str, str]:
    line = message.split(b"\r\n", 1)[0].decode("latin-1").split()
    return (line[0], line[1]) if len(line) >= 2 else ("", "")


def _read_message(sock: socket.socket, *, is_response: bool) -> bytes | None:
    """One HTTP message (head + body) as raw bytes, or None when the peer closed first."""
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buffer += chunk
    head_end = buffer.index(b"\r\n\r\n") + 4
    head, rest = buffer[:head_end], buffer[head_end:]
    headers = _headers(head)
    if "chunked" in headers.get("transfer-encoding", ""):
        return head + _read_chunked(sock, rest)
    if "content-length" in headers:
        return head + _read_exact(sock, rest, int(headers["content-length"]))
    if is_response and not _no_body(head):
        return head + _read_to_eof(sock, rest)
    return head + rest


def _headers(head: bytes) -> dict[str, str]:
    found = {}
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name:
            found[name.strip().lower()] = value.strip().lower()
    return found


def _no_body(head: bytes) -> bool:
    status = head.split(b" ", 2)[1:2]
    return bool(status) and (status[0] in (b"204", b"304") or status[0].startswith(b"1"))


def _read_exact(sock: socket.socket, rest: bytes, length: int) -> bytes:
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise OSError("peer closed mid-body")
        rest += chunk
    return rest


def _read_chunked(sock: socket.socket, rest: bytes) -> bytes:
    while not rest.endswith(b"0\r\n\r\n"):
        chunk = sock.recv(65536)
        if not chunk:
            raise OSError("peer closed mid-body")
        rest += chunk
    return rest


def _read_to_eof(sock: socket.socket, rest: bytes) -> bytes:
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return rest
        rest += chunk


def _closes(response: bytes) -> bool:
    head = response[: response.index(b"\r\n\r\n")]
    return _headers(head).get("connection") == "close"


def _reset(sock: socket.socket) -> None:
    """Close with RST (SO_LINGER 0): the peer sees 'connection reset by peer'."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    _close(sock)


def _close(sock: socket.socket) -> None:
    try:
        sock.close()
    except OSError:
        pass
