"""The typed scenario format: frozen models that forbid unknown keys."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    field_validator,
    model_validator,
)

Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Text = Annotated[str, StringConstraints(max_length=20_000)]

# Trace kinds an activity declares itself; `radio` and `metadata` come from its channel.
DeclaredTrace = Literal["presence", "travel", "behaviour"]
TraceKind = Literal["presence", "travel", "behaviour", "radio", "metadata"]
ChannelKind = Literal[
    "plaintext", "transport", "end_to_end", "end_to_end_sealed", "mesh", "in_person"
]
Basis = Literal["reported", "secondary", "estimate"]

EVERYONE = "everyone"
RESIDENT = "resident"
ANY_CONTACT = "contact"
MAX_DAYS = 3650


def _int_or_range(value: Any) -> Any:
    """Accept `25` or `[20, 30]` (inclusive) and normalise to a (low, high) pair."""
    if isinstance(value, bool):
        raise ValueError("expected a whole number or a range [low, high]")
    if isinstance(value, int):
        value = [value, value]
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        raise ValueError("expected a whole number or a range [low, high] of whole numbers")
    low, high = value
    if low < 1:
        raise ValueError("must be at least 1")
    if high < low:
        raise ValueError("the range's high end is below its low end")
    if high > 10_000:
        raise ValueError("must be at most 10000")
    return (low, high)


IntRange = Annotated[tuple[int, int], BeforeValidator(_int_or_range)]


class Model(BaseModel):
    """Base of every scenario model: frozen, strict, no unknown keys, no NaN or infinity."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", strict=True, allow_inf_nan=False, populate_by_name=False
    )


class Source(Model):
    """A citation for the defaults a scenario takes from research."""

    cite: Text
    basis: Basis
    url: Text | None = None
    supports: list[Annotated[str, StringConstraints(max_length=200)]] = []


class Role(Model):
    """A kind of person in the population, other than the ordinary resident."""

    count: Annotated[int, Field(ge=0, le=1_000_000)]
    label: Text | None = None
    description: Text = ""
    at_risk: bool = True


def _role_shorthand(value: Any) -> Any:
    """`source: 4` is short for `source: {count: 4}`."""
    if isinstance(value, int) and not isinstance(value, bool):
        return {"count": value}
    return value


class Population(Model):
    """Households grouped into units, and the roles placed among their people."""

    units: Annotated[int, Field(ge=1, le=10_000_000)]
    unit_label: Text = "unit"
    households_per_unit: IntRange
    household_size: IntRange
    roles: Annotated[
        dict[Name, Annotated[Role, BeforeValidator(_role_shorthand)]], Field(max_length=100)
    ] = {}

    @property
    def minimum_people(self) -> int:
        """The smallest population one replica can have."""
        return self.units * self.households_per_unit[0] * self.household_size[0]

    @field_validator("roles")
    @classmethod
    def _reserved_roles(cls, roles: dict[str, Role]) -> dict[str, Role]:
        for name in roles:
            if name in (EVERYONE, RESIDENT, ANY_CONTACT):
                raise ValueError(f"`{name}` is reserved and cannot name a role")
        return roles


class HouseholdLinks(Model):
    """Links between all members of each household."""

    channel: Name | None = None


class Mixing(Model):
    """Random links of a given mean number per person."""

    mean_degree: Annotated[float, Field(ge=0.0, le=1000.0)]
    channel: Name | None = None


class Tie(Model):
    """Explicit links from every person of one role to people of another."""

    from_: Name = Field(alias="from")
    to: Name
    channel: Name | None = None
    each: Annotated[int, Field(ge=1, le=100_000)] | None = None


class Contacts(Model):
    """Who is linked to whom: household, neighbours, other units, random, role ties."""

    household: HouseholdLinks | None = None
    neighbours: Mixing | None = None
    across_units: Mixing | None = None
    random: Mixing | None = None
    ties: list[Tie] = []


class Reveal(Model):
    """Probability that one link is revealed once its holder is exposed."""

    device: Probability = 1.0
    metadata: Probability = 0.0


