"""Phones: accounts with identity keys, contact books, group member lists, sessions and messages.

A phone keeps everything in one store. While it runs, the store is the Python objects below;
when the phone is seized, `image()` gives the adversary what it would copy: every record,
encrypted at rest with the phone's storage key. Only an unlocked phone gives up that key.
Disappearing messages (the channel's retention) delete a message's text for good, and with the
last message of a conversation on a channel that keeps no contacts, the conversation's keys too.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from simulator.messaging.crypto import KeyMaker, encrypt, private_bytes, public_bytes
from simulator.messaging.session import Session


@dataclass
class Account:
    """A phone's account on a channel: its identity key and the one-time keys it has handed out."""

    channel: int
    identity: X25519PrivateKey
    public: bytes
    prekeys: dict[int, X25519PrivateKey] = field(default_factory=dict)
    sealing: dict[int, X25519PrivateKey] = field(default_factory=dict)
    next_id: int = 0
    transport_counter: int = 0

    def issue(self, keys: KeyMaker, store: dict[int, X25519PrivateKey]) -> tuple[int, bytes]:
        """A new one-time key pair: its id and public half go out, the private half stays here."""
        private = keys.private()
        self.next_id += 1
        store[self.next_id] = private
        return self.next_id, public_bytes(private)


@dataclass(frozen=True)
class StoredMessage:
    """One message as a phone keeps it."""

    message: int  # the message's id (one id for a post, however many members receive it)
    day: int
    second: int
    channel: int
    session: int | None  # the conversation of a direct message
    group: int | None  # the group of a post
    sender: int
    recipients: tuple[int, ...]
    text: str


@dataclass(frozen=True)
class PhoneImage:
    """A copy of a seized phone's store: records encrypted at rest, one nonce each."""

    person: int
    records: tuple[tuple[bytes, bytes], ...]


class Device:
    """One person's phone, with an account on each channel the person uses."""

    def __init__(self, person: int, storage_key: bytes):
        self.person = person
        self.storage_key = storage_key
        self.accounts: dict[int, Account] = {}
        self.contacts: dict[int, tuple[int, int]] = {}  # link id -> (channel, person)
        self.groups: dict[int, tuple[int, set[int]]] = {}  # group -> (channel, members)
        self.sessions: dict[int, Session] = {}  # link id -> session
        self.messages: dict[int, StoredMessage] = {}
        self._order: dict[
            int, deque[tuple[int, int]]
        ] = {}  # channel -> (day, message), oldest first
        self._in_conversation: dict[int, int] = {}  # link id -> messages stored
        self._images = 0  # copies taken so far: no nonce is used twice under the storage key

    def account(self, channel: int, keys: KeyMaker) -> Account:
        """The phone's account on a channel, created with a new identity key on first use."""
        acc = self.accounts.get(channel)
        if acc is None:
            identity = keys.private()
            acc = self.accounts[channel] = Account(channel, identity, public_bytes(identity))
        return acc

    def store(self, msg: StoredMessage) -> None:
        """Keep a message."""
        self.messages[msg.message] = msg
        self._order.setdefault(msg.channel, deque()).append((msg.day, msg.message))
        if msg.session is not None:
            self._in_conversation[msg.session] = self._in_conversation.get(msg.session, 0) + 1

    def expire(self, day: int, retention: dict[int, int], keeps_contacts: dict[int, bool]) -> None:
        """Delete what disappearing messages delete at the end of `day`.

        A message of day s is kept while s > day − retention. When a conversation loses its last
        message on a channel that keeps no contacts, its session (partner and keys) goes too.
        """
        for channel, days in retention.items():
            queue = self._order.get(channel)
            while queue and queue[0][0] <= day - days:
                _, message = queue.popleft()
                gone = self.messages.pop(message)
                if gone.session is None:
                    continue
                left = self._in_conversation[gone.session] - 1
                self._in_conversation[gone.session] = left
                session = self.sessions.get(gone.session)
                if (
                    left == 0
                    and not keeps_contacts[channel]
                    and session is not None
                    and not session.group_link
                ):
                    del self.sessions[gone.session]
                    del self._in_conversation[gone.session]

    def records(self) -> list[dict[str, object]]:
        """Everything the phone stores, as plain records."""
        out: list[dict[str, object]] = []
        for acc in self.accounts.values():
            out.append(
                {
                    "type": "account",
                    "channel": acc.channel,
                    "identity": private_bytes(acc.identity).hex(),
                    "prekeys": {str(k): private_bytes(v).hex() for k, v in acc.prekeys.items()},
                    "sealing": {str(k): private_bytes(v).hex() for k, v in acc.sealing.items()},
                }
            )
        for link, (channel, person) in self.contacts.items():
            out.append({"type": "contact", "session": link, "channel": channel, "person": person})
        for group, (channel, members) in self.groups.items():
            out.append(
                {"type": "group", "group": group, "channel": channel, "members": sorted(members)}
            )
        for s in self.sessions.values():
            out.append(
                {
                    "type": "session",
                    "session": s.session,
                    "epoch": s.epoch,
                    "channel": s.channel,
                    "partner": s.partner,
                    "group_link": s.group_link,
                    "send": [s.send.key.hex(), s.send.index, s.send.ratchet],
                    "receive": [s.receive.key.hex(), s.receive.index, s.receive.ratchet],
                }
            )
        for m in self.messages.values():
            out.append(
                {
                    "type": "message",
                    "message": m.message,
                    "day": m.day,
                    "second": m.second,
                    "channel": m.channel,
                    "session": m.session,
                    "group": m.group,
                    "sender": m.sender,
                    "recipients": list(m.recipients),
                    "text": m.text,
                }
            )
        return out

    def image(self) -> PhoneImage:
        """The store as a seizure copies it: each record encrypted with the storage key."""
        sealed = []
        self._images += 1
        for i, record in enumerate(self.records()):
            nonce = self._images.to_bytes(4, "big") + i.to_bytes(8, "big")
            data = json.dumps(record, sort_keys=True).encode("utf-8")
            sealed.append((nonce, encrypt(self.storage_key, data, b"exposure/storage", nonce)))
        return PhoneImage(self.person, tuple(sealed))
