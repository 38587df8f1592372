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
    ValidationInfo,
    field_validator,
    model_validator,
)

from simulator.i18n import in_language

Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]
MAX_TEXT = 20_000


def is_language_code(code: object) -> bool:
    """Whether a key is a language code as texts are keyed: two or three lower-case letters."""
    return (
        isinstance(code, str)
        and code.isascii()
        and code.isalpha()
        and code.islower()
        and 2 <= len(code) <= 3
    )


def one_language(value: Any, info: ValidationInfo) -> Any:
    """A text written in several languages, `{en: …, ko: …}`, as the one the reader speaks.

    The language in force (--lang) comes first, then the scenario's own `language`, then English.
    Every text met, plain or not, is noted in the validation context's `texts` (when given) so that
    `validate` can name each one missing a language the scenario declares.
    """
    context = info.context if isinstance(info.context, dict) else {}
    texts = context.get("texts")
    if isinstance(texts, list) and isinstance(value, str | dict):
        texts.append(value)
    if not isinstance(value, dict):
        return value
    if not value:
        raise ValueError("a text in several languages needs at least one, as `en: …`")
    for code, text in value.items():
        if not is_language_code(code):
            raise ValueError(
                "a text in several languages is keyed by language codes such as `en` or `ko` "
                f"(got `{str(code)[:20]}`)"
            )
        if not isinstance(text, str):
            raise ValueError(f"the `{code}` text must be text")
        if len(text) > MAX_TEXT:
            raise ValueError(f"the `{code}` text is too long (at most {MAX_TEXT} characters)")
    return in_language(value, context.get("language", "en"))


# Any text a learner reads may be one string (in the scenario's `language`) or one per language.
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT), BeforeValidator(one_language)]
# Text that is the same in every language: an address, a currency's code.
Plain = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
ShortText = Annotated[
    str, StringConstraints(min_length=1, max_length=200), BeforeValidator(one_language)
]

# Trace kinds an activity declares itself; `radio` and `metadata` come from its channel, `idle`
# from the radio phone it keeps switched on.
DeclaredTrace = Literal["presence", "travel", "behaviour"]
TraceKind = Literal["presence", "travel", "behaviour", "radio", "metadata", "idle"]
ChannelKind = Literal[
    "plaintext", "transport", "end_to_end", "end_to_end_sealed", "mesh", "in_person"
]
Basis = Literal["reported", "secondary", "estimate"]

EVERYONE = "everyone"
RESIDENT = "resident"
ANY_CONTACT = "contact"
MAX_DAYS = 3650


# A whole number or [low, high] (households per unit) lies within these bounds.
INT_RANGE_BOUNDS = (1, 10_000)


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
    if low < INT_RANGE_BOUNDS[0]:
        raise ValueError(f"must be at least {INT_RANGE_BOUNDS[0]}")
    if high < low:
        raise ValueError("the range's high end is below its low end")
    if high > INT_RANGE_BOUNDS[1]:
        raise ValueError(f"must be at most {INT_RANGE_BOUNDS[1]}")
    return (low, high)


IntRange = Annotated[tuple[int, int], BeforeValidator(_int_or_range)]


