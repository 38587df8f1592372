"""What people do: each activity's plan, who does it on a day, and whom they reach.

The engine and the messaging layer both draw from here, so the people who act on a day and the
links their messages cross are the same numbers in both: the engine marks the links a message
crosses (for seized phones and the operator's log), the messaging layer encrypts and stores the
messages on them, and the tests hold the two to each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from simulator.channels import ChannelRules
from simulator.population import NO_CHANNEL, NO_GROUP, Population
from simulator.scenario.model import ANY_CONTACT, EVERYONE, Scenario
from simulator.streams import Streams

# The day of something that never happened (a message never sent, a state never held).
NEVER = -(2**30)
# The last day of a state held for good.
FOR_GOOD = 2**30

# Above this many actor-days per batch an activity is sampled as a count and a subset, which is
# faster but couples two variants of a scenario less tightly than one uniform number per actor.
COUPLED_ACTOR_DAYS = 20_000_000


@dataclass
class ActivityPlan:
    """One activity made ready for the daily loop: its actors, traces, channel and partner links."""

    name: str
    daily: float
    actors: np.ndarray
    index: int  # the activity's place in the file (plans of one activity for some people share it)
    channel: int
    traces: tuple[str, ...]  # traces of an unregistered occurrence
    traces_registered: tuple[str, ...]
    registers: float
    offers_bribe: bool
    minutes: float | None
    state: int
    state_days: int
    at_partner: bool
    to_group: bool = False  # a post to a group chat reaches every link of the poster's group
    partner_count: np.ndarray | None = None  # int64[n]: eligible partners of each person
    partner_start: np.ndarray | None = None  # int64[n]
    partner_edges: np.ndarray | None = None  # int64[...]: link positions, grouped by person
    # `off_channel`: the activity an occurrence with a partner met face to face becomes, and the
    # chance it does (-1: none; such partners are then not eligible at all).
    off_target: int = -1
    off_share: float = 0.0
    names_chance: float = 0.0  # chance that a call names one of the people below
    named_count: np.ndarray | None = None  # int64[n]: links to people who may be named
    named_start: np.ndarray | None = None  # int64[n]
    named_edges: np.ndarray | None = None  # int64[...]: link positions, grouped by person

    @property
    def messages(self) -> bool:
        """Whether it crosses a link on a channel, which phones and the operator's log may keep."""
        return self.partner_edges is not None and self.channel != NO_CHANNEL


def role_mask(scenario: Scenario, pop: Population, role: str) -> np.ndarray:
    """Who has a role (everybody for `everyone`)."""
    if role == EVERYONE:
        return np.ones(pop.size, dtype=bool)
    return pop.role == scenario.role_names.index(role)


def plan_activities(
    scenario: Scenario, pop: Population, rules: ChannelRules, edge_source: np.ndarray
) -> list[ActivityPlan]:
    """Every activity's plan, in file order; `edge_source` is `pop.edge_source()`."""
    return [plan_activity(scenario, name, pop, rules, edge_source) for name in scenario.activities]


