"""`exposure tap` and `exposure seize`: command line, bad input, one channel rule for two layers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from simulator import activities
from simulator.channels import channel_rules
from simulator.cli import cli
from simulator.engine import Engine
from simulator.messaging import seize_scenario
from simulator.messaging.adversary import links_by_timing, seize
from simulator.messaging.simulation import (
    MessagingRun,
    message_channels,
    person_names,
    simulate_messaging,
)
from simulator.scenario import bundled_names, load
from simulator.scenario.model import Observer, Scenario
from simulator.streams import Streams

SEED = 5
SHORT = 12  # days: enough messages on every link kind, quick to encrypt


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _seize_json(*args: str) -> dict:
    result = invoke("seize", "group-chat", "--person", "organiser", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_seize_shows_recovered_against_unreadable_and_the_members():
    result = invoke("seize", "group-chat", "--person", "organiser")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "recovered: decrypted from the phone" in out and "unreadable to the adversary" in out
    assert "member 15" in out and "People the seizure exposes: 15" in out


def test_disappearing_messages_shrink_the_phone_not_the_log():
    base = _seize_json("--day", "45")
    gone = _seize_json("--day", "45", "--countermeasure", "disappearing_messages")
    assert set(base) >= {"person", "day", "unlocked", "messages", "links"}
    assert set(base["messages"]) >= {
        "total",
        "on_device",
        "recovered",
        "tapped",
        "tapped_decrypted",
    }
    assert set(base["links"]) >= {"exposed", "via_device", "via_metadata"}
    assert base["person"] == "organiser" and base["day"] == 45 and base["unlocked"] is True
    assert gone["messages"]["total"] == base["messages"]["total"]
    assert gone["messages"]["recovered"] < base["messages"]["recovered"]
    assert gone["messages"]["unreadable"] > base["messages"]["unreadable"]

    def by_log(doc: dict) -> set[str]:
        return {e["person"] for e in doc["links"]["exposed"] if "metadata" in e["via"]}

    assert by_log(gone) == by_log(base) and len(by_log(base)) == 15
    # Forward secrecy: the phone's keys open none of the messages logged before the seizure.
    assert base["messages"]["tapped_decrypted"] == gone["messages"]["tapped_decrypted"] == 0


def test_a_locked_phone_gives_up_only_what_the_log_holds():
    doc = _seize_json("--locked", "--day", "20")
    assert doc["unlocked"] is False and doc["day"] == 20
    assert doc["messages"]["recovered"] == 0 and doc["messages"]["on_device"] > 0
    assert doc["links"]["via_device"] == 0 and doc["links"]["via_metadata"] == 15


def test_sealed_sender_hides_links_from_the_log_until_timing_names_the_sender():
    untimed = load(
        "group-chat",
        countermeasures=["sealed_sender"],
        overrides=["channels.messenger.timing_link=0"],
    ).scenario
    report = seize_scenario(untimed, 1, "organiser", 10)
    assert report.via_metadata == report.via_timing == 0 and report.via_device == 15
    # The operator linked the organiser by timing on her first post (`tap` shows it): every post
    # she sent from then on shows its recipient and her, so the log links all fifteen again.
    doc = _seize_json("--countermeasure", "sealed_sender", "--day", "10")
    assert doc["links"]["via_metadata"] == doc["links"]["via_timing"] == 15
    assert all(e["log_by_timing"] for e in doc["links"]["exposed"])
    table = invoke(
        "seize",
        "group-chat",
        "--person",
        "organiser",
        "--countermeasure",
        "sealed_sender",
        "--day",
        "10",
    )
    assert "yes, by timing" in table.stdout
    assert "only because it linked a sender by timing" in " ".join(table.stdout.split())
    # Without a timed sealed channel the document keeps its former keys.
    assert "via_timing" not in _seize_json("--day", "10")["links"]


def test_without_forward_secrecy_the_phone_opens_old_taps(scenario_file):
    loaded = load("group-chat", overrides=["channels.messenger.forward_secrecy=false"], days=10)
    report = seize_scenario(loaded.scenario, SEED, "member:2")
    assert report.tapped > 0 and report.tapped_decrypted == report.tapped


def test_tap_shows_ciphertext_and_links():
    result = invoke("tap", "group-chat", "--days", "5", "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["messages"]["seen"] > 0 and doc["messages"]["readable"] == 0
    assert doc["links"]["people"] == 16
    first = doc["log"][0]
    assert first["content"] is None and len(first["wire"]) == 2 * first["bytes"]
    table = invoke("tap", "border-phone", "--person", "source:1")
    assert table.exit_code == 0 and "Readable by the operator" in table.stdout
    assert "read every message it logged" in table.stdout


def test_same_seed_same_bytes():
    args = ["tap", "group-chat", "--days", "3", "--format", "json", "--seed", "9"]
    assert invoke(*args).stdout == invoke(*args).stdout
    assert invoke(*args).stdout != invoke(*args[:-1], "10").stdout


@pytest.mark.parametrize(
    "args,expected",
    [
        (
            ["seize", "group-chat", "--person", "organizer"],
            "no role named `organizer` (did you mean `organiser`?)",
        ),
        (
            ["seize", "group-chat", "--person", "member:16"],
            "there are 15 people with the role `member`",
        ),
        (["seize", "group-chat", "--person", "member:two"], "give a number from 1 to 15"),
        (
            ["seize", "group-chat", "--person", "organiser", "--day", "91"],
            "--day 91: outside the scenario's 90 days",
        ),
        (["seize", "group-chat", "--person", "organiser", "--day", "0"], "--day 0: outside"),
        (["seize", "group-chat"], "--person"),
        (
            ["seize", "group-chat", "--person", "organiser", "--countermeasure", "disappearing"],
            "no such countermeasure",
        ),
        (["tap", "group-chat", "--countermeasure", "nope"], "no such countermeasure"),
        (["tap", "reference-cascade"], "no activity sends messages between people"),
        (
            ["seize", "overnight-guest", "--person", "trader"],
            "no activity sends messages between people",
        ),
        (["tap", "group-chat", "--days", "0"], "--days"),
        (["tap", "group-chat", "--person", "nobody"], "no role named `nobody`"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, expected):
    result = invoke(*args)
    assert result.exit_code == 2, result.stdout
    assert expected in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stdout == ""


def test_a_role_nobody_has_is_refused(scenario_file):
    path = scenario_file(
        {
            "population": {"roles": {"a": 1, "b": 1, "c": 0}},
            "contacts": {"ties": [{"from": "a", "to": "b", "channel": "chat"}]},
            "channels": {"chat": {"kind": "end_to_end"}},
            "activities": {"write": {"who": "a", "with": "b", "channel": "chat", "per_day": 1}},
        }
    )
    result = invoke("seize", str(path), "--person", "c")
    assert result.exit_code == 2
    assert result.stderr == "--person: the role `c` has no people in this scenario\n"


# ---------------------------------------------- one channel definition, two layers (requirement 6)
KINDS = ("sms", "webmail", "signal", "sealed", "briar", "talk")
ALL_KINDS = {
    "name": "every-kind",
    "title": "Every kind of channel",
    "summary": "Friends on each kind of channel.",
    "days": SHORT,
    "population": {
        "units": 1,
        "households_per_unit": 40,
        "household_size": 1,
        "roles": {"hub": 1, "cell": 4, **{f"on_{c}": 3 for c in KINDS}},
    },
    "contacts": {"ties": [{"from": "hub", "to": f"on_{c}", "channel": c} for c in KINDS]},
    "channels": {
        "sms": {
            "kind": "plaintext",
            "stores_contacts": False,
            "retention_days": 3,
            "reveal": {"device": 0.6, "metadata": 0.4, "interrogation": 0.3},
            "content": {"names": 0.5},
        },
        "webmail": {
            "kind": "transport",
            "retention_days": 0,
            "reveal": {"device": 0.5, "metadata": 0.2},
        },
        "signal": {
            "kind": "end_to_end",
            "forward_secrecy": True,
            "stores_contacts": False,
            "retention_days": 2,
            "reveal": {"device": 0.9, "metadata": 0.5},
            "content": {"names": 0.7},
        },
        "sealed": {
            "kind": "end_to_end_sealed",
            "forward_secrecy": True,
            "reveal": {"device": 0.8, "metadata": 0.9},
            "content": {"names": 0.4},
        },
        "briar": {"kind": "mesh", "stores_contacts": False, "reveal": {"device": 0.7}},
        "talk": {"kind": "in_person", "reveal": {"interrogation": 0.5}},
    },
    "groups": {
        "circle": {"channel": "signal", "admins": ["hub"], "members": ["cell"], "cell_size": 2}
    },
    "activities": {
        **{
            f"{c}_out": {"who": "hub", "with": f"on_{c}", "channel": c, "per_day": 0.7}
            for c in KINDS
        },
        "reply": {"who": "on_signal", "with": "hub", "channel": "signal", "per_week": 2},
        "post": {"who": "cell", "with": "circle", "per_week": 3},
        "announce": {"who": "hub", "with": "circle", "per_week": 1},
    },
}


def _timing_watch(scenario: Scenario) -> Scenario:
    """The scenario with an operator that observes every message of its sealed channels that can
    be linked by timing, as the messaging layer has it, and so high a threshold that nobody is
    exposed (a seizure is looked at apart). Unchanged without such a channel."""
    timed = [c for c, on in zip(scenario.channels, channel_rules(scenario).timed) if on]
    if not timed:
        return scenario
    operator = Observer.model_validate(
        {"kind": "operator", "channels": timed, "notice": {"metadata": 1.0}}
    )
    return scenario.model_copy(
        update={
            "observers": {**scenario.observers, "timing_watch": operator},
            "adversary": scenario.adversary.model_copy(update={"threshold": 1e6}),
        }
    )


def _attributed(engine: Engine) -> set[int]:
    """The engine's links whose log shows both ends thanks to a timing link, by link id."""
    if engine.attributed is None:
        return set()
    ends = np.flatnonzero(engine.attributed)
    return {int(min(e, engine.pop.reverse[e])) for e in ends.tolist()}