class Model(BaseModel):
    """Base of every scenario model: frozen, strict, no unknown keys, no NaN or infinity."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", strict=True, allow_inf_nan=False, populate_by_name=False
    )


class Source(Model):
    """A citation for the defaults a scenario takes from research."""

    cite: Text = Field(description="the reference, in words a learner can look up")
    basis: Basis = Field(
        description=(
            "how solid the number is: `reported` (a first-hand report, document or measurement), "
            "`secondary` (someone else's summary or analysis of such reports) or `estimate` (your "
            "own or the project's judgement)"
        )
    )
    url: Plain | None = Field(default=None, description="where to find it")
    supports: list[Annotated[str, StringConstraints(max_length=200)]] = Field(
        default=[],
        description=(
            "the dotted keys this source backs, each written in the file: a value "
            "(`observers.df.fix_minutes`) or a whole section (`observers.leader`)"
        ),
    )


class Role(Model):
    """A kind of person in the population, other than the ordinary resident."""

    count: Annotated[int, Field(ge=0, le=1_000_000)] = Field(
        description=(
            "how many people have this role in each run, picked at random anywhere in the town"
        )
    )
    label: Text | None = Field(
        default=None,
        description="the role's plain name in texts. Default: the name, `_` read as a space",
    )
    description: Text = Field(default="", description="one sentence about the role")
    at_risk: bool = Field(
        default=True,
        description=(
            "whether results put this role forward as one of the people at risk (residents never "
            "are)"
        ),
    )


def _role_shorthand(value: Any) -> Any:
    """`source: 4` is short for `source: {count: 4}`."""
    if isinstance(value, int) and not isinstance(value, bool):
        return {"count": value}
    return value


class Population(Model):
    """Households grouped into units, and the roles placed among their people."""

    units: Annotated[int, Field(ge=1, le=10_000_000)] = Field(
        description="how many units the town has"
    )
    unit_label: Text = Field(
        default="unit",
        description="what a unit is called locally, used in texts (inminban, grid, block)",
    )
    households_per_unit: IntRange = Field(
        description=(
            "households in each unit: a number, or a range `[low, high]` (both ends included) "
            "from which each run draws every unit's number"
        )
    )
    household_size: IntRange = Field(
        description=(
            "people in each household: a number, or a range `[low, high]` from which each run "
            "draws every household's size"
        )
    )
    roles: Annotated[
        dict[Name, Annotated[Role, BeforeValidator(_role_shorthand)]], Field(max_length=100)
    ] = Field(
        default={},
        description=(
            "the kinds of people the scenario is about, by name, with their numbers (`source: 4` "
            "is short for `source: {count: 4}`); everyone else is a `resident`"
        ),
    )

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

    channel: Name | None = Field(
        default=None,
        description=(
            "the channel of household links; links without one are never revealed by a phone or "
            "the operator"
        ),
    )


class Mixing(Model):
    """Random links of a given mean number per person."""

    mean_degree: Annotated[float, Field(ge=0.0, le=1000.0)] = Field(
        description="the average number of such links per person"
    )
    channel: Name | None = Field(
        default=None,
        description=(
            "the channel of these links; links without one are never revealed by a phone or the "
            "operator"
        ),
    )


class Tie(Model):
    """Explicit links from every person of one role to people of another."""

    from_: Name = Field(
        alias="from", description="the role whose every person gets links: a role or `resident`"
    )
    to: Name = Field(description="the role they are linked to: a role or `resident`")
    channel: Name | None = Field(default=None, description="the channel of these links")
    each: Annotated[int, Field(ge=1, le=100_000)] | None = Field(
        default=None,
        description=(
            "how many people of `to` each person of `from` is linked to, picked at random (all of "
            "them if fewer exist). Default: all people of `to`"
        ),
    )


class Contacts(Model):
    """Who is linked to whom: household, neighbours, other units, random, role ties."""

    household: HouseholdLinks | None = Field(
        default=None,
        description=(
            "link every pair of people who share a household; `household: {}` does it without a "
            "channel"
        ),
    )
    neighbours: Mixing | None = Field(default=None, description="random links inside each unit")
    across_units: Mixing | None = Field(
        default=None, description="random links between people of different units"
    )
    random: Mixing | None = Field(
        default=None, description="random links anywhere in the town, inside or across units"
    )
    ties: list[Tie] = Field(
        default=[], description="explicit links from every person of one role to people of another"
    )


class Reveal(Model):
    """Probability that one link is revealed once its holder is exposed."""

    device: Probability = Field(
        default=1.0, description="chance that an unlocked, seized phone gives up one link it holds"
    )
    metadata: Probability = Field(
        default=0.0,
        description=(
            "chance that the operator's records give up one link on which a message was exchanged"
        ),
    )
    interrogation: Probability = Field(
        default=0.0,
        description=(
            "chance that a person taken into custody names one contact she has on this channel "
            "under interrogation, whether or not her phone opens (the only way an `in_person` "
            "link is ever given away)"
        ),
    )


class Content(Model):
    """What the messages on a channel are, and what those still kept on a seized phone say."""

    calls: bool = Field(
        default=False,
        description=(
            "the channel carries phone calls, not texts: a phone and the operator's log hold call "
            "records (who called whom, when, for how long), which `exposure tap` and `exposure "
            "seize` show instead of sample texts"
        ),
    )
    samples: Annotated[list[ShortText], Field(max_length=50)] = Field(
        default=[],
        description=(
            "sample texts the messages on this channel carry, as `tap` and `seize` show them "
            "(synthetic, no real names). Default: a built-in set of short plans and warnings"
        ),
    )

    names: Probability = Field(
        default=0.0,
        description=(
            "chance that one message still kept on the phone (within `retention_days`) names a "
            "third party; a conversation of c kept messages names one with chance 1 − (1 − "
            "names)^c: one of the phone owner's other contacts, picked at random, who receives "
            "the `content` weight the next day"
        ),
    )


class Channel(Model):
    """A way of communicating, and what it leaves for an adversary."""

    kind: ChannelKind = Field(
        description=(
            "what sort of channel it is: `plaintext`, `transport` (the server reads content), "
            "`end_to_end`, `end_to_end_sealed` (the operator does not see the sender), `mesh` (no "
            "operator) or `in_person` (no device)"
        )
    )
    label: Text | None = Field(
        default=None, description="its plain name in texts. Default: the name"
    )
    operator_logs: bool | None = Field(
        default=None,
        description=(
            "whether the network operator, working for the adversary, records who contacts whom: "
            "it gives activities on the channel a `metadata` trace and lets the operator's "
            "records reveal links. Default: by kind"
        ),
    )
    radio: bool = Field(
        default=False,
        description=(
            "whether direction-finding can locate a transmission: it gives activities on the "
            "channel a `radio` trace"
        ),
    )
    forward_secrecy: bool = Field(
        default=False,
        description=(
            "whether old messages cannot be decrypted with today's keys (each message key is "
            "derived, used once and deleted); read by `exposure tap` and `exposure seize`, not by "
            "the daily simulation"
        ),
    )
    retention_days: Annotated[int, Field(ge=0, le=100_000)] | None = Field(
        default=None,
        description=(
            "how many days messages stay on the phone (disappearing messages); `0` keeps none. "
            "Default: kept for good"
        ),
    )
    stores_contacts: bool | None = Field(
        default=None,
        description=(
            "whether the phone keeps an entry for every link on this channel (a phone book, a "
            "contact list). Default: by kind"
        ),
    )
    reveal: Reveal = Field(
        default=Reveal(),
        description=(
            "chances that one link is given away: `device` by an unlocked, seized phone, "
            "`metadata` by the operator's records, `interrogation` by its holder in custody"
        ),
    )
    content: Content = Field(
        default=Content(),
        description=(
            "what kept messages say: `names`, the chance that one message still on an unlocked, "
            "seized phone names a third party"
        ),
    )
    timing_link: Probability = Field(
        default=0.0,
        description=(
            "under sealed sender (`end_to_end_sealed`; ignored on other kinds), the chance that "
            "one message the operator observes lets it link the hidden sender by timing (a "
            "statistical disclosure attack): after k observed messages of a sender on this "
            "channel she is linked with chance 1 − (1 − q)^k, and from the message that links "
            "her, her messages here count against her as if unsealed, and at a seizure the "
            "operator's log shows both ends of each of them, so a link she sent one on can be "
            "revealed with `reveal.metadata`"
        ),
    )

    @model_validator(mode="after")
    def _consistent(self) -> Channel:
        if self.kind in ("mesh", "in_person") and self.operator_logs:
            raise ValueError(f"a `{self.kind}` channel has no operator to log metadata")
        if self.kind == "in_person" and (self.radio or self.stores_contacts):
            raise ValueError("an `in_person` channel leaves no radio signal and no device record")
        if self.kind == "in_person" and self.content.names > 0:
            raise ValueError(
                "an `in_person` channel keeps no messages on a phone, so `content.names` must be 0"
            )
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

    label: Text | None = Field(
        default=None, description="its plain name in texts. Default: the name"
    )
    channel: Name = Field(description="the channel the chat runs on")
    members: Annotated[list[Name], Field(min_length=1, max_length=100)] = Field(
        description="the roles whose every person is in the chat (not `resident`)"
    )
    admins: Annotated[list[Name], Field(max_length=100)] = Field(
        default=[],
        description=(
            "roles whose people run the chat and are in every chat when the members are split "
            "into cells (not `resident`; a role is a member or an admin, not both)"
        ),
    )
    cell_size: Annotated[int, Field(ge=1, le=MAX_GROUP_PEOPLE)] | None = Field(
        default=None,
        description=(
            "split the members into chats of at most this many members each, drawn at random per "
            "run and as even as possible. Default: one chat for all"
        ),
    )


class State(Model):
    """Something a person holds that a check can find: a foreign phone, a guest."""

    label: Text | None = Field(
        default=None, description="its plain name in texts. Default: the name"
    )
    concealment: Probability = Field(
        default=0.0,
        description=(
            "how well it is hidden: a check that would find it with probability f finds it with f "
            "× (1 − concealment)"
        ),
    )


class Frequency(Model):
    """A rate given as exactly one of per_day, per_week or per_month."""

    per_day: NonNegative | None = Field(
        default=None,
        description=(
            "how often, as a chance on any given day (at most 1); give one of per_day, per_week, "
            "per_month"
        ),
    )
    per_week: NonNegative | None = Field(
        default=None, description="how often, in times a week (at most 7): per_week / 7 a day"
    )
    per_month: NonNegative | None = Field(
        default=None, description="how often, in times a month (at most 30): per_month / 30 a day"
    )

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


class OffChannel(Model):
    """What an occurrence becomes when its partner is met face to face, not on the channel.

    A habit carried over a channel has a side effect when the link moves off it: a source no
    longer rung is walked to instead. It is written here, as a parameter of the scenario with its
    own source and range, and not assumed inside a countermeasure.
    """

    becomes: Name = Field(
        description=(
            "the activity each such occurrence becomes, with the same partner: one done face to "
            "face (no `channel`, or an `in_person` one) by the same `who` with the same `with`"
        )
    )
    share: Probability = Field(
        default=1.0,
        description=(
            "chance that an occurrence with a partner met face to face becomes one of `becomes`; "
            "otherwise it does not happen"
        ),
    )


class Names(Model):
    """Whose names come up on a call, and how often."""

    of: Name = Field(
        description=(
            "the role of the people who may be named: one of the caller's links to people of this "
            "role (any channel), picked at random for each call; `contact` means anyone linked"
        )
    )
    chance: Probability = Field(
        description="chance that a call names one of them (code words and no names lower it)"
    )


class Activity(Frequency):
    """Something people do that leaves traces or states."""

    who: Name = Field(description="who does it: a role, `resident` or `everyone`")
    label: Text | None = Field(
        default=None,
        description="a plain description in texts (calls the broker). Default: the name",
    )
    channel: Name | None = Field(
        default=None,
        description=(
            "the channel used: it adds a `radio` trace if the channel has `radio: true` and a "
            "`metadata` trace if its operator logs; with `with`, the partner is picked among "
            "links of this channel"
        ),
    )
    with_: Name | None = Field(
        default=None,
        alias="with",
        description=(
            "a partner, picked at random among the actor's links (of `channel`, if given) to "
            "people of this role; `contact` means anyone linked, and a group's name means a post "
            "to every other member of the group chat. Default: no partner"
        ),
    )
    at: Literal["home", "partner"] = Field(
        default="home",
        description=(
            "whose home it happens in: `home` (the actor's) or `partner` (the partner's; needs "
            "`with`)"
        ),
    )
    minutes: Annotated[float, Field(gt=0.0, le=1440.0)] | None = Field(
        default=None,
        description=(
            "how long a call lasts, in minutes; only direction-finding with `fix_minutes` reads "
            "it. Default: counted as 1 minute"
        ),
    )
    nights: Annotated[int, Field(ge=1, le=MAX_DAYS)] | None = Field(
        default=None,
        description=(
            "how long a stay lasts, in nights; also how long its `state` lasts unless "
            "`state_days` is given"
        ),
    )
    registers: Probability = Field(
        default=0.0,
        description=(
            "chance that an occurrence is registered with the authorities: legal, with no "
            "`presence` trace and no state, but on file, adding `adversary.weights.registration`"
        ),
    )
    offers_bribe: bool = Field(
        default=False,
        description=("whether the actor offers a bribe when an observer with a `bribe` notices"),
    )
    traces: list[DeclaredTrace] = Field(
        default=[],
        description=(
            "the traces it leaves itself: `presence` (someone is where they should not be, a "
            "guest), `travel` (a journey: the actor is a traveller for checks today), `behaviour` "
            "(conduct that looks odd)"
        ),
    )
    off_channel: OffChannel | None = Field(
        default=None,
        description=(
            "what becomes of an occurrence whose partner the actor's link reaches face to face (on "
            "an `in_person` channel) instead of on `channel`: with `off_channel`, the partner is "
            "picked among links on `channel` and on `in_person` channels, and one picked face to "
            "face turns, with chance `share`, into an occurrence of `becomes` with the same "
            "partner. Default: a partner met face to face is not picked"
        ),
    )
    switched_on: Name | None = Field(
        default=None,
        description=(
            "a channel with `radio: true` whose phone the actor keeps switched on through the day "
            "of each occurrence, between calls: it gives the occurrence an `idle` trace, which "
            "direction-finding locates with `notice.idle`. Default: no phone left on"
        ),
    )
    moves_every: Annotated[float, Field(gt=0.0, le=1440.0)] | None = Field(
        default=None,
        description=(
            "a call made on the move: the caller changes place every this many minutes, so "
            "direction-finding with `fix_minutes` gets at most this long at one place and locates "
            "the call as if it lasted min(`minutes`, `moves_every`); needs a channel with `radio: "
            "true`. Default: the caller stays put"
        ),
    )
    names: Names | None = Field(
        default=None,
        description=(
            "people named on the call, whom direction-finding with `overhears.names` can trace "
            "from a call it listens to; needs a channel with `radio: true`. Default: no names"
        ),
    )
    state: Name | None = Field(default=None, description="a state each occurrence sets")
    state_days: Annotated[int, Field(ge=1, le=MAX_DAYS)] | None = Field(
        default=None,
        description=(
            "how many days the state lasts, counting the day it is set. Default: `nights`, else "
            "for good"
        ),
    )

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


class Overhearing(Model):
    """What direction-finding makes of the calls it listens to: voices and names."""

    voice: Probability = Field(
        default=0.0,
        description=(
            "chance that a call it listens to identifies the caller: the recording is played to "
            "someone who knows the caller's voice"
        ),
    )
    names: Probability = Field(
        default=0.0,
        description=(
            "chance that a name spoken on a call it listens to (see the activity's `names`) is "
            "traced to the person named"
        ),
    )


class Bribe(Model):
    """What it costs to stop an observer's report, how often it works, and what else money does."""

    price: NonNegative = Field(description="what the bribe costs, shown in texts")
    currency: Plain = Field(default="RMB", description="the currency of the price and the demand")
    accepts: Probability = Field(
        description=(
            "chance that the observer takes an offered bribe and stays silent (campaigns can "
            "multiply it: `campaigns.NAME.bribes`)"
        )
    )
    reports_offer: Probability = Field(
        default=0.0,
        description=(
            "of the offers the observer does not take, the share it refuses openly and reports as "
            "an attempted bribe along with the occurrence: everyone the report names gains a "
            "second report's weight"
        ),
    )
    extorts: Probability = Field(
        default=0.0,
        description=(
            "chance that, instead of passing on a report of an occurrence that offered no bribe, "
            "the observer demands money and holds the report over the people it names: they pay "
            "`demand` and the report waits (see `passes_on`); campaigns multiply it as they do "
            "`accepts`"
        ),
    )
    demand: NonNegative | None = Field(
        default=None,
        description=(
            "what the observer demands for holding a report, shown in texts. Default: `price`"
        ),
    )
    passes_on: Probability = Field(
        default=0.0,
        description=(
            "chance on each later day that the observer passes a held report on after all; it also "
            "passes it on the first later day it reports one of the people the report names"
        ),
    )

    @property
    def demanded(self) -> float:
        """What she demands for holding a report: `demand`, or the price."""
        return self.demand if self.demand is not None else self.price


