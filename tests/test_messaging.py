"""The messaging layer: round trips, what an adversary can and cannot decrypt (property tests)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.messaging.adversary import attempt, open_image, phone_keys
from simulator.messaging.crypto import KeyMaker, decrypt, encrypt, hkdf
from simulator.messaging.network import Network
from simulator.messaging.session import Chain
from simulator.messaging.simulation import simulate_messaging
from simulator.messaging.wire import SealedHeader, decode_content, encode_content, parse
from simulator.scenario.model import Scenario

KINDS = ["plaintext", "transport", "end_to_end", "end_to_end_sealed", "mesh"]
ENCRYPTED = ["transport", "end_to_end", "end_to_end_sealed", "mesh"]
FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Words that random ciphertext is vanishingly unlikely to contain.
texts = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ,.", min_size=8, max_size=80)


def _scenario(kind: str, forward_secrecy: bool = False, **channel: Any) -> Scenario:
    logs = kind != "mesh"
    return Scenario.model_validate(
        {
            "name": "pair",
            "title": "Two people",
            "summary": "s",
            "days": 30,
            "population": {
                "units": 1,
                "households_per_unit": 2,
                "household_size": 1,
                "roles": {"a": 1, "b": 1},
            },
            "contacts": {"ties": [{"from": "a", "to": "b", "channel": "chat"}]},
            "channels": {
                "chat": {
                    "kind": kind,
                    "forward_secrecy": forward_secrecy,
                    "operator_logs": logs if logs else None,
                    **channel,
                }
            },
            "activities": {"write": {"who": "a", "with": "b", "channel": "chat", "per_day": 1}},
        }
    )


def _network(kind: str, forward_secrecy: bool = False, seed: int = 0) -> Network:
    return Network(_scenario(kind, forward_secrecy), KeyMaker(np.random.default_rng(seed)))


def _exchange(net: Network, schedule: list[tuple[bool, int, str]]) -> list[bytes]:
    """Send (from a?, day, text) between persons 0 and 1 on link 0; every message must arrive."""
    wires = []
    for from_a, day, text in schedule:
        sender, recipient = (0, 1) if from_a else (1, 0)
        wire, down = net.send(0, sender, recipient, 0, False, day, 0, encode_content(text, None))
        got = net.deliver(down, recipient, False)
        assert got.ok and got.text == text and got.sender == sender
        wires.append(wire)
    return wires


def test_primitives_round_trip_and_fail_on_a_wrong_key():
    key = hkdf(b"secret", b"info")
    sealed = encrypt(key, b"hello", b"header")
    assert decrypt(key, sealed, b"header") == b"hello"
    assert decrypt(hkdf(b"other", b"info"), sealed, b"header") is None
    assert decrypt(key, sealed, b"other header") is None
    chain = Chain(key, 0, ratchet=True)
    first = chain.peek(0)
    assert chain.take(0) == first and chain.index == 1
    assert chain.take(0) is None, "a ratchet cannot go back"
    assert encode_content("x", 3) != encode_content("x", None)
    assert decode_content(encode_content("héllo", 7)) == ("héllo", 7)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("forward_secrecy", [False, True])
def test_round_trip_both_ways_on_every_kind(kind, forward_secrecy):
    net = _network(kind, forward_secrecy)
    schedule = [
        (True, 1, "first"),
        (True, 1, "second"),
        (False, 2, "reply"),
        (True, 3, "third"),
        (False, 3, "again"),
    ]
    wires = _exchange(net, schedule)
    assert len(net.log) == (0 if kind == "mesh" else len(schedule))
    if kind == "plaintext":
        assert all(text.encode() in wire for (_, _, text), wire in zip(schedule, wires))


@FAST
@given(
    text=texts,
    kind=st.sampled_from(["end_to_end", "end_to_end_sealed"]),
    ratchet=st.booleans(),
    before=st.integers(0, 3),
)
def test_the_operator_without_keys_never_reads_end_to_end(text, kind, ratchet, before):
    net = _network(kind, ratchet)
    _exchange(net, [(i % 2 == 0, 1, f"earlier message {i}") for i in range(before)])
    _exchange(net, [(True, 2, text)])
    line = net.log[-1]
    assert net.operator_read(line) is None
    assert text.encode() not in line.wire


@pytest.mark.parametrize("kind", ["plaintext", "transport"])
def test_the_operator_reads_plaintext_and_transport(kind):
    net = _network(kind)
    _exchange(net, [(True, 1, "meeting at noon")])
    assert decode_content(net.operator_read(net.log[0]) or b"") == ("meeting at noon", None)


@FAST
@given(
    schedule=st.lists(st.tuples(st.booleans(), st.integers(1, 20)), min_size=1, max_size=12),
    ratchet=st.booleans(),
    seized=st.sampled_from([0, 1]),
)
def test_seized_keys_open_earlier_taps_only_without_the_ratchet(schedule, ratchet, seized):
    net = _network("end_to_end", ratchet)
    ordered = sorted(schedule, key=lambda item: item[1])
    _exchange(
        net, [(from_a, day, f"message number {i}") for i, (from_a, day) in enumerate(ordered)]
    )
    device = net.devices[seized]
    keys = phone_keys(open_image(device.image(), device.storage_key))
    assert keys.identity, "an unlocked phone gives up its identity key"
    opened = [attempt(net, line, seized, keys) for line in net.log]
    if ratchet:
        assert opened == [None] * len(net.log)
    else:
        assert opened == [f"message number {i}" for i in range(len(net.log))]


def test_a_locked_phone_opens_nothing():
    net = _network("end_to_end")
    _exchange(net, [(True, 1, "hello there"), (False, 1, "hello back")])
    contents = open_image(net.devices[0].image(), None)
    assert contents.records == [] and contents.unreadable > 0
    assert all(attempt(net, line, 0, phone_keys(contents)) is None for line in net.log)


@FAST
@given(
    retention=st.integers(0, 6),
    days=st.integers(1, 25),
    seed=st.integers(0, 2**32),
    contacts=st.booleans(),
    ratchet=st.booleans(),
)
def test_nothing_older_than_the_retention_is_on_a_phone(retention, days, seed, contacts, ratchet):
    scenario = _scenario("end_to_end", ratchet, retention_days=retention, stores_contacts=contacts)
    scenario = scenario.model_copy(update={"days": days})
    run = simulate_messaging(scenario, seed)
    assert run.messages, "one message a day"
    for device in run.network.devices.values():
        contents = open_image(device.image(), device.storage_key)
        kept = [r for r in contents.records if r["type"] == "message"]
        assert all(r["day"] > days - retention for r in kept)
        sent_recently = any(m.day > days - retention for m in run.messages)
        sessions = [r for r in contents.records if r["type"] == "session"]
        if not contacts and not sent_recently:
            assert sessions == [], "with its last message, a conversation's keys go too"


@FAST
@given(text=texts, sender=st.integers(0, 1), ratchet=st.booleans())
def test_a_sealed_sender_log_line_carries_no_sender(text, sender, ratchet):
    net = _network("end_to_end_sealed", ratchet)
    _exchange(net, [(sender == 0, 1, text)])
    line = net.log[-1]
    assert line.sender is None and line.session is None and line.recipient == 1 - sender
    parsed = parse(line.wire)
    assert parsed is not None and isinstance(parsed[0], SealedHeader)
    header, raw, _body = parsed
    assert header.encode() == raw and header.recipient == 1 - sender, (
        "the outer header is recipient, key id, key"
    )
    assert not hasattr(header, "sender")
    assert net.account(0, sender).public not in line.wire


@FAST
@given(data=st.data(), kind=st.sampled_from(ENCRYPTED), ratchet=st.booleans(), first=st.booleans())
def test_a_flipped_bit_is_reported_as_tampered(data, kind, ratchet, first):
    net = _network(kind, ratchet)
    if not first:
        _exchange(net, [(True, 1, "warm up the session")])
    _wire, down = net.send(0, 0, 1, 0, False, 2, 0, encode_content("the real message", None))
    bit = data.draw(st.integers(0, len(down) * 8 - 1))
    flipped = bytearray(down)
    flipped[bit // 8] ^= 1 << (bit % 8)
    assert not net.deliver(bytes(flipped), 1, False).ok
    got = net.deliver(down, 1, False)
    assert got.ok and got.text == "the real message", "a tampered copy must not spoil the real one"


def test_garbage_is_tampered_not_a_crash():
    net = _network("end_to_end_sealed", True)
    for junk in (b"", b"\x00", b"\x00\xffEX", bytes(200)):
        assert not net.deliver(junk, 1, False).ok


def test_a_forged_counter_is_refused_before_the_ratchet_walks_to_it():
    """A header claiming message 4 billion must not make the phone derive 4 billion keys."""
    import time

    from simulator.messaging.session import MAX_SKIP

    chain = Chain(b"k" * 32, 0, True)
    assert chain.peek(MAX_SKIP) is not None
    assert chain.peek(MAX_SKIP + 1) is None

    net = _network("end_to_end", True)
    _exchange(net, [(True, 1, "warm up the session")])
    _wire, down = net.send(0, 0, 1, 0, False, 2, 0, encode_content("the real message", None))
    parsed = parse(down)
    assert parsed is not None
    raw = parsed[1]
    at = down.index(raw) + 21  # the counter, after magic, version, kind, channel and four ids
    forged = down[:at] + (2**32 - 1).to_bytes(4, "big") + down[at + 4 :]
    started = time.perf_counter()
    assert not net.deliver(forged, 1, False).ok
    assert time.perf_counter() - started < 0.5
    got = net.deliver(down, 1, False)
    assert got.ok and got.text == "the real message"