class Channel(Model):
    """A way of communicating, and what it leaves for an adversary."""

    kind: ChannelKind
    label: Text | None = None
    operator_logs: bool | None = None
    radio: bool = False
    forward_secrecy: bool = False
    retention_days: Annotated[int, Field(ge=0, le=100_000)] | None = None
    stores_contacts: bool | None = None
    reveal: Reveal = Reveal()

    @model_validator(mode="after")
    def _consistent(self) -> Channel:
        if self.kind in ("mesh", "in_person") and self.operator_logs:
            raise ValueError(f"a `{self.kind}` channel has no operator to log metadata")
        if self.kind == "in_person" and (self.radio or self.stores_contacts):
            raise ValueError("an `in_person` channel leaves no radio signal and no device record")
        return self

    @property
    def logs_metadata(self) -> bool:
        """Whether the adversary's operator logs who contacts whom on this channel."""
        if self.operator_logs is not None:
            return self.operator_logs
        return self.kind not in ("mesh", "in_person")

    @property
    def keeps_contacts(self) -> bool:
        """Whether a device keeps a contact entry for every link on this channel."""
        if self.stores_contacts is not None:
            return self.stores_contacts
        return self.kind != "in_person"

    @property
    def sealed_sender(self) -> bool:
        """Whether the operator sees the recipient but not the sender."""
        return self.kind == "end_to_end_sealed"

    @property
    def on_device(self) -> bool:
        """Whether messages on this channel live on a device that can be seized."""
        return self.kind != "in_person"


MAX_GROUP_PEOPLE = 500


class Group(Model):
    """A group chat on one channel: every person of some roles, optionally split into cells."""

    label: Text | None = None
    channel: Name
    members: Annotated[list[Name], Field(min_length=1, max_length=100)]
    admins: Annotated[list[Name], Field(max_length=100)] = []
    cell_size: Annotated[int, Field(ge=1, le=MAX_GROUP_PEOPLE)] | None = None


class State(Model):
    """Something a person holds that a check can find: a foreign phone, a guest."""

    label: Text | None = None
    concealment: Probability = 0.0


class Frequency(Model):
    """A rate given as exactly one of per_day, per_week or per_month."""

    per_day: NonNegative | None = None
    per_week: NonNegative | None = None
    per_month: NonNegative | None = None

    @model_validator(mode="after")
    def _one_rate(self) -> Frequency:
        given = [k for k in ("per_day", "per_week", "per_month") if getattr(self, k) is not None]
        if len(given) > 1:
            raise ValueError(
                f"give only one of per_day, per_week, per_month (got {', '.join(given)})"
            )
        if given and self.daily > 1.0 + 1e-12:
            raise ValueError(
                f"more than once a day is not allowed (got {given[0]}: {getattr(self, given[0])})"
            )
        return self

    @property
    def has_rate(self) -> bool:
        """Whether a rate was given."""
        return any(getattr(self, k) is not None for k in ("per_day", "per_week", "per_month"))

    @property
    def daily(self) -> float:
        """The rate as a daily probability: per_week r is r/7, per_month r is r/30."""
        if self.per_day is not None:
            return self.per_day
        if self.per_week is not None:
            return self.per_week / 7.0
        if self.per_month is not None:
            return self.per_month / 30.0
        return 0.0


class Activity(Frequency):
    """Something people do that leaves traces or states."""

    who: Name
    label: Text | None = None
    channel: Name | None = None
    with_: Name | None = Field(default=None, alias="with")
    at: Literal["home", "partner"] = "home"
    minutes: Annotated[float, Field(gt=0.0, le=1440.0)] | None = None
    nights: Annotated[int, Field(ge=1, le=MAX_DAYS)] | None = None
    registers: Probability = 0.0
    offers_bribe: bool = False
    traces: list[DeclaredTrace] = []
    state: Name | None = None
    state_days: Annotated[int, Field(ge=1, le=MAX_DAYS)] | None = None

    @model_validator(mode="after")
    def _needs_rate(self) -> Activity:
        if not self.has_rate:
            raise ValueError("give how often: one of per_day, per_week, per_month")
        if self.at == "partner" and self.with_ is None:
            raise ValueError("`at: partner` needs `with:` to say who the partner is")
        return self

    @property
    def state_duration(self) -> int | None:
        """Days a state set by this activity lasts (None: for good)."""
        if self.state_days is not None:
            return self.state_days
        return self.nights


class Bribe(Model):
    """What it costs to stop an observer's report, and how often it works."""

    price: NonNegative
    currency: Text = "RMB"
    accepts: Probability


