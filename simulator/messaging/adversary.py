"""What the adversary gets: the operator's tap, and a seized phone.

Every claim here comes from an attempt: the operator tries to read each logged message with the
keys it holds; a seizure copies the phone's encrypted store and opens it with the storage key
only if the phone is unlocked, then tries the keys it found on every logged message that names
the person. A message counts as read or decrypted only if authenticated decryption succeeded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from simulator.channels import channel_rules, content_chance, reveal_parts, third_parties
from simulator.messaging.crypto import agree, decrypt, private_from
from simulator.messaging.device import PhoneImage
from simulator.messaging.network import LogLine, Network, sealing_key
from simulator.messaging.session import Chain, chain_start, static_root
from simulator.messaging.simulation import MessagingRun
from simulator.messaging.wire import Header, SealedHeader, decode_content, parse
from simulator.population import NO_CHANNEL, NO_GROUP


# --------------------------------------------------------------------------- the tap
@dataclass(frozen=True)
class ReadLine:
    """A logged message and what the operator made of it."""

    line: LogLine
    content: str | None  # the text, when the operator could read it
    by_timing: int | None = None  # the hidden sender, when the operator linked her by timing


@dataclass(frozen=True)
class TimingLink:
    """A hidden sender the operator linked to her sealed messages on a channel by their timing."""

    person: int
    channel: int
    day: int  # the day of the message that linked her
    message: int  # that message's id
    messages: int  # how many of her sealed messages on the channel the log held by then, with it


@dataclass
class TapReport:
    """What the operator holds after the run."""

    days: int
    person: int | None
    names: list[str] = field(repr=False)
    lines: list[ReadLine]  # in time order (only those naming the person, if one was given)
    seen: int
    readable: int
    sealed: int  # lines whose sender the header does not show
    pairs: set[tuple[int, int]]  # pairs of people the log links (both ends shown)
    unlogged: int  # messages on channels whose operator does not log (or with no operator)
    per_channel: dict[int, tuple[int, int]]  # channel -> (seen, readable)
    timing: list[TimingLink] = field(default_factory=list)  # hidden senders linked by timing

    @property
    def linked(self) -> set[int]:
        """People the log links to someone."""
        return {p for pair in self.pairs for p in pair}


def operator_text(network: Network, line: LogLine) -> str | None:
    """The text of a logged message if the operator's own keys open it."""
    content = network.operator_read(line)
    decoded = decode_content(content) if content is not None else None
    return decoded[0] if decoded is not None else None


def timing_links(run: MessagingRun) -> tuple[list[TimingLink], dict[int, int]]:
    """The hidden senders the operator links by timing, and the log lines it attributes to them.

    The operator observes every sealed message in its log; each one links its sender with the
    channel's `timing_link` chance (the engine's own draw, `run.timed`). From the message that
    links her on, her sealed lines on that channel name her: (links in time order, line -> sender).
    Messages are taken in the order the daily simulation takes them: by day, then activity by
    activity (it has no time of day), so a link and the messages it names agree with the engine.
    """
    links: dict[tuple[int, int], TimingLink] = {}
    seen: dict[tuple[int, int], int] = {}
    attributed: dict[int, int] = {}
    log = run.network.log
    for m in run.messages:
        if not m.log_lines or log[m.log_lines[0]].sender is not None:
            continue
        key = (m.channel, m.sender)
        seen[key] = seen.get(key, 0) + 1
        if key not in links and m.message in run.timed:
            links[key] = TimingLink(m.sender, m.channel, m.day, m.message, seen[key])
        if key in links:
            attributed.update((line, m.sender) for line in m.log_lines)
    return sorted(links.values(), key=lambda k: k.message), attributed


def links_by_timing(run: MessagingRun) -> set[int]:
    """The links (their ids) of the sealed log lines the operator attributes to a sender by timing.

    A line of a sealed message whose sender the operator had linked by timing when she sent it
    (`timing_links`: from the message that linked her on, never before) shows both its ends, as an
    unsealed line does; the simulation knows the link each line crossed.
    """
    _links, attributed = timing_links(run)
    if not attributed:
        return set()
    crossed = {line: position for m in run.messages for line, position in zip(m.log_lines, m.links)}
    return {run.link_id(crossed[line]) for line in attributed}