class Tip(Model):
    """A report that can send a check to the homes of the people it names."""

    chance: Probability = Field(
        description=(
            "chance that one reported occurrence sends the check; a report that is held for money "
            "can send it when it is passed on"
        )
    )
    within: Annotated[int, Field(ge=1, le=MAX_DAYS)] = Field(
        description=(
            "the check comes on a day drawn evenly from 1 to `within` days after the report, and "
            "searches the homes of the people the report names with its own find chances, "
            "whatever its rate, `coverage` or `scope`"
        )
    )


class Observer(Model):
    """Someone or something that notices traces and reports them."""

    kind: Literal["leader", "informant", "operator", "direction_finding", "general"] = Field(
        description=(
            "where observers are and whom they watch: `leader` (in every unit, watching it), "
            "`informant` (residents watching the people linked to them), `operator` (the network "
            "operator, seeing metadata), `direction_finding` (radio detection) or `general` "
            "(anyone else: police, a security officer)"
        )
    )
    label: Text | None = Field(
        default=None, description="its plain name in texts. Default: the name"
    )
    per_unit: Annotated[int, Field(ge=0, le=1000)] | None = Field(
        default=None,
        description=(
            "how many are placed in each unit among its residents (fewer if a unit has fewer); "
            "leaders and informants only. Default: 1 for leaders; informants need `per_unit` or "
            "`density`"
        ),
    )
    density: Probability | None = Field(
        default=None,
        description=(
            "share of residents who inform, drawn per run; informants only, instead of `per_unit`"
        ),
    )
    notice: dict[TraceKind, Probability] = Field(
        default={},
        description=(
            "chance of noticing one trace of each kind: `presence`, `travel`, `behaviour`, "
            "`radio`, `metadata`, `idle` (a radio phone left switched on, per day)"
        ),
    )
    fix_minutes: Annotated[float, Field(gt=0.0, le=1440.0)] | None = Field(
        default=None,
        description=(
            "radio: the time scale of a fix, in minutes; a call of m minutes is located with "
            "chance (1 − e^(−m/fix_minutes)) × coverage, instead of `notice.radio`"
        ),
    )
    coverage: Probability = Field(
        default=1.0,
        description=(
            "share of radio traces within reach of a listening detector; it multiplies the radio "
            "notice of a call and the chance a call is listened to (`overhears`), and nothing else"
        ),
    )
    overhears: Overhearing | None = Field(
        default=None,
        description=(
            "direction-finding only: a call it listens to (chance `coverage`, times campaigns) can "
            "identify the caller by the voice (`voice`) and a person named on it by the name "
            "(`names`). Default: calls are located, never identified by what is said"
        ),
    )
    channels: list[Name] = Field(
        default=[],
        description=("operator only, and required for it: the channels whose metadata it sees"),
    )
    reports: Probability = Field(
        default=1.0, description="chance that a noticed occurrence is reported"
    )
    weight: NonNegative | None = Field(
        default=None, description="suspicion one report adds. Default: `adversary.weights.reports`"
    )
    bribe: Bribe | None = Field(
        default=None,
        description=(
            "a bribe that can stop a report when the activity offers one: price, currency and the "
            "chance it is accepted; also whether a refused offer is reported and whether she "
            "extorts money for holding a report"
        ),
    )
    tips: dict[Name, Tip] = Field(
        default={},
        description=(
            "checks a report can send to the homes of the people it names, by the check's name: "
            "the chance and within how many days"
        ),
    )

    @model_validator(mode="after")
    def _kind_fields(self) -> Observer:
        if self.kind not in ("leader", "informant") and (
            self.per_unit is not None or self.density is not None
        ):
            raise ValueError(
                "only leaders and informants are placed in units; an observer of kind "
                f"`{self.kind}` takes no `per_unit` or `density`"
            )
        if self.kind != "operator" and self.channels:
            raise ValueError("only an operator carries `channels`")
        if self.kind != "direction_finding" and self.overhears is not None:
            raise ValueError("only direction-finding listens to calls: `overhears` needs it")
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
        chance = self.notice.get(trace, 0.0)  # type: ignore[call-overload]
        return chance * (self.coverage if trace == "radio" else 1.0)