def _shown_by_timing(scenario: Scenario, run: MessagingRun) -> set[int]:
    """The same from the messaging layer, on channels whose log can give a link up."""
    attributable = channel_rules(scenario).attributable_links
    return {i for i in links_by_timing(run) if attributable[int(run.population.edge_channel[i])]}


def _engine_view(
    scenario: Scenario, run: MessagingRun, person: int, unlocked: bool
) -> tuple[dict[int, float], int, set[tuple[int, int]]]:
    """The engine's own view of a seizure on the run's last day, after these messages.

    Its reveal chance for each person linked to the seized one, how many kept conversations could
    name someone, and which of them name whom (link position, person named).
    """
    quiet = _timing_watch(
        scenario.model_copy(update={"observers": {}, "checks": {}, "days": run.days})
    )
    engine = Engine(quiet, 1, Streams(np.random.SeedSequence(SEED)), population=run.population)
    assert (engine.run().exposed_day < 0).all(), "nobody may be exposed: the layers would part"
    if engine.last_message is not None:
        assert (engine.last_message == run.last_message).all(), (
            "the two layers sent different messages"
        )
    # The same sealed links show both ends in the log: those a message crossed whose sender timing
    # had linked by then (the simulation knows who sent each line; the engine, who acted).
    assert _attributed(engine) == _shown_by_timing(scenario, run)
    links = engine.link_reveals(np.array([person]), run.days, np.array([unlocked]))
    edges, _owner, p = engine.reveal_chances(np.array([person]), run.days, np.array([unlocked]))
    assert (edges == links.edges).all() and np.allclose(p, links.chance)
    partners = run.population.indices[edges]
    chances = {int(q): 1.0 - float(np.prod(1.0 - p[partners == q])) for q in np.unique(partners)}
    kept = int((links.unlocked & (links.kept > 0) & (engine.rules.names[links.channel] > 0)).sum())
    named_links, _named_owner, named = engine.content_named(links, run.days)
    pairs = {(int(e), int(q)) for e, q in zip(named_links, named) if q >= 0}
    return {q: c for q, c in chances.items() if c > 0}, kept, pairs