def tap(run: MessagingRun, person: int | None = None) -> TapReport:
    """The operator's view: every logged message, an attempt to read each, the links they show."""
    log = run.network.log
    names = run.names
    read: list[ReadLine] = []
    pairs: set[tuple[int, int]] = set()
    per_channel: dict[int, tuple[int, int]] = {}
    sealed = 0
    linked_by_timing, attributed = timing_links(run)
    for index, line in enumerate(log):
        by_timing = attributed.get(index)
        if person is not None and person not in (line.sender, line.recipient, by_timing):
            continue
        text = operator_text(run.network, line)
        read.append(ReadLine(line, text, by_timing))
        seen_c, readable_c = per_channel.get(line.channel, (0, 0))
        per_channel[line.channel] = (seen_c + 1, readable_c + (text is not None))
        sender = line.sender if line.sender is not None else by_timing
        if line.sender is None:
            sealed += 1
        if sender is not None:
            pairs.add((min(sender, line.recipient), max(sender, line.recipient)))
    read.sort(key=lambda r: (r.line.day, r.line.second))
    shown = {(r.line.channel, r.by_timing) for r in read if r.by_timing is not None}
    unlogged = sum(
        1
        for m in run.messages
        if not m.log_lines and (person is None or person == m.sender or person in m.recipients)
    )
    return TapReport(
        run.days,
        person,
        names,
        read,
        len(read),
        sum(r.content is not None for r in read),
        sealed,
        pairs,
        unlogged,
        per_channel,
        [
            k
            for k in linked_by_timing
            if person is None or k.person == person or (k.channel, k.person) in shown
        ],
    )


# ------------------------------------------------------------------------ the seizure
@dataclass
class PhoneContents:
    """What the adversary read from a phone's store."""

    records: list[dict[str, object]]
    unreadable: int  # records that did not open

    def of(self, kind: str) -> list[dict[str, object]]:
        """Records of one type."""
        return [r for r in self.records if r.get("type") == kind]


def open_image(image: PhoneImage, storage_key: bytes | None) -> PhoneContents:
    """Try to open every record of a phone's copy; without the key (phone locked) nothing opens."""
    records: list[dict[str, object]] = []
    failed = 0
    for nonce, sealed in image.records:
        data = (
            decrypt(storage_key, sealed, b"exposure/storage", nonce)
            if storage_key is not None
            else None
        )
        if data is None:
            failed += 1
            continue
        records.append(json.loads(data))
    return PhoneContents(records, failed)


@dataclass(frozen=True)
class ExposedPerson:
    """Someone an arrest exposes, how, and the chance the engine gives the reveal."""

    person: int
    via_device: bool
    via_metadata: bool
    chance: float
    via_interrogation: bool = False  # she can be named under interrogation
    # The log links her only through sealed messages whose sender timing had named.
    via_timing: bool = False


@dataclass(frozen=True)
class NamedInMessage:
    """A conversation kept on the seized phone whose messages name a third party."""

    link: int  # the conversation's link position, seen from the phone's owner
    partner: int  # the other end of that link
    group: int | None  # the group chat the link belongs to, if any
    message: dict[str, object]  # the latest message of the conversation recovered from the phone
    person: int  # whom it names
    chance: float  # the chance that the conversation names someone: 1 − (1 − q)^kept
    kept: int = 1  # its messages recovered from the phone