class Check(Frequency):
    """An inspection on a schedule (`every`) or at a rate, finding states."""

    label: Text | None = Field(
        default=None, description="its plain name in texts. Default: the name"
    )
    every: Annotated[int, Field(ge=1, le=MAX_DAYS)] | None = Field(
        default=None,
        description=(
            "a scheduled check, in days: it happens on days `every`, 2 × `every`, 3 × `every`, …; "
            "give `every` or one rate"
        ),
    )
    scope: Literal["everyone", "travellers"] | list[Name] = Field(
        default="everyone",
        description=(
            "whom it inspects: `everyone`, `travellers` (people who did an activity with a "
            "`travel` trace today) or a list of roles (`resident` allowed)"
        ),
    )
    coverage: Probability = Field(
        default=1.0,
        description=(
            "share of the scope inspected on a day a scheduled check happens (only with `every`)"
        ),
    )
    finds: dict[Name, Probability] = Field(
        description=("for each state, the chance of finding it on an inspected person who holds it")
    )
    weight: NonNegative | None = Field(
        default=None, description="suspicion one find adds. Default: `adversary.weights.finds`"
    )

    @model_validator(mode="after")
    def _schedule(self) -> Check:
        if (self.every is None) == (not self.has_rate):
            raise ValueError(
                "give a check either `every` (days) or one rate (per_day, per_week, per_month)"
            )
        if self.every is None and self.coverage != 1.0:
            raise ValueError(
                "`coverage` applies to scheduled checks (`every`); a rate already says how often "
                "a target is inspected"
            )
        return self