def _assert_agree(
    scenario: Scenario, people: list[int] | None = None, days: int | None = None
) -> int:
    """Seize each person's phone, unlocked and locked: the engine must see the same reveals."""
    run = simulate_messaging(scenario, SEED, days)
    if people is None:
        people = [
            int(np.flatnonzero(run.population.role == scenario.role_names.index(r))[0])
            for r in scenario.population.roles
            if scenario.population.roles[r].count
        ]
    checked = 0
    for person in people:
        for unlocked in (True, False):
            report = seize(run, person, unlocked)
            found = {e.person: e.chance for e in report.exposed}
            expected, kept, named = _engine_view(scenario, run, person, unlocked)
            names = person_names(scenario, run.population)
            assert found.keys() == expected.keys(), (
                f"{scenario.name} {names[person]} unlocked={unlocked}: seize exposes "
                f"{sorted(names[q] for q in found)}, the engine "
                f"{sorted(names[q] for q in expected)}"
            )
            for q, chance in found.items():
                assert chance == pytest.approx(expected[q], abs=1e-12)
            # What kept messages say: the same conversations, naming the same people.
            assert report.kept_conversations == kept, (scenario.name, names[person], unlocked)
            assert {(n.link, n.person) for n in report.named} == named
            checked += len(found) + len(named)
    return checked


