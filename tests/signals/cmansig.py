"""Server side of Clusterman's external-signal socket protocol, for tests.

Shared by echo_signal.py and flaky_signal.py (Python 3 standard library
only).  The protocol, as Clusterman's client speaks it
(clusterman/signals/external_signal.py):

  - the client connects to the abstract Unix socket
    "\\0<namespace>-<name>-<pool>-socket" and sends {"parameters": {...}}
    as plain JSON: no length prefix, no ACK;
  - per evaluation: a 4-byte big-endian length, answered by the ACK byte
    0x01; then that many bytes of {"metrics": {...}, "timestamp": <int>},
    answered by 0x01 followed by the JSON {"Resources": {...}}.
"""
import json
import os
import socket
import struct

ACK = b"\x01"


def socket_name(namespace, name, pool):
    return "\0%s-%s-%s-socket" % (namespace, name, pool)


def listen(namespace, name, pool):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(socket_name(namespace, name, pool))
    s.listen(8)
    return s


def write_pid(path):
    if path:
        with open(path, "w") as f:
            f.write("%d\n" % os.getpid())


def log_line(path, raw):
    """Append one received message to path as one line, as received."""
    if not path:
        return
    text = raw.decode("utf-8")
    if "\n" in text or "\r" in text:
        text = json.dumps(json.loads(text))
    with open(path, "a") as f:
        f.write(text + "\n")


class Conn:
    """One client connection with a read buffer."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("client closed the connection")
        self.buf += data

    def read_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_object(self):
        """The unframed parameters message: read until one JSON value parses;
        bytes after it stay buffered (they belong to the first length)."""
        dec = json.JSONDecoder()
        while True:
            text = self.buf.decode("latin-1")   # the client sends ASCII only
            stripped = text.lstrip()
            if stripped:
                try:
                    obj, end = dec.raw_decode(stripped)
                except ValueError:
                    obj = None
                if obj is not None:
                    used = len(text) - len(stripped) + end
                    raw, self.buf = self.buf[:used].strip(), self.buf[used:]
                    return obj, raw
            self._fill()

    def read_length(self):
        return struct.unpack(">I", self.read_exact(4))[0]

    def send(self, data):
        self.sock.sendall(data)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def answer_bytes(resources):
    return json.dumps({"Resources": resources}).encode()