def plan_activity(
    scenario: Scenario, name: str, pop: Population, rules: ChannelRules, edge_source: np.ndarray
) -> ActivityPlan:
    """One activity's actors, traces, channel, state and eligible partner links."""
    spec = scenario.activities[name]
    channels = list(scenario.channels)
    channel_name = scenario.activity_channel(name)
    channel = channels.index(channel_name) if channel_name else NO_CHANNEL
    derived: list[str] = []
    if channel != NO_CHANNEL and rules.radio[channel]:
        derived.append("radio")
    if channel != NO_CHANNEL and rules.logs_metadata[channel]:
        derived.append("metadata")
    if spec.switched_on is not None and rules.radio[channels.index(spec.switched_on)]:
        derived.append("idle")
    traces = tuple(dict.fromkeys([*spec.traces, *derived]))
    # A registered stay is legal: the leader's eye on the guest is no violation.
    registered = tuple(t for t in traces if t != "presence")
    plan = ActivityPlan(
        name=name,
        daily=spec.daily,
        actors=np.flatnonzero(role_mask(scenario, pop, spec.who)).astype(np.int64),
        index=list(scenario.activities).index(name),
        channel=channel,
        traces=traces,
        traces_registered=registered,
        registers=spec.registers,
        offers_bribe=spec.offers_bribe,
        minutes=_minutes_at_one_place(spec.minutes, spec.moves_every),
        state=list(scenario.states).index(spec.state) if spec.state else -1,
        state_days=spec.state_duration or FOR_GOOD,
        at_partner=spec.at == "partner",
    )
    if spec.with_ is not None:
        if spec.with_ in scenario.groups:
            plan.to_group = True
            group = list(scenario.groups).index(spec.with_)
            plan.partner_count, plan.partner_start, plan.partner_edges = _grouped(
                ("group", group), lambda: pop.edge_group == group, pop, edge_source
            )
        else:
            partner_role = spec.with_
            face_to_face = channel != NO_CHANNEL and spec.off_channel is not None
            if face_to_face:
                assert spec.off_channel is not None
                plan.off_target = list(scenario.activities).index(spec.off_channel.becomes)
                plan.off_share = spec.off_channel.share

            def partners() -> np.ndarray:
                keep = _links_to(scenario, pop, partner_role, channel)
                if face_to_face:
                    # A partner met face to face is picked too: the occurrence then turns into
                    # `off_channel.becomes` (see moved_today).
                    linked = pop.edge_channel != NO_CHANNEL
                    face = ~rules.on_device[np.where(linked, pop.edge_channel, 0)]
                    keep |= _links_to(scenario, pop, partner_role, NO_CHANNEL) & linked & face
                return keep

            # What the links are picked by: their other end's role, their channel, and for a
            # meeting face to face the channels that are not on a device, on this town's labels.
            key = (
                "partners",
                _role_index(scenario, partner_role),
                channel,
                face_to_face and tuple(rules.on_device.tolist()),
                pop.rule_channel.tobytes(),
            )
            plan.partner_count, plan.partner_start, plan.partner_edges = _grouped(
                key, partners, pop, edge_source
            )
    if spec.names is not None:
        names_of = spec.names.of
        plan.names_chance = spec.names.chance
        plan.named_count, plan.named_start, plan.named_edges = _grouped(
            ("named", _role_index(scenario, names_of)),
            lambda: _links_to(scenario, pop, names_of, NO_CHANNEL),
            pop,
            edge_source,
        )
    return plan


def _role_index(scenario: Scenario, role: str) -> int:
    """A role's index, -1 for any contact."""
    return -1 if role == ANY_CONTACT else scenario.role_names.index(role)


def _minutes_at_one_place(minutes: float | None, moves_every: float | None) -> float | None:
    """How long direction-finding hears a call from one place: the call, or one stay of it."""
    if moves_every is None:
        return minutes
    return min(minutes if minutes is not None else 1.0, moves_every)


def _links_to(scenario: Scenario, pop: Population, role: str, channel: int) -> np.ndarray:
    """Which links (bool per link position) lead to people of a role, on a channel if given."""
    # A group's links carry only posts to the group.
    keep = pop.edge_group == NO_GROUP
    if channel != NO_CHANNEL:
        keep &= pop.edge_channel == channel
    if role != ANY_CONTACT:
        keep &= pop.edge_role() == scenario.role_names.index(role)
    return keep


