"""The bytes on the wire: headers, authenticated as associated data, and message content.

A wire message is a two-byte header length, the header, then the body. The header is what a
network must read to route the message; on a sealed-sender channel the outer header names only
the recipient, and the real header travels inside the encrypted body.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from simulator.messaging.crypto import KEY_BYTES

MAGIC = b"EX"
VERSION = 1
KIND_CODES = {"plaintext": 0, "transport": 1, "end_to_end": 2, "end_to_end_sealed": 3, "mesh": 4}
SEALED = KIND_CODES["end_to_end_sealed"]
_HEADER = struct.Struct(
    ">2sBBBIIIIIB"
)  # magic, version, kind, channel, sender, recipient, session, epoch, counter, flags
_SEALED = struct.Struct(">2sBBBII")  # magic, version, kind, channel, recipient, sealing key id
_LENGTH = struct.Struct(">H")
_HAS_PREKEY = 1


@dataclass(frozen=True)
class Header:
    """Who sent a message to whom, in which conversation, with which message number."""

    kind: int
    channel: int
    sender: int
    recipient: int
    session: int
    epoch: int
    counter: int
    ephemeral: bytes = (
        b""  # the initiator's ephemeral public key, on a forward-secret session's first message
    )
    prekey_id: int = 0

    def encode(self) -> bytes:
        """The header's bytes."""
        flags = _HAS_PREKEY if self.ephemeral else 0
        head = _HEADER.pack(
            MAGIC,
            VERSION,
            self.kind,
            self.channel,
            self.sender,
            self.recipient,
            self.session,
            self.epoch,
            self.counter,
            flags,
        )
        if self.ephemeral:
            head += self.ephemeral + struct.pack(">I", self.prekey_id)
        return head

    @classmethod
    def decode(cls, data: bytes) -> Header | None:
        """Parse a header, or None if the bytes are not one."""
        if len(data) < _HEADER.size:
            return None
        magic, version, kind, channel, sender, recipient, session, epoch, counter, flags = (
            _HEADER.unpack_from(data)
        )
        if magic != MAGIC or version != VERSION or kind == SEALED:
            return None
        rest = data[_HEADER.size :]
        if flags & _HAS_PREKEY:
            if len(rest) != KEY_BYTES + 4:
                return None
            return cls(
                kind,
                channel,
                sender,
                recipient,
                session,
                epoch,
                counter,
                rest[:KEY_BYTES],
                struct.unpack(">I", rest[KEY_BYTES:])[0],
            )
        if rest:
            return None
        return cls(kind, channel, sender, recipient, session, epoch, counter)


@dataclass(frozen=True)
class SealedHeader:
    """The outer header of a sealed-sender envelope: the recipient, and how to open the envelope."""

    channel: int
    recipient: int
    sealing_id: int
    ephemeral: bytes

    def encode(self) -> bytes:
        """The header's bytes."""
        return (
            _SEALED.pack(MAGIC, VERSION, SEALED, self.channel, self.recipient, self.sealing_id)
            + self.ephemeral
        )

    @classmethod
    def decode(cls, data: bytes) -> SealedHeader | None:
        """Parse an outer header, or None if the bytes are not one."""
        if len(data) != _SEALED.size + KEY_BYTES:
            return None
        magic, version, kind, channel, recipient, sealing_id = _SEALED.unpack_from(data)
        if magic != MAGIC or version != VERSION or kind != SEALED:
            return None
        return cls(channel, recipient, sealing_id, data[_SEALED.size :])


def pack(header: bytes, body: bytes) -> bytes:
    """A wire message: header length, header, body."""
    return _LENGTH.pack(len(header)) + header + body


def unpack(wire: bytes) -> tuple[bytes, bytes] | None:
    """(header, body) of a wire message, or None if it is cut short."""
    if len(wire) < _LENGTH.size:
        return None
    (length,) = _LENGTH.unpack_from(wire)
    if len(wire) < _LENGTH.size + length:
        return None
    return wire[_LENGTH.size : _LENGTH.size + length], wire[_LENGTH.size + length :]


def parse(wire: bytes) -> tuple[Header | SealedHeader, bytes, bytes] | None:
    """The parsed header, its bytes and the body of a wire message, or None if it is malformed."""
    parts = unpack(wire)
    if parts is None:
        return None
    raw, body = parts
    header: Header | SealedHeader | None = (
        SealedHeader.decode(raw) if raw[3:4] == bytes([SEALED]) else Header.decode(raw)
    )
    if header is None:
        return None
    return header, raw, body


_NO_GROUP = 0xFFFF


def encode_content(text: str, group: int | None) -> bytes:
    """A message's content: the group it was posted to (if any) and its text."""
    return struct.pack(">H", _NO_GROUP if group is None else group) + text.encode("utf-8")


def decode_content(data: bytes) -> tuple[str, int | None] | None:
    """(text, group) from content bytes, or None if they are not content."""
    if len(data) < 2:
        return None
    (group,) = struct.unpack_from(">H", data)
    try:
        text = data[2:].decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text, None if group == _NO_GROUP else group