class Campaign(Model):
    """A period when some observers' or checks' rates, or bribes' chances, are multiplied."""

    label: Text | None = Field(
        default=None, description="its plain name in texts. Default: the name"
    )
    start: Annotated[int, Field(ge=1, le=MAX_DAYS)] = Field(description="first day of the campaign")
    end: Annotated[int, Field(ge=1, le=MAX_DAYS)] = Field(
        description=("last day, included; not before `start`, and it may lie after the last day")
    )
    multiply: dict[Name, Annotated[float, Field(ge=0.0, le=1000.0)]] = Field(
        default={},
        description=(
            "for each observer or check, by name, the factor on its rate: an observer's notice, a "
            "scheduled check's `coverage`, a check's daily rate"
        ),
    )
    bribes: dict[Name, Annotated[float, Field(ge=0.0, le=1000.0)]] = Field(
        default={},
        description=(
            "for each observer with a `bribe`, by name, the factor on how readily she takes money: "
            "her `bribe.accepts` and `bribe.extorts` (a crackdown lowers them; capped at 1)"
        ),
    )

    @model_validator(mode="after")
    def _ordered(self) -> Campaign:
        if self.end < self.start:
            raise ValueError(f"`end` (day {self.end}) is before `start` (day {self.start})")
        return self


class Standing(Model):
    """Households missing confirmation stamps, whom their leader watches more closely."""

    label: Text | None = Field(default=None, description="a plain description")
    share: Probability = Field(
        default=0.0,
        description=(
            "chance that a household misses its stamps, drawn once per household at the start of "
            "each run"
        ),
    )
    roles: list[Name] = Field(
        default=[],
        description=(
            "households with a person of any of these roles always miss their stamps (`resident` "
            "allowed)"
        ),
    )
    attention: Annotated[float, Field(ge=0.0, le=1000.0)] = Field(
        default=1.0,
        description=("factor on a leader's notice for occurrences located in such a household"),
    )


class Weights(Model):
    """Suspicion added per event, by mechanism."""

    reports: NonNegative = Field(
        default=1.0, description="suspicion per report, for observers without their own `weight`"
    )
    finds: NonNegative = Field(
        default=1.0, description="suspicion per state found, for checks without their own `weight`"
    )
    registration: NonNegative = Field(
        default=0.0,
        description="suspicion per registered occurrence, for each person it implicates",
    )
    cascade: NonNegative = Field(
        default=1.0,
        description=(
            "suspicion for being revealed by a seized phone, the operator's records or an "
            "interrogation, once for each exposed person who reveals her"
        ),
    )
    content: NonNegative | None = Field(
        default=None,
        description=(
            "suspicion for being named in a message kept on a seized phone (`content.names` of "
            "its channel), once for each phone that names her, on top of the `cascade` weight "
            "when the same phone also holds her link. Default: the `cascade` weight"
        ),
    )

    @property
    def content_weight(self) -> float:
        """The weight of being named in a kept message: `content`, else the cascade weight."""
        return self.cascade if self.content is None else self.content


class Decay(Model):
    """Suspicion halves every `half_life` days."""

    half_life: Annotated[float, Field(gt=0.0, le=100_000.0)] = Field(
        description="days for suspicion to halve"
    )


class Adversary(Model):
    """How the adversary turns events into suspicion, exposure and seizures."""

    threshold: Annotated[float, Field(gt=0.0, le=1e6)] = Field(
        default=1.0, description="suspicion at which a person is exposed (investigated, arrested)"
    )
    weights: Weights = Field(
        default=Weights(),
        description=(
            "suspicion added per event, by mechanism: `reports`, `finds`, `registration`, "
            "`cascade`, `content`"
        ),
    )
    unlock: Probability = Field(default=1.0, description="chance that a seized phone is unlocked")
    decay: Decay | None = Field(
        default=None, description="if given, suspicion fades: it halves every `half_life` days"
    )


class Countermeasure(Model):
    """A named change of habits: patches that `set` values or `scale` numbers."""

    label: Text | None = Field(default=None, description="a short title. Default: the name")
    description: Text = Field(description="what the learner would do, in plain words")
    cost: Text = Field(description="what it costs the learner (fewer calls get through)")
    effort: NonNegative | None = Field(
        default=None,
        description=(
            "how much trouble it takes, on a scale of your choosing; `exposure compare --budget` "
            "adds it up, the simulation does not read it"
        ),
    )
    one_change: Text | None = Field(
        default=None,
        description=(
            "for a countermeasure of several keys, why they are one change of habit and not a "
            "second habit or an assumed side effect; `exposure validate` notes a countermeasure of "
            "several keys without it"
        ),
    )
    set: dict[Annotated[str, StringConstraints(max_length=200)], Any] = Field(
        default={}, description="dotted keys and the values they take"
    )
    scale: dict[
        Annotated[str, StringConstraints(max_length=200)], Annotated[float, Field(ge=0.0, le=1e6)]
    ] = Field(default={}, description="dotted keys and the factors their numbers are multiplied by")

    @model_validator(mode="after")
    def _has_patch(self) -> Countermeasure:
        if not self.set and not self.scale:
            raise ValueError("a countermeasure needs at least one `set` or `scale` entry")
        return self

    @property
    def changed_keys(self) -> list[str]:
        """The dotted keys it changes, each once, `set` before `scale`."""
        return list(dict.fromkeys([*self.set, *self.scale]))


MAX_CHOICES = 9
MAX_TURNS = 100
# What a model leaves out is said aloud in a session: a list longer than this is not heard.
MAX_LIMITS = 20