def test_every_channel_kind_reveals_in_both_layers_alike():
    scenario = Scenario.model_validate(ALL_KINDS)
    run = simulate_messaging(scenario, SEED)
    hub = int(np.flatnonzero(run.population.role == 0)[0])
    cells = np.flatnonzero(run.population.role == scenario.role_names.index("cell")).tolist()
    assert _assert_agree(scenario, [hub, *cells]) > 0
    # The seizure saw every kind: phone-only links, log-only links, links kept and links forgotten,
    # people named only under interrogation, and kept messages that name someone.
    report = seize(run, hub, True)
    assert any(e.via_device and not e.via_metadata for e in report.exposed)
    assert any(e.via_metadata and not e.via_device for e in report.exposed)
    assert any(e.via_interrogation and not (e.via_device or e.via_metadata) for e in report.exposed)
    assert report.named and report.kept_conversations > len(report.named)
    locked = seize(run, hub, False)
    assert locked.named == [] and locked.kept_conversations == 0
    assert locked.via_interrogation == report.via_interrogation > 0


def test_both_layers_sample_a_large_town_in_bulk_alike(monkeypatch):
    """Above COUPLED_ACTOR_DAYS the engine draws who acts as a count and a subset; so must tap."""
    scenario = Scenario.model_validate(ALL_KINDS)
    coupled = simulate_messaging(scenario, SEED)
    monkeypatch.setattr(activities, "COUPLED_ACTOR_DAYS", 0)
    bulk = simulate_messaging(scenario, SEED)
    assert [m.links for m in bulk.messages] != [m.links for m in coupled.messages]
    hub = int(np.flatnonzero(bulk.population.role == 0)[0])
    assert _assert_agree(scenario, [hub]) > 0


MESSAGING = [n for n in bundled_names() if message_channels(load(n).scenario)]


def test_the_group_chat_and_the_border_phone_carry_messages():
    assert {"group-chat", "border-phone"} <= set(MESSAGING)


@pytest.mark.parametrize("name", MESSAGING)
def test_bundled_scenarios_and_countermeasures_reveal_alike(name):
    base = load(name)
    revealed = 0
    for countermeasure in [None, *base.scenario.countermeasures]:
        scenario = load(name, countermeasures=[countermeasure] if countermeasure else []).scenario
        if message_channels(scenario):
            revealed += _assert_agree(scenario, days=SHORT)
    assert revealed > 0


# ------------------------------- traffic analysis: one timing link for two layers (sealed sender)
def _engine_timing(scenario: Scenario, run: MessagingRun) -> dict[tuple[str, int], tuple[int, int]]:
    """(channel, sender) -> (link day, messages observed by then), as the engine's records say.

    The operator observes every message (notice 1) and nobody is exposed, so the engine sees the
    very messages the messaging layer logs.
    """
    engine = Engine(
        scenario, 1, Streams(np.random.SeedSequence(SEED)), population=run.population, record=True
    )
    engine.run()
    if engine.last_message is not None:
        assert (engine.last_message == run.last_message).all()
    assert (engine.exposed_day < 0).all(), "nobody may be exposed: the layers would part"
    out = {}
    assert engine.recorder.records is not None
    for r in engine.recorder.records:
        if r.kind == "linked":
            channel = scenario.activity_channel(r.detail)
            assert channel is not None and (channel, r.person) not in out
            out[(channel, r.person)] = (r.day, int(r.amount))
    # The engine's count of observed messages is the messaging layer's count of logged ones.
    for channel, state in engine.timing.items():
        index = list(scenario.channels).index(channel)
        sent: dict[int, int] = {}
        for m in run.messages:
            if m.channel == index and m.log_lines:
                sent[m.sender] = sent.get(m.sender, 0) + 1
        assert {p: int(k) for p, k in enumerate(state.seen.tolist()) if k} == sent
    return out


def _watched(scenario: Scenario, channel: str) -> Scenario:
    """The scenario with an operator that observes every message of the channel, and no arrests."""
    operator = Observer.model_validate(
        {"kind": "operator", "channels": [channel], "notice": {"metadata": 1.0}}
    )
    return scenario.model_copy(
        update={
            "observers": {"operator": operator},
            "checks": {},
            "adversary": scenario.adversary.model_copy(update={"threshold": 1e6}),
        }
    )


