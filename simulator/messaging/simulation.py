"""One run of a scenario's messaging: who writes to whom, encrypted, delivered, stored and logged.

The population and the choice of who writes to whom are the Monte Carlo engine's own: the same
population build, the same activity plans and the same draws (`simulator.activities`). So the
links a message crosses here are the links the engine marks, day by day (`last_message`), and a
test can hold the two layers to each other. Nobody is arrested during the run: `seize` looks at
a phone at the end of a chosen day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from simulator.activities import (
    NEVER,
    actors_today,
    links_today,
    mark_crossed,
    moved_today,
    plan_activities,
)
from simulator.channels import channel_rules, linked_by_timing
from simulator.errors import UsageError
from simulator.i18n import _
from simulator.messaging.crypto import KeyMaker
from simulator.messaging.device import StoredMessage
from simulator.messaging.network import Network
from simulator.messaging.wire import encode_content
from simulator.population import NO_CHANNEL, NO_GROUP, Population, build
from simulator.scenario.model import Scenario
from simulator.streams import Streams, messaging_seed

# A single run at small scale: refuse a scenario whose messages would take minutes to encrypt.
MAX_MESSAGES = 200_000
DAY_START = 7 * 3600
DAY_LENGTH = 16 * 3600


def message_texts() -> list[str]:
    """The synthetic texts messages carry (no names, nothing real)."""
    return [
        _("meeting moved to the market, 3rd day"),
        _("bring the leaflets on Thursday"),
        _("police at the north gate this morning, go round"),
        _("who can host on Saturday evening?"),
        _("the printer works again"),
        _("new people want to join; someone must vouch for them"),
        _("delete the photos from last week"),
        _("same place as before, one hour later"),
        _("rice went up again at the market"),
        _("my cousin says the road is checked today"),
        _("all fine here, talk tomorrow"),
        _("did the parcel arrive?"),
    ]


def _texts_of(scenario: Scenario, activity: str, channel: int) -> list[str]:
    """What an activity's messages on its channel say: a call record on a channel of calls, the
    channel's declared samples, or the built-in texts."""
    content = list(scenario.channels.values())[channel].content
    if content.calls:
        minutes = scenario.activities[activity].minutes
        if minutes is None:
            return [_("a call")]
        return [_("a call of {m:g} minutes").format(m=minutes)]
    return list(content.samples) or message_texts()


@dataclass(frozen=True)
class Message:
    """One message as only the simulation knows it: every recipient, every envelope."""

    message: int
    day: int
    second: int
    channel: int
    sender: int
    recipients: tuple[int, ...]
    session: int | None  # the conversation of a direct message
    group: int | None  # the group of a post
    text: str
    links: tuple[int, ...]  # the sender's link positions it crossed, one per recipient
    log_lines: tuple[int, ...]  # indices into the operator's log (empty if not logged)


@dataclass
class MessagingRun:
    """What one run of messaging leaves: phones, the operator's log, and the truth behind both."""

    scenario: Scenario
    population: Population
    days: int
    network: Network
    messages: list[Message] = field(default_factory=list)
    last_message: np.ndarray = field(
        default_factory=lambda: np.empty(0, np.int32)
    )  # per link position, as the engine keeps it
    tampered: int = 0
    # Sealed messages whose timing gives the operator a link to their sender (`linked_by_timing`,
    # the engine's own draw): their ids, whether or not the sender was linked before.
    timed: set[int] = field(default_factory=set)
    # The run's random numbers: a seizure draws from them what kept messages say, as the engine.
    streams: Streams | None = None

    @cached_property
    def names(self) -> list[str]:
        """A pseudonym for every person."""
        return person_names(self.scenario, self.population)

    def link_id(self, position: int) -> int:
        """The id both ends use for a link: the lower of its two positions."""
        return int(min(position, self.population.reverse[position]))


def person_names(scenario: Scenario, pop: Population) -> list[str]:
    """A pseudonym for every person: the role's label, numbered when the role has several people."""
    roles = scenario.role_names
    counts = np.bincount(pop.role, minlength=len(roles))
    seen = np.zeros(len(roles), dtype=np.int64)
    names = []
    for r in pop.role.tolist():
        seen[r] += 1
        label = scenario.role_label(roles[r])
        names.append(label if counts[r] == 1 else f"{label} {seen[r]}")
    return names


def message_channels(scenario: Scenario) -> list[str]:
    """Channels on which some activity sends messages between people (face to face carries none)."""
    out = []
    for name, act in scenario.activities.items():
        channel = scenario.activity_channel(name)
        if (
            act.with_ is not None
            and channel is not None
            and scenario.channels[channel].kind != "in_person"
        ):
            out.append(channel)
    return list(dict.fromkeys(out))


def require_messages(scenario: Scenario) -> None:
    """Refuse a scenario in which nobody sends anyone a message."""
    if not message_channels(scenario):
        raise UsageError(
            f"{scenario.name}: no activity sends messages between people, "
            "so there is nothing to tap or seize "
            "(an activity needs `with:` and a `channel:` that is not in_person)"
        )