class Choice(Model):
    """One option of the tabletop's menu: how the persona works during a turn.

    It patches the scenario like a countermeasure (`set`, `scale`, or a `countermeasure` by name,
    or several of these); a choice with no patch keeps the scenario as written. In a turn the
    player may combine several choices: their patches apply together, unless the exercise says
    they exclude each other.
    """

    name: Name | None = Field(
        default=None,
        description=(
            "a short name that `excludes` can refer to. Default: the name of its `countermeasure`"
        ),
    )
    label: Text = Field(description="the choice as the menu shows it")
    description: Text = Field(
        default="", description="what it means in practice, shown after the label"
    )
    cost: Text | None = Field(
        default=None,
        description="what it costs, shown on the menu. Default: its countermeasure's `cost`",
    )
    excludes: Annotated[list[Name], Field(max_length=MAX_CHOICES)] = Field(
        default=[],
        description=(
            "names of choices that cannot be combined with this one in a turn (it works both ways)"
        ),
    )
    countermeasure: Name | None = Field(
        default=None, description="a countermeasure the choice applies"
    )
    set: dict[Annotated[str, StringConstraints(max_length=200)], Any] = Field(
        default={},
        description=(
            "dotted keys and the values they take during the turn, after `countermeasure`"
        ),
    )
    scale: dict[
        Annotated[str, StringConstraints(max_length=200)], Annotated[float, Field(ge=0.0, le=1e6)]
    ] = Field(
        default={},
        description=("dotted keys and the factors their numbers are multiplied by during the turn"),
    )


MAX_TEAMS = 6


class TeamOption(Model):
    """A choice of the exercise's menu as one team reads it: the same patch, its own words."""

    choice: Name = Field(
        description="the exercise choice it plays, by `name` (or its countermeasure's name)"
    )
    label: Text | None = Field(
        default=None, description="the choice as this team's menu shows it. Default: the choice's"
    )
    description: Text | None = Field(
        default=None, description="what it means for this team. Default: the choice's"
    )
    cost: Text | None = Field(
        default=None, description="what it costs this team. Default: the choice's cost"
    )


class Team(Model):
    """One team of a room playing the tabletop together: a person of the town and her menu.

    Every team plays in the same town and the same run; a team's choices change only its own
    persona's conduct (her activities, how well she hides what she holds, her phone and her
    links), so that what one team does reaches another only through the model: a seized phone,
    a call log, a report naming both.
    """

    name: Name = Field(description="a short name for the team, used in saved games")
    persona: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*(:[1-9][0-9]?)?$")] = Field(
        description=(
            "the person the team plays: `ROLE` (the first person of the role in each run) or "
            "`ROLE:N` (its N-th); the role must have at least N people"
        )
    )
    label: ShortText = Field(description="who the team plays, as a noun phrase: “the trader”")
    brief: Text = Field(
        default="", description="who the team is, in the second person, read at the start"
    )
    situation: Text | Annotated[list[Text], Field(max_length=MAX_TURNS)] | None = Field(
        default=None,
        description="what this team reads at the start of a turn. Default: the exercise's",
    )
    choices: Annotated[list[Name | TeamOption], Field(max_length=MAX_CHOICES)] = Field(
        default=[],
        description=(
            "the team's menu: exercise choices by name, or `{choice, label, description}` to "
            "word one for this team. Default: every choice of the exercise"
        ),
    )

    @property
    def role(self) -> str:
        """The role of the team's persona."""
        return self.persona.partition(":")[0]

    @property
    def number(self) -> int:
        """Which person of the role (from 1)."""
        _role, _sep, n = self.persona.partition(":")
        return int(n) if n else 1


class Exercise(Model):
    """The tabletop: one persona, turns of `turn_days` days, the same menu of choices each turn."""

    persona: Name | None = Field(
        default=None,
        description=(
            "the role the player plays, as its first person in the run: a role with at least one "
            "person, or `resident`. Default: the first role with `at_risk: true`, else `resident`"
        ),
    )
    turn_days: Annotated[int, Field(ge=1, le=MAX_DAYS)] = Field(description="days in one turn")
    turns: Annotated[int, Field(ge=1, le=MAX_TURNS)] | None = Field(
        default=None,
        description=(
            "how many turns are played; the last must start by the last day. Default: as many as "
            "fit in `days` (the last may be shorter)"
        ),
    )
    situation: Text | Annotated[list[Text], Field(max_length=MAX_TURNS)] = Field(
        default="",
        description=(
            "what the player reads at the start of a turn: one text for every turn, or a list of "
            "at most one text per turn (turns past its end get none)"
        ),
    )
    choices: Annotated[list[Choice], Field(min_length=2, max_length=MAX_CHOICES)] = Field(
        description=(
            "the menu, the same every turn, numbered from 1; the player may combine several "
            "choices in a turn (`2 4`), and their patches apply together"
        )
    )
    excludes: Annotated[
        list[Annotated[list[Name], Field(min_length=2, max_length=MAX_CHOICES)]],
        Field(max_length=MAX_CHOICES * MAX_CHOICES),
    ] = Field(
        default=[],
        description=(
            "groups of choice names (`name`, or their countermeasure's) of which a turn may "
            "combine at most one, e.g. `[[fewer_calls, lie_low]]`; two choices that `set` one key "
            "to different values, or one sets and the other scales, must exclude each other"
        ),
    )

    teams: Annotated[list[Team], Field(max_length=MAX_TEAMS)] = Field(
        default=[],
        description=(
            "the teams of `exposure exercise --teams N`, in order: each plays a person of the town "
            "with its own menu of the choices above. Default: N people of the persona's role, "
            "each with every choice that changes one person's conduct"
        ),
    )

    def choice_name(self, index: int) -> str | None:
        """The name `excludes` knows a choice by: its own, else its countermeasure's."""
        choice = self.choices[index]
        return choice.name or choice.countermeasure

    def excluded_pairs(self) -> set[tuple[int, int]]:
        """Pairs (i, j), i < j, of choices that may not be combined, as the block declares them."""
        index: dict[str, int] = {}
        for k in range(len(self.choices)):
            name = self.choice_name(k)
            if name is not None:
                index.setdefault(name, k)
        pairs: set[tuple[int, int]] = set()
        for group in self.excludes:
            members = sorted({index[n] for n in group if n in index})
            pairs |= {(a, b) for i, a in enumerate(members) for b in members[i + 1 :]}
        for k, choice in enumerate(self.choices):
            for other in choice.excludes:
                if other in index and index[other] != k:
                    pairs.add((min(k, index[other]), max(k, index[other])))
        return pairs

    def turn_count(self, days: int) -> int:
        """Turns played: as given, or as many as fit in `days` (the last may be shorter)."""
        return self.turns if self.turns is not None else -(-days // self.turn_days)

    def situation_of(self, turn: int) -> str:
        """The situation text of a turn (from 1): its own item of a list, or the one text."""
        if isinstance(self.situation, str):
            return self.situation
        return self.situation[turn - 1] if turn <= len(self.situation) else ""


class Condition(Model):
    """The region of a parameter's sourced range in which a claim is said to hold."""

    param: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        description="the dotted key of a parameter with a sourced range, as `--set` names it"
    )
    above: float | None = Field(
        default=None, description="the claim is said to hold when the parameter is above this"
    )
    below: float | None = Field(
        default=None, description="the claim is said to hold when the parameter is below this"
    )
    says: ShortText | None = Field(
        default=None,
        description=(
            "the condition in the claim's own words, read aloud with it (e.g. \"a radio fix takes "
            'a minute or more"); without it the key and the value are shown'
        ),
    )

    @model_validator(mode="after")
    def _one_side(self) -> Condition:
        if (self.above is None) == (self.below is None):
            raise ValueError("give exactly one of `above: VALUE` or `below: VALUE`")
        return self


