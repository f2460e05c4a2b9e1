"""Wake a worker process as soon as a request is stored, instead of at its next poll.

The acknowledging process sends one UDP datagram to 127.0.0.1 after each insert (non-blocking, never waited
on, lost datagrams only cost the poll interval); the worker process listens on that port and claims at once.
It carries nothing but the nudge: the inbox table is the only record of the request.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
from collections.abc import Callable

HOST = "127.0.0.1"


class WakeSender:
    """Nudges the worker processes listening on `ports`, one per stored request in turn (cheap enough for every
    acknowledged request), so each new row wakes one worker and several workers share a burst."""

    def __init__(self, *ports: int) -> None:
        if not ports:
            raise ValueError("a wake sender needs at least one port")
        self.ports = ports
        self._turn = itertools.cycle(ports)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.setblocking(False)

    def poke(self) -> None:
        """Send the nudge; a full buffer or a worker not yet listening only delays the work to the next poll."""
        with contextlib.suppress(OSError):
            self._socket.sendto(b"!", (HOST, next(self._turn)))

    def close(self) -> None:
        """Release the socket."""
        self._socket.close()


class _Listener(asyncio.DatagramProtocol):
    def __init__(self, wake: Callable[[], None]) -> None:
        self.wake = wake

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.wake()


async def listen(port: int, wake: Callable[[], None]) -> asyncio.DatagramTransport:
    """Call `wake` for every nudge sent to 127.0.0.1:`port` until the returned transport is closed."""
    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: _Listener(wake), local_addr=(HOST, port)
    )
    return transport


def free_udp_port() -> int:
    """A local UDP port nobody is listening on (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port