@dataclass
class SeizeReport:
    """What seizing one phone at the end of a day gives the adversary."""

    person: int
    day: int
    unlocked: bool
    names: list[str] = field(repr=False)
    roles: list[int] = field(repr=False)  # each person's index into Scenario.role_names
    total: int  # messages the person sent or received
    on_device: int  # of them, still on the phone
    recovered: int  # decrypted from the phone's store
    tapped: int  # logged by the operator
    tapped_decrypted: int  # logged, and now decrypted with keys from the phone
    read_by_operator: int  # logged and readable without the phone (plaintext or transport)
    unreadable: int  # none of the above: out of the adversary's reach
    records: int  # records in the phone's store
    exposed: list[ExposedPerson]
    recovered_examples: list[dict[str, object]] = field(default_factory=list)
    tapped_examples: list[tuple[LogLine, str]] = field(default_factory=list)  # (line, outcome)
    kept_conversations: int = 0  # conversations with a message recovered, that could name someone
    named: list[NamedInMessage] = field(default_factory=list)  # those that name someone

    @property
    def via_device(self) -> int:
        """People found on the phone."""
        return sum(e.via_device for e in self.exposed)

    @property
    def via_metadata(self) -> int:
        """People linked by the operator's log."""
        return sum(e.via_metadata for e in self.exposed)

    @property
    def via_interrogation(self) -> int:
        """People the person can be made to name in custody."""
        return sum(e.via_interrogation for e in self.exposed)

    @property
    def via_timing(self) -> int:
        """People the log links only because timing named the sender of a sealed message."""
        return sum(e.via_timing for e in self.exposed)


@dataclass
class PhoneKeys:
    """Key material a seizure found on the phone."""

    identity: dict[int, bytes]  # channel -> identity private key
    sealing: dict[tuple[int, int], bytes]  # (channel, id) -> one-time sealing private key
    chains: dict[tuple[int, int, bool], Chain]  # (link id, epoch, sending?) -> chain
    shared: dict[tuple[int, int], bytes] = field(
        default_factory=dict
    )  # (channel, partner) -> identity agreement

    def identity_secret(self, network: Network, channel: int, partner: int) -> bytes | None:
        """What the phone's identity key and a partner's published key agree on (None if no key)."""
        identity = self.identity.get(channel)
        if identity is None:
            return None
        secret = self.shared.get((channel, partner))
        if secret is None:
            secret = self.shared[(channel, partner)] = agree(
                private_from(identity), network.account(channel, partner).public
            )
        return secret


def phone_keys(contents: PhoneContents) -> PhoneKeys:
    """The key material among a phone's records."""
    keys = PhoneKeys({}, {}, {})
    for r in contents.of("account"):
        channel = _int(r["channel"])
        keys.identity[channel] = bytes.fromhex(str(r["identity"]))
        sealing = r["sealing"]
        for k, v in sealing.items() if isinstance(sealing, dict) else ():
            keys.sealing[(channel, int(k))] = bytes.fromhex(str(v))
    for r in contents.of("session"):
        for direction, sending in (("send", True), ("receive", False)):
            key, index, ratchet = _triple(r[direction])
            keys.chains[(_int(r["session"]), _int(r["epoch"]), sending)] = Chain(
                bytes.fromhex(key), index, ratchet
            )
    return keys


def attempt(network: Network, line: LogLine, person: int, keys: PhoneKeys) -> str | None:
    """Try every key from the phone on one logged message; the text if one authenticates."""
    parsed = parse(line.wire)
    if parsed is None:
        return None
    header, raw, body = parsed
    if isinstance(header, SealedHeader):
        # The one-time key it was sealed to (deleted once opened), else the identity key: try both.
        candidates = [
            keys.sealing.get((header.channel, header.sealing_id)),
            keys.identity.get(header.channel),
        ]
        inner = None
        for private in candidates:
            if private is None:
                continue
            inner = decrypt(
                sealing_key(agree(private_from(private), header.ephemeral), raw), body, raw
            )
            if inner is not None:
                break
        parsed = parse(inner) if inner is not None else None
        if parsed is None or isinstance(parsed[0], SealedHeader):
            return None
        header, raw, body = parsed
    assert isinstance(header, Header)
    tries: list[bytes | None] = []
    partner = header.recipient if header.sender == person else header.sender
    # The identity key and the partner's public key (the directory publishes it) give the static
    # root.
    shared = keys.identity_secret(network, header.channel, partner)
    if shared is not None:
        root = static_root(shared, header.session, header.epoch)
        tries.append(Chain(chain_start(root, header.sender, header.recipient)).peek(header.counter))
    chain = keys.chains.get((header.session, header.epoch, header.sender == person))
    if chain is not None:
        # A ratchet gives keys only from where it stands: for an older message, try the oldest it
        # can still give.
        tries.append(chain.peek(max(header.counter, chain.index)))
    for key in tries:
        content = decrypt(key, body, raw) if key is not None else None
        decoded = decode_content(content) if content is not None else None
        if decoded is not None:
            return decoded[0]
    return None