class Observer(Model):
    """Someone or something that notices traces and reports them."""

    kind: Literal["leader", "informant", "operator", "direction_finding", "general"]
    label: Text | None = None
    per_unit: Annotated[int, Field(ge=0, le=1000)] | None = None
    density: Probability | None = None
    notice: dict[TraceKind, Probability] = {}
    fix_minutes: Annotated[float, Field(gt=0.0, le=1440.0)] | None = None
    coverage: Probability = 1.0
    channels: list[Name] = []
    reports: Probability = 1.0
    weight: NonNegative | None = None
    bribe: Bribe | None = None

    @model_validator(mode="after")
    def _kind_fields(self) -> Observer:
        if self.kind not in ("leader", "informant") and (
            self.per_unit is not None or self.density is not None
        ):
            raise ValueError(
                f"only leaders and informants are placed in units; an observer of kind `{self.kind}` takes no `per_unit` or `density`"
            )
        if self.kind != "operator" and self.channels:
            raise ValueError("only an operator carries `channels`")
        if self.kind == "leader" and self.density is not None:
            raise ValueError("a leader is placed per unit: use `per_unit`, not `density`")
        if self.kind == "informant" and (self.per_unit is None) == (self.density is None):
            raise ValueError("give informants exactly one of `per_unit` or `density`")
        if self.kind == "operator" and not self.channels:
            raise ValueError("an operator needs `channels`: the channels it carries")
        if (
            self.kind == "direction_finding"
            and self.fix_minutes is None
            and "radio" not in self.notice
        ):
            raise ValueError("direction-finding needs `fix_minutes` or `notice.radio`")
        return self

    @property
    def count_per_unit(self) -> int:
        """Observers of this kind placed in each unit (leaders default to one)."""
        if self.per_unit is not None:
            return self.per_unit
        return 1 if self.kind == "leader" else 0

    def notice_probability(self, trace: str, minutes: float | None) -> float:
        """Probability of noticing one trace (radio depends on the call's minutes)."""
        if trace == "radio" and self.fix_minutes is not None:
            length = minutes if minutes is not None else 1.0
            return self.coverage * (1.0 - math.exp(-length / self.fix_minutes))
        chance = self.notice.get(trace, 0.0) if trace in self.notice else 0.0  # type: ignore[call-overload]
        return chance * (self.coverage if trace == "radio" else 1.0)


class Check(Frequency):
    """An inspection on a schedule (`every`) or at a rate, finding states."""

    label: Text | None = None
    every: Annotated[int, Field(ge=1, le=MAX_DAYS)] | None = None
    scope: Literal["everyone", "travellers"] | list[Name] = "everyone"
    coverage: Probability = 1.0
    finds: dict[Name, Probability]
    weight: NonNegative | None = None

    @model_validator(mode="after")
    def _schedule(self) -> Check:
        if (self.every is None) == (not self.has_rate):
            raise ValueError(
                "give a check either `every` (days) or one rate (per_day, per_week, per_month)"
            )
        if self.every is None and self.coverage != 1.0:
            raise ValueError(
                "`coverage` applies to scheduled checks (`every`); a rate already says how often a target is inspected"
            )
        return self


class Campaign(Model):
    """A period when some observers' or checks' rates are multiplied."""

    label: Text | None = None
    start: Annotated[int, Field(ge=1, le=MAX_DAYS)]
    end: Annotated[int, Field(ge=1, le=MAX_DAYS)]
    multiply: dict[Name, Annotated[float, Field(ge=0.0, le=1000.0)]]

    @model_validator(mode="after")
    def _ordered(self) -> Campaign:
        if self.end < self.start:
            raise ValueError(f"`end` (day {self.end}) is before `start` (day {self.start})")
        return self


class Standing(Model):
    """Households missing confirmation stamps, whom their leader watches more closely."""

    label: Text | None = None
    share: Probability = 0.0
    roles: list[Name] = []
    attention: Annotated[float, Field(ge=0.0, le=1000.0)] = 1.0


class Weights(Model):
    """Suspicion added per event, by mechanism."""

    reports: NonNegative = 1.0
    finds: NonNegative = 1.0
    registration: NonNegative = 0.0
    cascade: NonNegative = 1.0


class Decay(Model):
    """Suspicion halves every `half_life` days."""

    half_life: Annotated[float, Field(gt=0.0, le=100_000.0)]


class Adversary(Model):
    """How the adversary turns events into suspicion, exposure and seizures."""

    threshold: Annotated[float, Field(gt=0.0, le=1e6)] = 1.0
    weights: Weights = Weights()
    unlock: Probability = 1.0
    decay: Decay | None = None


class Countermeasure(Model):
    """A named change of habits: patches that `set` values or `scale` numbers."""

    label: Text | None = None
    description: Text
    cost: Text
    effort: NonNegative | None = None
    set: dict[Annotated[str, StringConstraints(max_length=200)], Any] = {}
    scale: dict[
        Annotated[str, StringConstraints(max_length=200)], Annotated[float, Field(ge=0.0, le=1e6)]
    ] = {}

    @model_validator(mode="after")
    def _has_patch(self) -> Countermeasure:
        if not self.set and not self.scale:
            raise ValueError("a countermeasure needs at least one `set` or `scale` entry")
        return self


