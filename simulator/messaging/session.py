"""Pairwise sessions: the keys two phones share for one conversation, and how they move on.

A session belongs to one link of the contact network (one conversation on one channel). Its
root secret comes from X25519 agreement, through HKDF-SHA256:

- without forward secrecy, from the two identity keys alone, so either phone's identity key
  (and the other's public key, which the network's directory publishes) recomputes every key
  of the conversation, past and future;
- with forward secrecy, also from an ephemeral key of the initiator and a one-time prekey of
  the responder, both deleted once used, and each direction's keys come from a symmetric-key
  ratchet: a message key is derived from the chain key, the chain key moves one step, and the
  old chain key and the message key are deleted. A phone then holds only keys for messages it
  has not yet sent or received.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.messaging.crypto import hkdf, indexed_key, message_key, next_chain_key


def _ids(session: int, epoch: int) -> bytes:
    return session.to_bytes(4, "big") + epoch.to_bytes(4, "big")


def static_root(identity_secret: bytes, session: int, epoch: int) -> bytes:
    """The root of a session without forward secrecy, from the identity keys' shared secret."""
    return hkdf(identity_secret, b"exposure/static", salt=_ids(session, epoch))


def prekey_root(identity_secret: bytes, ephemeral_secret: bytes, session: int, epoch: int) -> bytes:
    """The root of a forward-secret session: identity and ephemeral secrets together."""
    return hkdf(identity_secret + ephemeral_secret, b"exposure/prekey", salt=_ids(session, epoch))


def chain_start(root: bytes, sender: int, recipient: int) -> bytes:
    """The first chain key of one direction of a session."""
    return hkdf(root, b"exposure/chain" + sender.to_bytes(4, "big") + recipient.to_bytes(4, "big"))


# How many message keys a ratchet derives past its position for one incoming message, before
# the message is authenticated. A forged header's counter of four billion would otherwise make
# the receiver derive four billion keys; as in the Signal protocol, a gap larger than this is
# treated as a message the chain cannot open.
MAX_SKIP = 1000


@dataclass
class Chain:
    """One direction of a session: the keys for its messages, numbered from 0."""

    key: bytes
    index: int = 0
    ratchet: bool = False

    def take(self, index: int) -> bytes | None:
        """The key for message `index`, deleting every key the ratchet passes (None if gone)."""
        key, after = self.ahead(index)
        self.key, self.index = after.key, after.index
        return key

    def peek(self, index: int) -> bytes | None:
        """The key for message `index` if this chain can still give it, leaving the chain as is."""
        return self.ahead(index)[0]

    def ahead(self, index: int) -> tuple[bytes | None, Chain]:
        """The key for message `index`, and the chain as it would stand after giving it.

        None when the ratchet has passed it, or when it lies more than MAX_SKIP keys ahead.
        """
        if not self.ratchet:
            return indexed_key(self.key, index), Chain(self.key, max(self.index, index + 1), False)
        if index < self.index or index - self.index > MAX_SKIP:
            return None, self
        key = self.key
        for _step in range(index - self.index):
            key = next_chain_key(key)
        return message_key(key), Chain(next_chain_key(key), index + 1, True)


@dataclass
class Session:
    """One phone's end of a pairwise conversation."""

    session: int  # the link's id: the lower of its two positions in the contact network
    epoch: int  # a new number each time the conversation starts afresh
    channel: int
    partner: int
    group_link: bool  # the link exists because both are in a group chat
    send: Chain
    receive: Chain
    pending_ephemeral: bytes = b""  # forward secrecy: sent with the first message, then dropped
    pending_prekey: int = 0

    @classmethod
    def from_root(
        cls,
        root: bytes,
        me: int,
        partner: int,
        session: int,
        epoch: int,
        channel: int,
        group_link: bool,
        ratchet: bool,
    ) -> Session:
        """Both directions' chains from a root secret (the root itself is not kept)."""
        return cls(
            session,
            epoch,
            channel,
            partner,
            group_link,
            send=Chain(chain_start(root, me, partner), 0, ratchet),
            receive=Chain(chain_start(root, partner, me), 0, ratchet),
        )