def _grouped(
    key: tuple[object, ...],
    keep: Callable[[], np.ndarray],
    pop: Population,
    edge_source: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The links `keep` picks, grouped by person: (count per person, start per person, link
    positions). Worked out once per town and `key`, which names everything the pick depends on:
    variants that share a town share them (`Population.derived`)."""
    found: dict[str, np.ndarray] = {}

    def made(part: str) -> np.ndarray:
        if not found:
            edges = np.flatnonzero(keep())
            count = np.bincount(edge_source[edges], minlength=pop.size).astype(np.int64)
            start = np.zeros(pop.size, dtype=np.int64)
            np.cumsum(count[:-1], out=start[1:])
            found.update(count=count, start=start, edges=edges)
        return found[part]

    return (
        pop.derived((*key, "count"), lambda: made("count")),
        pop.derived((*key, "start"), lambda: made("start")),
        pop.derived((*key, "edges"), lambda: made("edges")),
    )


def named_today(
    plan: ActivityPlan, streams: Streams, t: int, actor: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Whose names today's calls speak: (the callers who name someone, the link to whom each names).

    Whether a call names someone, and whom among the caller's eligible links, are properties of
    the call, so every observer that listens to it hears the same name.
    """
    if plan.named_count is None or plan.named_start is None or plan.named_edges is None:
        return actor[:0], actor[:0]
    count = plan.named_count[actor]
    spoken = (count > 0) & (streams.below(f"name_spoken:{plan.name}", t, actor, plan.names_chance))
    actor, count = actor[spoken], count[spoken]
    u = streams.uniform(f"name_picked:{plan.name}", t, actor)
    pick = plan.named_start[actor] + (u * count).astype(np.int64)
    return actor, plan.named_edges[pick]


def actors_today(plan: ActivityPlan, streams: Streams, t: int, days: int) -> np.ndarray:
    """Who of the activity's actors does it on day t of a run of `days` days (sorted).

    Nobody is left out here: the engine drops the exposed afterwards, and the messaging layer
    exposes nobody. Up to COUPLED_ACTOR_DAYS actor-days in the batch, one counter-based number
    per actor decides; beyond, a count and a subset from the purpose's generator.
    """
    return streams.sample(plan.actors, plan.daily, f"activity:{plan.name}", t, coupled(plan, days))


def coupled(plan: ActivityPlan, days: int) -> bool:
    """Whether the activity is drawn with one counter-based number per actor and day."""
    return plan.actors.size * days <= COUPLED_ACTOR_DAYS


def links_today(
    plan: ActivityPlan, streams: Streams, t: int, actor: np.ndarray, u: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The links today's occurrences cross: (actors who reach someone, links each, positions).

    A post to a group crosses every link of the poster's group; any other occurrence crosses one
    link, to a partner picked among the actor's eligible links by a counter-based number (`u`,
    one per actor, if already drawn). The positions come actor by actor, in the order of the
    actors.
    """
    assert (
        plan.partner_count is not None
        and plan.partner_start is not None
        and plan.partner_edges is not None
    ), f"{plan.name} has no partners"
    count = plan.partner_count[actor]
    reach = count > 0
    actor, count = actor[reach], count[reach]
    if plan.to_group:
        offset = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
        edges = plan.partner_edges[np.repeat(plan.partner_start[actor], count) + offset]
        return actor, count, edges
    u = streams.uniform(f"partner:{plan.name}", t, actor) if u is None else u[reach]
    pick = plan.partner_start[actor] + (u * count).astype(np.int64)
    return actor, np.ones_like(count), plan.partner_edges[pick]


def moved_today(
    plan: ActivityPlan,
    pop: Population,
    streams: Streams,
    t: int,
    actor: np.ndarray,
    edges: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Which of today's occurrences (one link each) reach a partner met face to face, and which
    of those become an occurrence of `off_channel.becomes` (chance `off_channel.share`).

    The rest of the moved ones do not happen. Only for an activity with `off_channel`; each
    actor's number is counter-based, so a lower share turns a subset of the same occurrences.
    """
    assert plan.off_target >= 0, f"{plan.name} has no off_channel"
    moved = pop.edge_channel[edges] != plan.channel
    becomes = np.zeros(moved.size, dtype=bool)
    if moved.any():
        becomes[moved] = streams.below(f"off_channel:{plan.name}", t, actor[moved], plan.off_share)
    return moved, becomes


def mark_crossed(last_message: np.ndarray, pop: Population, edges: np.ndarray, t: int) -> None:
    """Note at both ends of each link that a message crossed it on day t."""
    last_message[edges] = t
    last_message[pop.reverse[edges]] = t