MAX_CHOICES = 9
MAX_TURNS = 100


class Choice(Model):
    """One option of the tabletop's menu: how the persona works during a turn.

    It patches the scenario like a countermeasure (`set`, `scale`, or a `countermeasure` by name,
    or several of these); a choice with no patch keeps the scenario as written.
    """

    label: Text
    description: Text = ""
    countermeasure: Name | None = None
    set: dict[Annotated[str, StringConstraints(max_length=200)], Any] = {}
    scale: dict[
        Annotated[str, StringConstraints(max_length=200)], Annotated[float, Field(ge=0.0, le=1e6)]
    ] = {}


class Exercise(Model):
    """The tabletop: one persona, turns of `turn_days` days, the same menu of choices each turn."""

    persona: Name | None = None
    turn_days: Annotated[int, Field(ge=1, le=MAX_DAYS)]
    turns: Annotated[int, Field(ge=1, le=MAX_TURNS)] | None = None
    situation: Text | Annotated[list[Text], Field(max_length=MAX_TURNS)] = ""
    choices: Annotated[list[Choice], Field(min_length=2, max_length=MAX_CHOICES)]

    def turn_count(self, days: int) -> int:
        """Turns played: as given, or as many as fit in `days` (the last may be shorter)."""
        return self.turns if self.turns is not None else -(-days // self.turn_days)

    def situation_of(self, turn: int) -> str:
        """The situation text of a turn (numbered from 1): its own item of a list, or the one text."""
        if isinstance(self.situation, str):
            return self.situation
        return self.situation[turn - 1] if turn <= len(self.situation) else ""


class EffectClaim(Model):
    """A countermeasure lowers (or raises) a role's exposure: the paired 95% interval excludes zero."""

    countermeasure: Name
    lowers: Name | None = None
    raises: Name | None = None
    by_at_least: Probability = 0.0

    @model_validator(mode="after")
    def _one_direction(self) -> EffectClaim:
        if (self.lowers is None) == (self.raises is None):
            raise ValueError(
                "say what the countermeasure does: give exactly one of `lowers: ROLE` or `raises: ROLE`"
            )
        return self

    @property
    def role(self) -> str:
        """The role whose exposure the claim is about."""
        return self.lowers if self.lowers is not None else str(self.raises)


class CauseClaim(Model):
    """A cause is the most common way a role is exposed, ahead of every other with 95% confidence."""

    cause: Name
    most_common_for: Name


def _one_or_more(value: Any) -> Any:
    """`with: travel_phone` is short for `with: [travel_phone]`."""
    return [value] if isinstance(value, str) else value


class ExposureClaim(Model):
    """A role's exposure by a given day lies above (or below) a share, with its whole 95% interval."""

    role: Name
    exposed_within: Annotated[int, Field(ge=1, le=MAX_DAYS)] | None = None
    above: Probability | None = None
    below: Probability | None = None
    with_: Annotated[list[Name], BeforeValidator(_one_or_more)] = Field(default=[], alias="with")

    @model_validator(mode="after")
    def _one_bound(self) -> ExposureClaim:
        if (self.above is None) == (self.below is None):
            raise ValueError("give exactly one of `above: SHARE` or `below: SHARE`")
        return self


def _claim_kind(value: Any) -> str | None:
    """Which claim a mapping (or, when serialising, a claim) is, by its leading key."""
    for kind, tag in (
        (EffectClaim, "effect-claim"),
        (CauseClaim, "cause-claim"),
        (ExposureClaim, "exposure-claim"),
    ):
        if isinstance(value, kind):
            return tag
    if isinstance(value, dict):
        for key, tag in (
            ("countermeasure", "effect-claim"),
            ("cause", "cause-claim"),
            ("role", "exposure-claim"),
        ):
            if key in value:
                return tag
    return None


# Tags contain a hyphen so that they never match a key of the data (error locations skip them).
Claim = Annotated[
    Annotated[EffectClaim, Tag("effect-claim")]
    | Annotated[CauseClaim, Tag("cause-claim")]
    | Annotated[ExposureClaim, Tag("exposure-claim")],
    Discriminator(
        _claim_kind,
        custom_error_type="claim_kind",
        custom_error_message="an `expect` clause is a mapping with one of `countermeasure`, `cause` or `role`",
    ),
]


class Objective(Model):
    """A learning objective with the claims the simulation must bear out."""

    text: Text
    expect: Annotated[
        Annotated[Claim, Tag("one-claim")]
        | Annotated[Annotated[list[Claim], Field(min_length=1, max_length=20)], Tag("claims")],
        Discriminator(lambda v: "claims" if isinstance(v, list) else "one-claim"),
    ]

    @property
    def claims(self) -> list[EffectClaim | CauseClaim | ExposureClaim]:
        """The claims as a list, however many were written."""
        return list(self.expect) if isinstance(self.expect, list) else [self.expect]


LearningObjective = Annotated[
    Annotated[Text, Tag("text")] | Annotated[Objective, Tag("objective")],
    Discriminator(lambda v: "objective" if isinstance(v, (dict, Objective)) else "text"),
]


def objective_text(objective: str | Objective) -> str:
    """The words of a learning objective, with or without claims."""
    return objective if isinstance(objective, str) else objective.text


class Scenario(Model):
    """A whole scenario: who lives where, what they do, who watches, and what helps."""

    name: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
    title: Text
    place: Text = ""
    summary: Text
    context: Text = ""
    learning_objectives: list[LearningObjective] = []
    sources: dict[Name, Source] = {}
    days: Annotated[int, Field(ge=1, le=MAX_DAYS)]
    runs: Annotated[int, Field(ge=1, le=1_000_000)] = 200
    population: Population
    contacts: Contacts = Contacts()
    channels: Annotated[dict[Name, Channel], Field(max_length=100)] = {}
    groups: Annotated[dict[Name, Group], Field(max_length=100)] = {}
    states: dict[Name, State] = {}
    activities: dict[Name, Activity] = {}
    observers: dict[Name, Observer] = {}
    checks: dict[Name, Check] = {}
    campaigns: dict[Name, Campaign] = {}
    standing: Standing | None = None
    adversary: Adversary = Adversary()
    countermeasures: dict[Name, Countermeasure] = {}
    exercise: Exercise | None = None

    @property
    def role_names(self) -> list[str]:
        """Every role, the ordinary resident last."""
        return [*self.population.roles, RESIDENT]

    def role_label(self, role: str) -> str:
        """A role's plain name."""
        return _label(self.population.roles, role)

    def activity_label(self, name: str) -> str:
        """What an activity's actor does: "calls a journalist abroad on the Chinese phone"."""
        return _label(self.activities, name)

    def observer_label(self, name: str) -> str:
        """An observer's plain name: "inminban leader"."""
        return _label(self.observers, name)

    def check_label(self, name: str) -> str:
        """A check's plain name: "Group 109 home search"."""
        return _label(self.checks, name)

    def state_label(self, name: str) -> str:
        """A state as found: "a Chinese phone hidden at home"."""
        return _label(self.states, name)

    def channel_label(self, name: str) -> str:
        """A channel's plain name: "North Korean mobile phone"."""
        return _label(self.channels, name)

    def group_label(self, name: str) -> str:
        """A group chat's plain name."""
        return _label(self.groups, name)

    def campaign_label(self, name: str) -> str:
        """A campaign's plain name."""
        return _label(self.campaigns, name)

    def countermeasure_label(self, name: str) -> str:
        """A countermeasure's plain name."""
        return _label(self.countermeasures, name)

    def at_risk(self, role: str) -> bool:
        """Whether the role is one the scenario is about (residents are not)."""
        spec = self.population.roles.get(role)
        return spec is not None and spec.at_risk

    def activity_channel(self, name: str) -> str | None:
        """The channel an activity uses: its own, or its group's when it posts to a group."""
        act = self.activities[name]
        if act.channel is None and act.with_ in self.groups:
            return self.groups[act.with_].channel
        return act.channel

    @property
    def mechanisms(self) -> list[str]:
        """Every cause of exposure, in the order a day applies them."""
        return ["cascade", "registration", *self.observers, *self.checks]


def mean_people_per_unit(scenario: Scenario) -> float:
    """Expected number of people in one unit."""
    pop = scenario.population
    return (sum(pop.households_per_unit) / 2.0) * (sum(pop.household_size) / 2.0)


def expected_people(scenario: Scenario) -> float:
    """Expected number of people in one replica."""
    return scenario.population.units * mean_people_per_unit(scenario)


def rescaled_units(scenario: Scenario, people: int) -> int:
    """Units needed for about `people` people."""
    return max(1, round(people / mean_people_per_unit(scenario)))


def plain_name(name: str) -> str:
    """A name in plain words, for what a scenario gives no label: `call_abroad` -> "call abroad"."""
    return name.replace("_", " ")


def _label(specs: Mapping[str, Any], name: str) -> str:
    """The label of a named thing, or its name in plain words when it has none (or is unknown)."""
    spec = specs.get(name)
    return (spec.label if spec is not None else None) or plain_name(name)