_WHEN = (
    "the condition under which the claim is said to hold, {param: KEY, above: T} (or below:), or "
    "a list of them that hold together: `validate --robust` then checks the claim only in that "
    "part of the parameters' ranges"
)


def _conditions(value: Any) -> Any:
    """`when: {param: …}` is short for `when: [{param: …}]`."""
    return [value] if isinstance(value, dict) else value


Conditions = Annotated[list[Condition], BeforeValidator(_conditions)]


class EffectClaim(Model):
    """A countermeasure lowers (or raises) a role's exposure: its paired 95% interval excludes 0."""

    countermeasure: Name = Field(description="the countermeasure whose effect is claimed")
    lowers: Name | None = Field(
        default=None,
        description=(
            "the role whose exposure it lowers: the paired change of the role's share exposed by "
            "the last day, with the countermeasure minus without it on the same runs, has its "
            "whole 95% interval below −`by_at_least`"
        ),
    )
    raises: Name | None = Field(
        default=None,
        description=(
            "the role whose exposure it raises: the same interval lies above `by_at_least`"
        ),
    )
    by_at_least: Probability = Field(
        default=0.0, description="how large the change must be, as a share (0.1 is ten points)"
    )
    when: Conditions = Field(default=[], description=_WHEN)

    @model_validator(mode="after")
    def _one_direction(self) -> EffectClaim:
        if (self.lowers is None) == (self.raises is None):
            raise ValueError(
                "say what the countermeasure does: give exactly one of `lowers: ROLE` or "
                "`raises: ROLE`"
            )
        return self

    @property
    def role(self) -> str:
        """The role whose exposure the claim is about."""
        return self.lowers if self.lowers is not None else str(self.raises)


class CauseClaim(Model):
    """A cause is the most common way a role is exposed, ahead of all others with 95% confidence."""

    cause: Name = Field(
        description=(
            "an observer or a check by name, `cascade` (revealed by a seized phone, the "
            "operator's records or an interrogation, or named in a kept message) or `registration`"
        )
    )
    most_common_for: Name = Field(
        description=(
            "the role for which this cause leads every other: against each other cause, its share "
            "of the role's exposures minus the other's has its whole 95% interval above zero"
        )
    )
    when: Conditions = Field(default=[], description=_WHEN)


class ComparisonClaim(Model):
    """One countermeasure protects a role more than another: the paired difference excludes 0."""

    countermeasure: Name = Field(description="the countermeasure claimed to protect more")
    protects: Name = Field(description="the role it protects")
    more_than: Name = Field(
        description=(
            "the countermeasure it protects more than: the role's share exposed with "
            "`countermeasure` minus with `more_than`, on the same runs, has its whole 95% "
            "interval below zero"
        )
    )
    when: Conditions = Field(default=[], description=_WHEN)

    @property
    def role(self) -> str:
        """The role whose exposure the claim is about."""
        return self.protects


def _one_or_more(value: Any) -> Any:
    """`with: travel_phone` is short for `with: [travel_phone]`."""
    return [value] if isinstance(value, str) else value


class ExposureClaim(Model):
    """A role's share exposed by a day lies above (or below) a share: its whole 95% interval."""

    role: Name = Field(description="the role whose share exposed is claimed: a role or `resident`")
    exposed_within: Annotated[int, Field(ge=1, le=MAX_DAYS)] | None = Field(
        default=None,
        description="the day by which the share exposed is counted. Default: the last day",
    )
    above: Probability | None = Field(
        default=None, description="the share the whole 95% interval must lie above (0.5 is 50%)"
    )
    below: Probability | None = Field(
        default=None, description="the share the whole 95% interval must lie below"
    )
    with_: Annotated[list[Name], BeforeValidator(_one_or_more)] = Field(
        default=[],
        alias="with",
        description="countermeasures applied for this claim: one name or a list",
    )
    when: Conditions = Field(default=[], description=_WHEN)

    @model_validator(mode="after")
    def _one_bound(self) -> ExposureClaim:
        if (self.above is None) == (self.below is None):
            raise ValueError("give exactly one of `above: SHARE` or `below: SHARE`")
        return self


def _claim_kind(value: Any) -> str | None:
    """Which claim a mapping (or, when serialising, a claim) is, by its leading key."""
    for kind, tag in (
        (ComparisonClaim, "comparison-claim"),
        (EffectClaim, "effect-claim"),
        (CauseClaim, "cause-claim"),
        (ExposureClaim, "exposure-claim"),
    ):
        if isinstance(value, kind):
            return tag
    if isinstance(value, dict):
        for key, tag in (
            ("more_than", "comparison-claim"),
            ("protects", "comparison-claim"),
            ("countermeasure", "effect-claim"),
            ("cause", "cause-claim"),
            ("role", "exposure-claim"),
        ):
            if key in value:
                return tag
    return None


# Any one claim, once validated.
AnyClaim = EffectClaim | ComparisonClaim | CauseClaim | ExposureClaim

# Tags contain a hyphen so that they never match a key of the data (error locations skip them).
Claim = Annotated[
    Annotated[EffectClaim, Tag("effect-claim")]
    | Annotated[ComparisonClaim, Tag("comparison-claim")]
    | Annotated[CauseClaim, Tag("cause-claim")]
    | Annotated[ExposureClaim, Tag("exposure-claim")],
    Discriminator(
        _claim_kind,
        custom_error_type="claim_kind",
        custom_error_message=(
            "an `expect` clause is a mapping with one of `countermeasure`, `cause` or `role`"
        ),
    ),
]