@pytest.mark.parametrize("name", ["every-kind", "group-chat"])
def test_traffic_analysis_links_the_same_senders_in_both_layers(name):
    from simulator.messaging.adversary import tap, timing_links

    if name == "every-kind":
        base = Scenario.model_validate(
            {
                **ALL_KINDS,
                "channels": {
                    **ALL_KINDS["channels"],
                    "sealed": {**ALL_KINDS["channels"]["sealed"], "timing_link": 0.2},
                },
            }
        )
        scenario = _watched(base, "sealed")
    else:
        loaded = load("group-chat", countermeasures=["sealed_sender"], days=SHORT)
        scenario = _watched(loaded.scenario, "messenger")
    run = simulate_messaging(scenario, SEED)
    links, attributed = timing_links(run)
    channels = list(scenario.channels)
    found = {(channels[k.channel], k.person): (k.day, k.messages) for k in links}
    assert found, "some hidden sender is linked in a few days"
    assert found == _engine_timing(scenario, run)
    # From the message that linked her, her sealed lines name her; before it, none do.
    report = tap(run)
    assert {p for pair in report.pairs for p in pair} >= {k.person for k in links}
    first = {(k.channel, k.person): k.message for k in links}
    message = {line: m for m in run.messages for line in m.log_lines}
    for index, sender in attributed.items():
        line = run.network.log[index]
        assert line.sender is None and message[index].sender == sender
        assert message[index].message >= first[(line.channel, sender)]
    for k in links:
        assert all(
            message[i].message < k.message
            for i in message
            if i not in attributed
            and message[i].sender == k.person
            and message[i].channel == k.channel
        )
    # At a seizure, the log gives up the links those lines crossed, in both layers alike.
    shown = _shown_by_timing(scenario, run)
    assert shown, "some link is shown by timing"
    pop = run.population
    ends = sorted({int(pop.edge_source()[i]) for i in shown} | {int(pop.indices[i]) for i in shown})
    assert _assert_agree(scenario, ends[:6]) > 0
    assert any(seize(run, p, False).via_timing for p in ends[:6])
    # Who sent matters, and when: a link whose only messages came from an end not yet linked
    # stays hidden, though an end was linked later (test_exact_cases holds the rule to its odds).
    linked = {(k.channel, k.person) for k in links}
    either = {
        run.link_id(position)
        for m in run.messages
        if m.log_lines and run.network.log[m.log_lines[0]].sender is None
        for position, recipient in zip(m.links, m.recipients)
        if (m.channel, m.sender) in linked or (m.channel, recipient) in linked
    }
    assert shown <= either, "a link is shown only if an end was linked"


def test_tap_shows_who_timing_links():
    result = invoke("tap", "group-chat", "--countermeasure", "sealed_sender", "--days", "10")
    assert result.exit_code == 0, result.stderr
    assert "Hidden senders linked by timing" in result.stdout
    assert "linked by timing after 1 message: organiser (day 1" in result.stdout
    doc = json.loads(
        invoke(
            "tap",
            "group-chat",
            "--countermeasure",
            "sealed_sender",
            "--days",
            "10",
            "--format",
            "json",
        ).stdout
    )
    assert doc["messages"]["sealed"] == doc["messages"]["seen"] > 0
    assert doc["links"]["by_timing"][0] == {
        "person": "organiser",
        "channel": "messenger",
        "day": 1,
        "messages": 1,
    }
    assert doc["links"]["people"] > 0
    # Without sealed sender there is nothing to link by timing, and the document is as before.
    assert (
        "by_timing"
        not in json.loads(invoke("tap", "group-chat", "--days", "3", "--format", "json").stdout)[
            "links"
        ]
    )


def test_a_phone_used_for_calls_holds_call_records_not_texts(tmp_path):
    """border-phone's North Korean phone only rings sources: a seizure shows calls, no chat."""
    from click.testing import CliRunner

    from simulator.cli import cli

    out = CliRunner().invoke(cli, ["seize", "border-phone", "--person", "reporting_partner"])
    assert out.exit_code == 0, out.output
    assert '"a call"' in out.output
    assert "leaflets" not in out.output and "printer" not in out.output
    # A channel's declared samples are what its messages say; the default set is used otherwise.
    text = (Path(__file__).parent.parent / "scenarios" / "group-chat.yaml").read_text("utf-8")
    declared = text.replace(
        "    content: {names:", '    content: {samples: ["see you at the usual place"], names:', 1
    )
    assert declared != text
    path = tmp_path / "chat.yaml"
    path.write_text(declared, encoding="utf-8")
    said = CliRunner().invoke(cli, ["seize", str(path), "--person", "organiser", "--day", "20"])
    assert said.exit_code == 0, said.output
    assert '"see you at the usual place"' in said.output and "leaflets" not in said.output