def seize(run: MessagingRun, person: int, unlocked: bool = True) -> SeizeReport:
    """Seize a person's phone at the end of the run's last day and see what it gives up."""
    network, pop = run.network, run.population
    device = network.devices.get(person)
    image = device.image() if device is not None else PhoneImage(person, ())
    contents = open_image(image, device.storage_key if (device is not None and unlocked) else None)
    keys = phone_keys(contents)
    mine = [m for m in run.messages if m.sender == person or person in m.recipients]
    on_device = sum(1 for m in mine if device is not None and m.message in device.messages)
    recovered_records = contents.of("message")
    recovered = {_int(r["message"]) for r in recovered_records}
    line_message = {line: m.message for m in run.messages for line in m.log_lines}
    decrypted: set[int] = set()
    read: set[int] = set()
    tried: dict[int, tuple[LogLine, str]] = {}  # message -> one of its lines and what came of it
    for index, line in enumerate(network.log):
        if person not in (line.sender, line.recipient):
            continue
        if operator_text(network, line) is not None:
            read.add(line_message[index])
            outcome = "read"
        elif attempt(network, line, person, keys) is not None:
            decrypted.add(line_message[index])
            outcome = "decrypted"
        else:
            outcome = "unreadable"
        tried[line_message[index]] = (line, outcome)
    examples = sorted(tried.values(), key=lambda pair: (pair[0].day, pair[0].second))[-3:]
    tapped = {m.message for m in mine if m.log_lines}
    reached = recovered | decrypted | read
    report = SeizeReport(
        person=person,
        day=run.days,
        unlocked=unlocked,
        names=run.names,
        roles=pop.role.tolist(),
        total=len(mine),
        on_device=on_device,
        recovered=len(recovered),
        tapped=len(tapped),
        tapped_decrypted=len(decrypted),
        read_by_operator=len(read),
        unreadable=sum(1 for m in mine if m.message not in reached),
        records=len(image.records),
        exposed=_exposed(run, person, unlocked, contents),
        recovered_examples=sorted(
            recovered_records, key=lambda r: (_int(r["day"]), _int(r["second"]))
        )[-3:],
        tapped_examples=examples,
    )
    report.kept_conversations, report.named = _named_in_messages(run, person, unlocked, contents)
    return report


def _exposed(
    run: MessagingRun, person: int, unlocked: bool, contents: PhoneContents
) -> list[ExposedPerson]:
    """The person's links the phone and the log give up, with the engine's chance of each reveal."""
    pop = run.population
    positions = np.arange(pop.indptr[person], pop.indptr[person + 1])
    positions = positions[pop.edge_channel[positions] != NO_CHANNEL]
    if positions.size == 0:
        return []
    link_ids = np.array([run.link_id(int(p)) for p in positions], dtype=np.int64)
    partners = pop.indices[positions].astype(np.int64)
    # On the phone: contact entries, group member lists, conversations' keys and stored messages.
    on_phone: set[int] = set()
    on_phone.update(_int(r["session"]) for r in contents.of("contact"))
    on_phone.update(_int(r["session"]) for r in contents.of("session"))
    on_phone.update(_int(r["session"]) for r in contents.of("message") if r["session"] is not None)
    in_groups = {(_int(r["group"]), m) for r in contents.of("group") for m in _ints(r["members"])}
    held = np.array(
        [
            lid in on_phone or (int(g), int(q)) in in_groups
            for lid, g, q in zip(link_ids, pop.edge_group[positions], partners)
        ],
        dtype=bool,
    )
    # In the log: a message on the link whose header shows both ends.
    logged_ids = {
        line.session
        for line in run.network.log
        if line.sender is not None and person in (line.sender, line.recipient)
    }
    logged = np.isin(
        link_ids, np.array(sorted(i for i in logged_ids if i is not None), dtype=np.int64)
    )
    rules = channel_rules(run.scenario)
    channel = pop.edge_channel[positions].astype(np.int64)
    # Under sealed sender: a line whose sender the operator had linked by timing shows both ends.
    timed = np.isin(link_ids, np.array(sorted(links_by_timing(run)), dtype=np.int64))
    timed &= ~rules.metadata_links[channel]
    unlocked_arr = np.full(positions.size, unlocked)
    device, meta, asked = reveal_parts(rules, channel, unlocked_arr, held, logged, timed)
    timed &= meta > 0
    chance = 1.0 - (1.0 - device) * (1.0 - meta) * (1.0 - asked)
    out = []
    for q in np.unique(partners).tolist():
        at = partners == q
        p = 1.0 - float(np.prod(1.0 - chance[at]))
        if p > 0.0:
            out.append(
                ExposedPerson(
                    int(q),
                    bool((device[at] > 0).any()),
                    bool((meta[at] > 0).any()),
                    p,
                    bool((asked[at] > 0).any()),
                    bool(timed[at].any() and not ((meta[at] > 0) & ~timed[at]).any()),
                )
            )
    return out