class Objective(Model):
    """A learning objective with the claims the simulation must bear out."""

    text: Text = Field(description="the objective in words")
    expect: Annotated[
        Annotated[Claim, Tag("one-claim")]
        | Annotated[Annotated[list[Claim], Field(min_length=1, max_length=20)], Tag("claims")],
        Discriminator(lambda v: "claims" if isinstance(v, list) else "one-claim"),
    ] = Field(
        description=(
            "one claim, or a list of claims, that the simulation must bear out, each decided by a "
            "95% interval: {countermeasure: NAME, lowers: ROLE} (or raises:), {countermeasure: "
            "NAME, protects: ROLE, more_than: NAME}, {cause: NAME, most_common_for: ROLE}, "
            "{role: ROLE, exposed_within: DAYS, above: SHARE} (or below:); any of them may add "
            "`when: {param: KEY, above: T}` (or below:)"
        )
    )

    @property
    def claims(self) -> list[AnyClaim]:
        """The claims as a list, however many were written."""
        return list(self.expect) if isinstance(self.expect, list) else [self.expect]


LearningObjective = Annotated[
    Annotated[Text, Tag("text")] | Annotated[Objective, Tag("objective")],
    Discriminator(lambda v: "objective" if _is_objective(v) else "text"),
]


def _is_objective(value: Any) -> bool:
    """An objective with claims, not a text (plain, or one per language: all keys are codes)."""
    if isinstance(value, Objective):
        return True
    return isinstance(value, dict) and not (value and all(map(is_language_code, value)))


def objective_text(objective: str | Objective) -> str:
    """The words of a learning objective, with or without claims."""
    return objective if isinstance(objective, str) else objective.text


class Scenario(Model):
    """A whole scenario: who lives where, what they do, who watches, and what helps."""

    name: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)] = Field(
        description=(
            "short identifier used on the command line and in results: lower-case letters, digits "
            "and `-`, starting with a letter or digit"
        )
    )
    language: LanguageCode = Field(
        default="en",
        description=(
            "the language of the scenario's plain text (ISO 639 code: `en`, `ko`, `fa`); any text "
            "may instead give one version per language, `{en: …, ko: …}`, and readers get the one "
            "`--lang` asks for"
        ),
    )
    languages: Annotated[list[LanguageCode], Field(max_length=20)] = Field(
        default=[],
        description=(
            "every language the scenario's text is complete in; `exposure validate` names each "
            "text that lacks one of them"
        ),
    )
    title: Text = Field(description="the scenario's title, shown to learners")
    place: Text = Field(
        default="",
        description=(
            "where and when the story is set, shown by `exposure list` and the gallery (Cuba, a "
            "neighbourhood of Havana, 2018)"
        ),
    )
    summary: Text = Field(
        description="two or three sentences for learners: who is at risk, and from what"
    )
    context: Text = Field(
        default="",
        description=("the longer story: the place, the people, why the numbers are what they are"),
    )
    learning_objectives: list[LearningObjective] = Field(
        default=[],
        description=(
            "what learners should take away, one item each: plain text, or `text` with `expect`, "
            "claims that `exposure validate --check-objectives` simulates and checks"
        ),
    )
    limits: Annotated[list[Text], Field(max_length=MAX_LIMITS)] = Field(
        default=[],
        description=(
            "what the model leaves out that a trainer should say aloud, one plain sentence each "
            "(Interrogation: a person in custody can be made to name contacts; here only the phone "
            "gives names away); `show`, the report and the exercise's Debrief list them"
        ),
    )
    sources: dict[Name, Source] = Field(
        default={},
        description=(
            "where the numbers come from, by name: each source says how solid it is (`basis`) and "
            "which keys it backs (`supports`); mark your own guesses `estimate`"
        ),
    )
    days: Annotated[int, Field(ge=1, le=MAX_DAYS)] = Field(
        description="how many days each run lasts"
    )
    runs: Annotated[int, Field(ge=1, le=1_000_000)] = Field(
        default=200,
        description="how many runs `exposure run` simulates when no `--runs N` is given",
    )
    population: Population = Field(
        description=(
            "people live in households, and households form units (an inminban, a grid, a block "
            "committee)"
        )
    )
    contacts: Contacts = Field(
        default=Contacts(),
        description=(
            "who knows whom: informants watch their links, partners are picked among links, and a "
            "seized phone or the operator's records give links away; every part is optional"
        ),
    )
    channels: Annotated[dict[Name, Channel], Field(max_length=100)] = Field(
        default={},
        description=(
            "ways of communicating (a smuggled phone, SMS, a messenger, face to face), by name, "
            "and what they leave for an adversary"
        ),
    )
    groups: Annotated[dict[Name, Group], Field(max_length=100)] = Field(
        default={},
        description=("group chats, by name: every person of some roles in one chat on a channel"),
    )
    states: dict[Name, State] = Field(
        default={},
        description=(
            "things a person holds that a check can find (a foreign phone, an unregistered "
            "guest), by name"
        ),
    )
    activities: dict[Name, Activity] = Field(
        default={}, description="what people do that leaves traces or sets states, by name"
    )
    observers: dict[Name, Observer] = Field(
        default={},
        description=(
            "who notices traces and reports them, by name: leaders, informants, the operator, "
            "radio detection, police"
        ),
    )
    checks: dict[Name, Check] = Field(
        default={},
        description=("inspections on a schedule (`every`) or at a rate that find states, by name"),
    )
    campaigns: dict[Name, Campaign] = Field(
        default={},
        description=(
            "periods when some observers' or checks' rates are multiplied (a sweep, a lockdown), "
            "by name"
        ),
    )
    standing: Standing | None = Field(
        default=None,
        description=(
            "households missing confirmation stamps, whom their leader watches more closely"
        ),
    )
    adversary: Adversary = Field(
        default=Adversary(),
        description=("how reports, finds and reveals become suspicion, and suspicion an exposure"),
    )
    countermeasures: dict[Name, Countermeasure] = Field(
        default={},
        description=(
            "named changes of habits, written as patches (`set` a value, `scale` a number), each "
            "with its cost; `exposure compare` ranks them"
        ),
    )
    exercise: Exercise | None = Field(
        default=None,
        description=(
            "the tabletop exercise (`exposure exercise`): one persona, turns of some days, the "
            "same menu of choices each turn"
        ),
    )

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
    if spec is None and name in (RESIDENT, EVERYONE):
        from simulator.i18n import _

        # The roles every scenario has, named in the reader's language.
        return _("resident") if name == RESIDENT else _("everyone")
    return (spec.label if spec is not None else None) or plain_name(name)