def simulate_messaging(scenario: Scenario, seed: int, days: int | None = None) -> MessagingRun:
    """Simulate the scenario's messaging for `days` days (default: the scenario's) from one seed."""
    require_messages(scenario)
    horizon = scenario.days if days is None else days
    streams = Streams(messaging_seed(seed))
    pop = build(scenario, 1, streams("population"))
    rules = channel_rules(scenario)
    everything = plan_activities(scenario, pop, rules, pop.edge_source())
    plans = [a for a in everything if a.messages]
    in_person = [scenario.channels[c].kind == "in_person" for c in scenario.channels]
    expected = sum(
        p.daily
        * horizon
        * float(
            np.where(p.to_group, p.partner_count[p.actors], p.partner_count[p.actors] > 0).sum()
        )
        for p in plans
        if p.partner_count is not None and not in_person[p.channel]
    )
    if expected > MAX_MESSAGES:
        raise UsageError(
            f"{scenario.name}: about {expected:,.0f} messages in {horizon} days "
            "is more than tap and seize "
            f"simulate at once ({MAX_MESSAGES:,}); give fewer days"
        )
    keys = KeyMaker(streams("keys"))
    network = Network(scenario, keys)
    run = MessagingRun(
        scenario,
        pop,
        horizon,
        network,
        last_message=np.full(pop.indices.size, NEVER, dtype=np.int32),
        streams=streams,
    )
    _set_up_phones(run)
    chans = list(scenario.channels.values())
    retention = {
        i: c.retention_days
        for i, c in enumerate(chans)
        if c.retention_days is not None and c.on_device
    }
    keeps = {i: c.keeps_contacts for i, c in enumerate(chans)}
    texts = {plan.name: _texts_of(scenario, plan.name, plan.channel) for plan in plans}
    for t in range(1, horizon + 1):
        for plan in plans:
            # Nobody is exposed here, so everyone the engine would pick acts, on the same numbers.
            actor = actors_today(plan, streams, t, scenario.days)
            actor, count, crossed = links_today(plan, streams, t, actor)
            if plan.off_target >= 0:
                # A partner met face to face gets no message: the occurrence turns into the
                # `off_channel` activity, which crosses the link face to face (as the engine).
                moved, becomes = moved_today(plan, pop, streams, t, actor, crossed)
                if everything[plan.off_target].channel != NO_CHANNEL:
                    mark_crossed(run.last_message, pop, crossed[becomes], t)
                actor, count, crossed = actor[~moved], count[~moved], crossed[~moved]
            if actor.size == 0:
                continue
            mark_crossed(run.last_message, pop, crossed, t)
            if in_person[plan.channel]:
                continue
            edges = np.split(crossed, np.cumsum(count)[:-1])
            seconds = DAY_START + (
                streams.uniform(f"time:{plan.name}", t, actor) * DAY_LENGTH
            ).astype(np.int64)
            said = texts[plan.name]
            pick = (streams.uniform(f"text:{plan.name}", t, actor) * len(said)).astype(np.int64)
            group = (
                list(scenario.groups).index(scenario.activities[plan.name].with_ or "")
                if plan.to_group
                else None
            )
            # The operator logs every message of a logging channel: each sealed one is observed.
            timed = (
                linked_by_timing(
                    streams, plan.name, t, actor, float(rules.timing_link[plan.channel])
                )
                if rules.timed[plan.channel] and rules.logs_metadata[plan.channel]
                else np.zeros(actor.size, dtype=bool)
            )
            for a, links, second, k, link in zip(
                actor.tolist(), edges, seconds.tolist(), pick.tolist(), timed.tolist()
            ):
                if link:
                    run.timed.add(len(run.messages))
                _send(run, plan.channel, a, links.tolist(), t, second, said[k], group)
        for dev in network.devices.values():
            dev.expire(t, retention, keeps)
    return run


def _set_up_phones(run: MessagingRun) -> None:
    """Contact books and group member lists, on the phones of the channels that keep them."""
    pop = run.population
    chans = list(run.scenario.channels.values())
    source = pop.edge_source()
    for position in np.flatnonzero(pop.edge_channel != NO_CHANNEL).tolist():
        channel = int(pop.edge_channel[position])
        if not chans[channel].on_device:
            continue
        me, partner = int(source[position]), int(pop.indices[position])
        group = int(pop.edge_group[position])
        if group != NO_GROUP:
            members = run.network.device(me).groups.setdefault(group, (channel, {me}))[1]
            members.add(partner)
        elif chans[channel].keeps_contacts:
            run.network.device(me).contacts[run.link_id(position)] = (channel, partner)


def _send(
    run: MessagingRun,
    channel: int,
    sender: int,
    crossed: list[int],
    day: int,
    second: int,
    text: str,
    group: int | None,
) -> None:
    """One message (a post reaches every member): encrypted, logged, delivered and stored."""
    pop, network = run.population, run.network
    ident = len(run.messages)
    recipients = tuple(int(pop.indices[p]) for p in crossed)
    content = encode_content(text, group)
    lines: list[int] = []
    session = None if group is not None else run.link_id(crossed[0])
    for position, recipient in zip(crossed, recipients):
        before = len(network.log)
        _wire, down = network.send(
            channel,
            sender,
            recipient,
            run.link_id(position),
            group is not None,
            day,
            second,
            content,
        )
        lines.extend(range(before, len(network.log)))
        got = network.deliver(down, recipient, group is not None)
        if not got.ok:
            run.tampered += 1
            continue
        network.device(recipient).store(
            StoredMessage(
                ident, day, second, channel, session, group, sender, (recipient,), got.text
            )
        )
    network.device(sender).store(
        StoredMessage(ident, day, second, channel, session, group, sender, recipients, text)
    )
    run.messages.append(
        Message(
            ident,
            day,
            second,
            channel,
            sender,
            recipients,
            session,
            group,
            text,
            tuple(crossed),
            tuple(lines),
        )
    )
