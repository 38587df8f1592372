"""The network between phones: the directory of public keys, the servers, and the operator's log.

What travels depends on the channel's kind:

- `plaintext`: the text itself; whoever carries it reads it.
- `transport`: encrypted between each phone and the service's server (ChaCha20-Poly1305 under
  a key from X25519 with the server's key); the server decrypts and re-encrypts for the
  recipient, so the service reads the text.
- `end_to_end` and `mesh`: encrypted with the pairwise session's message key, the routing header
  authenticated as associated data; only the two phones hold the keys. A mesh goes phone to
  phone, past any operator.
- `end_to_end_sealed`: the end-to-end message, header included, is sealed inside a second layer
  addressed to a one-time key of the recipient (deleted once opened); the outer header names
  only the recipient.
- `in_person` carries nothing: it never reaches this module.

The operator of a channel that logs (`operator_logs`) keeps one `LogLine` per message: the time,
the endpoints its header shows, and the bytes on the wire.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.messaging.crypto import KeyMaker, agree, decrypt, encrypt, hkdf, public_bytes
from simulator.messaging.device import Account, Device
from simulator.messaging.session import Session, prekey_root, static_root
from simulator.messaging.wire import KIND_CODES, Header, SealedHeader, decode_content, pack, parse
from simulator.scenario.model import Scenario

PLAINTEXT, TRANSPORT, END_TO_END, SEALED, MESH = (
    KIND_CODES[k] for k in ("plaintext", "transport", "end_to_end", "end_to_end_sealed", "mesh")
)


@dataclass(frozen=True)
class LogLine:
    """One message as the operator logs it: when, the endpoints its header shows, the bytes."""

    day: int
    second: int
    channel: int
    sender: int | None  # None when the sender is sealed
    recipient: int
    session: int | None  # the conversation's id, when the header shows it
    wire: bytes


@dataclass(frozen=True)
class Delivery:
    """What a phone made of a message it received."""

    ok: bool  # False: authentication failed, the message was changed on the way (tampered)
    sender: int = -1
    text: str = ""
    group: int | None = None


def _nonce(counter: int) -> bytes:
    return counter.to_bytes(12, "big")


def sealing_key(secret: bytes, outer: bytes) -> bytes:
    """The key of a sealed envelope's outer layer: agreed with the recipient's one-time key."""
    return hkdf(secret, b"exposure/sealed", salt=outer[:16])


class Network:
    """Phones, the public directory, the servers, and the operator's log, for one scenario."""

    def __init__(self, scenario: Scenario, keys: KeyMaker):
        self.keys = keys
        chans = list(scenario.channels.values())
        self.kind = [KIND_CODES.get(c.kind, -1) for c in chans]
        self.logs = [c.logs_metadata for c in chans]
        self.ratchet = [c.forward_secrecy for c in chans]
        self.servers = [keys.private() for _ in chans]  # each service's server key
        self.devices: dict[int, Device] = {}
        self.log: list[LogLine] = []
        self._transport: dict[tuple[int, int], bytes] = {}

    def device(self, person: int) -> Device:
        """A person's phone (created on first use)."""
        dev = self.devices.get(person)
        if dev is None:
            dev = self.devices[person] = Device(person, self.keys.secret())
        return dev

    def account(self, channel: int, person: int) -> Account:
        """A person's account on a channel; its public key is what the directory publishes."""
        return self.device(person).account(channel, self.keys)

    def transport_key(self, channel: int, person: int) -> bytes:
        """The key between a phone and the service's server (either side can compute it)."""
        key = self._transport.get((channel, person))
        if key is None:
            key = hkdf(
                agree(self.servers[channel], self.account(channel, person).public),
                b"exposure/transport",
            )
            self._transport[(channel, person)] = key
        return key

    # ------------------------------------------------------------ sending
    def send(
        self,
        channel: int,
        sender: int,
        recipient: int,
        link: int,
        group_link: bool,
        day: int,
        second: int,
        content: bytes,
    ) -> tuple[bytes, bytes]:
        """Encrypt a message as the channel does, logged if the operator logs: (up, down) bytes."""
        kind = self.kind[channel]
        acc = self.account(channel, sender)
        if kind == PLAINTEXT:
            header = Header(kind, channel, sender, recipient, link, 0, 0).encode()
            wire = down = pack(header, content)
        elif kind == TRANSPORT:
            acc.transport_counter += 1
            header = Header(
                kind, channel, sender, recipient, link, 0, acc.transport_counter
            ).encode()
            wire = pack(
                header,
                encrypt(
                    self.transport_key(channel, sender),
                    content,
                    header,
                    _nonce(acc.transport_counter),
                ),
            )
            # The server reads it and sends it on under the recipient's own transport key (epoch 1
            # marks the server-to-phone direction; the phone's one counter keeps every nonce fresh).
            racc = self.account(channel, recipient)
            racc.transport_counter += 1
            down_header = Header(
                kind, channel, sender, recipient, link, 1, racc.transport_counter
            ).encode()
            down = pack(
                down_header,
                encrypt(
                    self.transport_key(channel, recipient),
                    content,
                    down_header,
                    _nonce(racc.transport_counter),
                ),
            )
        else:
            wire = down = self._end_to_end(channel, sender, recipient, link, group_link, content)
        if self.logs[channel]:
            self._record(day, second, channel, wire)
        return wire, down

    def _end_to_end(
        self, channel: int, sender: int, recipient: int, link: int, group_link: bool, content: bytes
    ) -> bytes:
        dev = self.device(sender)
        session = dev.sessions.get(link)
        if session is None:
            session = dev.sessions[link] = self._open(channel, sender, recipient, link, group_link)
        counter = session.send.index
        key = session.send.take(counter)
        assert key is not None
        inner_kind = END_TO_END if self.kind[channel] == SEALED else self.kind[channel]
        header = Header(
            inner_kind,
            channel,
            sender,
            recipient,
            link,
            session.epoch,
            counter,
            session.pending_ephemeral,
            session.pending_prekey,
        ).encode()
        session.pending_ephemeral = b""
        inner = pack(header, encrypt(key, content, header))
        if self.kind[channel] != SEALED:
            return inner
        # Sealed sender: a second layer to a one-time key of the recipient; the outer header names
        # only her.
        sealing_id, sealing_public = self.account(channel, recipient).issue(
            self.keys, self.account(channel, recipient).sealing
        )
        ephemeral = self.keys.private()
        outer = SealedHeader(channel, recipient, sealing_id, public_bytes(ephemeral)).encode()
        return pack(
            outer, encrypt(sealing_key(agree(ephemeral, sealing_public), outer), inner, outer)
        )

    def _open(self, channel: int, me: int, partner: int, link: int, group_link: bool) -> Session:
        """Start a session as its initiator."""
        mine, theirs = self.account(channel, me), self.account(channel, partner)
        identity_secret = agree(mine.identity, theirs.public)
        epoch = int.from_bytes(self.keys.secret(4), "big")
        if not self.ratchet[channel]:
            root = static_root(identity_secret, link, epoch)
            return Session.from_root(
                root, me, partner, link, epoch, channel, group_link, ratchet=False
            )
        prekey_id, prekey_public = theirs.issue(self.keys, theirs.prekeys)
        ephemeral = self.keys.private()
        root = prekey_root(identity_secret, agree(ephemeral, prekey_public), link, epoch)
        session = Session.from_root(
            root, me, partner, link, epoch, channel, group_link, ratchet=True
        )
        session.pending_ephemeral, session.pending_prekey = public_bytes(ephemeral), prekey_id
        return session  # the ephemeral private key goes out of scope here: forward secrecy

    def _record(self, day: int, second: int, channel: int, wire: bytes) -> None:
        parsed = parse(wire)
        assert parsed is not None
        header = parsed[0]
        if isinstance(header, SealedHeader):
            self.log.append(LogLine(day, second, channel, None, header.recipient, None, wire))
        else:
            self.log.append(
                LogLine(day, second, channel, header.sender, header.recipient, header.session, wire)
            )

    # ---------------------------------------------------------- receiving
    def deliver(self, wire: bytes, recipient: int, group_link: bool) -> Delivery:
        """The recipient's phone authenticates and decrypts; changed bytes count as tampered."""
        parsed = parse(wire)
        if parsed is None:
            return Delivery(False)
        outer, raw, body = parsed
        used_sealing: tuple[Account, int] | None = None
        if isinstance(outer, SealedHeader):
            opened = self._unseal(outer, raw, body, recipient)
            if opened is None:
                return Delivery(False)
            header, raw, body = opened
            used_sealing = (self.account(outer.channel, recipient), outer.sealing_id)
        else:
            header = outer
        if header.recipient != recipient or header.channel >= len(self.kind):
            return Delivery(False)
        if header.kind == PLAINTEXT:
            content: bytes | None = body
        elif header.kind == TRANSPORT:
            content = decrypt(
                self.transport_key(header.channel, recipient), body, raw, _nonce(header.counter)
            )
        else:
            content = self._receive_end_to_end(
                self.device(recipient), header, raw, body, group_link
            )
        decoded = decode_content(content) if content is not None else None
        if decoded is None:
            return Delivery(False)
        if used_sealing is not None:
            del used_sealing[0].sealing[used_sealing[1]]  # the one-time key is deleted once opened
        return Delivery(True, header.sender, decoded[0], decoded[1])

    def _unseal(
        self, outer: SealedHeader, raw: bytes, body: bytes, recipient: int
    ) -> tuple[Header, bytes, bytes] | None:
        """Open a sealed envelope's outer layer with its one-time key (kept until used)."""
        if outer.channel >= len(self.kind) or outer.recipient != recipient:
            return None
        sealing = self.account(outer.channel, recipient).sealing.get(outer.sealing_id)
        if sealing is None:
            return None
        inner = decrypt(sealing_key(agree(sealing, outer.ephemeral), raw), body, raw)
        parsed = parse(inner) if inner is not None else None
        if parsed is None or isinstance(parsed[0], SealedHeader):
            return None
        return parsed[0], parsed[1], parsed[2]

    def _receive_end_to_end(
        self, dev: Device, header: Header, raw: bytes, body: bytes, group_link: bool
    ) -> bytes | None:
        session = dev.sessions.get(header.session)
        fresh = session is None or session.epoch != header.epoch or bool(header.ephemeral)
        acc = self.account(header.channel, dev.person)
        if fresh:
            session = self._accept(acc, header, group_link)
            if session is None:
                return None
        assert session is not None
        key, after = session.receive.ahead(header.counter)
        content = decrypt(key, body, raw) if key is not None else None
        if content is None:
            return None  # tampered: the chain stays where it was
        session.receive = after
        if fresh:
            dev.sessions[header.session] = session
            if header.ephemeral:
                acc.prekeys.pop(header.prekey_id, None)  # the one-time prekey is deleted once used
        return content

    def _accept(self, acc: Account, header: Header, group_link: bool) -> Session | None:
        """The responder's side of a new session, not yet kept (kept once a message decrypts)."""
        identity_secret = agree(acc.identity, self.account(header.channel, header.sender).public)
        if not self.ratchet[header.channel]:
            root = static_root(identity_secret, header.session, header.epoch)
            return Session.from_root(
                root,
                header.recipient,
                header.sender,
                header.session,
                header.epoch,
                header.channel,
                group_link,
                ratchet=False,
            )
        prekey = acc.prekeys.get(header.prekey_id) if header.ephemeral else None
        if prekey is None:
            return None
        root = prekey_root(
            identity_secret, agree(prekey, header.ephemeral), header.session, header.epoch
        )
        return Session.from_root(
            root,
            header.recipient,
            header.sender,
            header.session,
            header.epoch,
            header.channel,
            group_link,
            ratchet=True,
        )

    # ------------------------------------------------------------ reading
    def operator_read(self, line: LogLine) -> bytes | None:
        """The operator's attempt to read a logged message with the keys it holds (its servers')."""
        parsed = parse(line.wire)
        if parsed is None:
            return None
        header, raw, body = parsed
        if isinstance(header, SealedHeader):
            # Its only keys are the servers': try the agreement a server key gives with the
            # envelope's key.
            return decrypt(
                sealing_key(agree(self.servers[header.channel], header.ephemeral), raw), body, raw
            )
        if header.kind == PLAINTEXT:
            return body
        if header.kind == TRANSPORT:
            return decrypt(
                self.transport_key(header.channel, header.sender), body, raw, _nonce(header.counter)
            )
        # End to end: the server's key with the sender's account opens transport, not this.
        return decrypt(
            self.transport_key(header.channel, header.sender), body, raw, _nonce(header.counter)
        )