def _named_in_messages(
    run: MessagingRun, person: int, unlocked: bool, contents: PhoneContents
) -> tuple[int, list[NamedInMessage]]:
    """The conversations with a message recovered from the phone, and those that name someone.

    A direct conversation holds the recovered messages of its session; a group link to a member the
    recovered posts of the group by the owner or by that member (the messages that crossed that
    link, as the engine counts them). Whether a conversation names someone, and whom, is drawn from
    the run's numbers for the day of the seizure, with the engine's own rule.
    """
    pop = run.population
    rules = channel_rules(run.scenario)
    positions = np.arange(pop.indptr[person], pop.indptr[person + 1])
    positions = positions[pop.edge_channel[positions] != NO_CHANNEL]
    if positions.size == 0 or run.streams is None:
        return 0, []
    kept_records: dict[tuple[str, int, int], list[dict[str, object]]] = {}
    for r in contents.of("message"):
        if r["group"] is not None:
            key = ("group", _int(r["group"]), _int(r["sender"]))
        elif r["session"] is not None:
            key = ("session", _int(r["session"]), 0)
        else:
            continue
        kept_records.setdefault(key, []).append(r)
    found: list[list[dict[str, object]]] = []
    for position in positions.tolist():
        group = int(pop.edge_group[position])
        if group == NO_GROUP:
            found.append(kept_records.get(("session", run.link_id(position), 0), []))
            continue
        partner = int(pop.indices[position])
        found.append(
            kept_records.get(("group", group, person), [])
            + kept_records.get(("group", group, partner), [])
        )
    kept = np.array([len(m) for m in found], dtype=np.int64)
    channel = pop.edge_channel[positions].astype(np.int64)
    chance = content_chance(rules, channel, np.full(positions.size, unlocked), kept)
    hit = run.streams.uniform("content", run.days, positions) < chance
    links = positions[hit]
    owner = np.full(links.size, person, dtype=np.int64)
    whom = third_parties(
        pop.indptr, pop.indices, links, owner, run.streams.uniform("content:whom", run.days, links)
    )
    out = []
    for i, (position, q) in enumerate(zip(links.tolist(), whom.tolist())):
        if q < 0:
            continue
        messages = found[int(np.flatnonzero(hit)[i])]
        group = int(pop.edge_group[position])
        out.append(
            NamedInMessage(
                position,
                int(pop.indices[position]),
                None if group == NO_GROUP else group,
                max(messages, key=lambda m: (_int(m["day"]), _int(m["second"]))),
                int(q),
                float(chance[hit][i]),
                len(messages),
            )
        )
    return int((chance > 0).sum()), out


def _ints(value: object) -> Iterable[int]:
    """Whole numbers from a list in a phone record."""
    if not isinstance(value, list):
        raise TypeError(f"a phone record holds {value!r} where a list belongs")
    return [_int(v) for v in value]


def _int(value: object) -> int:
    """A whole number from a phone record."""
    if not isinstance(value, int):
        raise TypeError(f"a phone record holds {value!r} where a number belongs")
    return value


def _triple(value: object) -> tuple[str, int, bool]:
    """A chain as a phone record keeps it: (key hex, index, ratchet)."""
    if not isinstance(value, list) or len(value) != 3:
        raise TypeError(f"a phone record holds {value!r} where a chain belongs")
    key, index, ratchet = value
    return str(key), _int(index), bool(ratchet)
