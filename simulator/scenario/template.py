"""Starting a new scenario: a bundled one (or a small template) with every key explained.

`exposure new NAME --from SCENARIO` writes the scenario's YAML under a new name, keeping its own
comments and adding, above the first use of every key, a comment that says what the key means.
The notes follow docs/scenario-format.md, which stays the full reference.
"""

from __future__ import annotations

import io
import re
import textwrap
from importlib import resources
from typing import Any

from pydantic import BaseModel
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from simulator.errors import UsageError, did_you_mean
from simulator.scenario.loader import Path_, decode_text, parse_yaml
from simulator.scenario.validation import _unwrap, types_at, validate_model

TEMPLATE = "template.yaml"
COMMENT_WIDTH = 98
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")

# One note per key of every part of the format, by the part (model) it belongs to.
NOTES: dict[str, dict[str, str]] = {
    "Scenario": {
        "name": "short identifier used on the command line and in results: lower-case letters, digits, hyphens",
        "title": "the title learners see",
        "place": "where and when the story is set, shown by `exposure list` (e.g. a country and years)",
        "summary": "two or three sentences for learners: who is at risk, and from what",
        "context": "the longer story: the place, the people, why the numbers are what they are",
        "learning_objectives": (
            "what learners should take away, one item each: plain text, or `text:` with `expect:`, "
            "claims that `exposure validate --check-objectives` simulates and checks (see `expect`)"
        ),
        "sources": (
            "where the numbers come from; each source says how solid it is (`basis`) and which keys it "
            "backs (`supports`). Mark your own guesses `estimate`"
        ),
        "days": "how many days each run lasts (1 to 3650)",
        "runs": "how many runs `exposure run` simulates unless --runs says otherwise (default 200)",
        "population": "people live in households; households form units (an inminban, a grid, a block)",
        "contacts": (
            "who knows whom: informants watch their links, partners are picked among links, and a "
            "seized phone gives away the links it holds. Every part is optional"
        ),
        "channels": (
            "ways of communicating (a smuggled phone, SMS, a messenger, face to face) and what they "
            "leave for an adversary"
        ),
        "groups": "group chats: every person of some roles in one chat on a channel",
        "states": "things a person holds that a check can find: a foreign phone, an unregistered guest",
        "activities": "what people do that leaves traces or sets states; name each one as you like",
        "observers": "who notices traces and reports them: leaders, informants, the operator, radio detection, police",
        "checks": "inspections on a schedule (`every`) or at a rate, finding states",
        "campaigns": "periods when some observers' or checks' rates are multiplied (a sweep, a lockdown)",
        "standing": "households missing confirmation stamps, whom their leader watches more closely",
        "adversary": "how reports, finds and reveals become suspicion, and suspicion an investigation",
        "countermeasures": (
            "named changes of habits, written as patches (`set` a value, `scale` a number), each "
            "with its cost; `exposure compare` ranks them"
        ),
        "exercise": "the tabletop exercise: one persona, turns of some days, a menu of choices each turn",
    },
    "Objective": {
        "text": "the objective in words",
        "expect": (
            "one claim, or a list of claims, that the simulation must bear out, each decided by a 95% "
            "interval: {countermeasure: NAME, lowers: ROLE} (or raises:), {cause: NAME, most_common_for: "
            "ROLE}, {role: ROLE, exposed_within: DAYS, above: SHARE} (or below:)"
        ),
    },
    "EffectClaim": {
        "countermeasure": "the countermeasure whose effect is claimed",
        "lowers": "the role whose exposure it lowers (the paired interval of the change is below zero)",
        "raises": "the role whose exposure it raises (the paired interval of the change is above zero)",
        "by_at_least": "how large the change must be, as a share (0.1 is 10 points); default 0",
    },
    "CauseClaim": {
        "cause": "an observer or check by name, or `cascade` (a seized phone or log) or `registration`",
        "most_common_for": "the role for which this cause leads every other cause of exposure",
    },
    "ExposureClaim": {
        "role": "the role whose share exposed is claimed",
        "exposed_within": "by which day (default: the last day)",
        "above": "the share the whole 95% interval must lie above (0.5 is 50%)",
        "below": "the share the whole 95% interval must lie below",
        "with": "countermeasures applied for this claim (one name or a list)",
    },
    "Source": {
        "cite": "the reference, in words a learner can look up",
        "basis": "`reported` (first-hand), `secondary` (someone's summary of reports) or `estimate` (a judgement)",
        "url": "where to find it",
        "supports": "the dotted keys this source backs, e.g. observers.df.fix_minutes",
    },
    "Population": {
        "units": "how many units the town has",
        "unit_label": "what a unit is called locally (inminban, grid, block)",
        "households_per_unit": "households in each unit: a number, or a range [low, high] drawn each run",
        "household_size": "people in each household: a number or a range [low, high]",
        "roles": "the kinds of people the scenario is about, with their numbers; everyone else is a `resident`",
    },
    "Role": {
        "count": "how many people have this role in each run, placed at random in the town",
        "label": "the role's plain name in texts",
        "description": "one sentence about the role",
        "at_risk": "whether results put this role forward as one of the people at risk (default true)",
    },
    "Contacts": {
        "household": "link every pair of people who share a household (`{}` for links without a channel)",
        "neighbours": "random links inside each unit",
        "across_units": "random links between people of different units",
        "random": "random links anywhere in the town",
        "ties": "explicit links from every person of one role to people of another",
    },
    "HouseholdLinks": {
        "channel": "the channel of these links (none: a seized phone never reveals them)"
    },
    "Mixing": {
        "mean_degree": "the average number of such links per person",
        "channel": "the channel of these links (none: a seized phone never reveals them)",
    },
    "Tie": {
        "from": "the role whose every person gets links",
        "to": "the role they are linked to",
        "channel": "the channel of these links",
        "each": "how many people of `to` each person of `from` is linked to (default: all)",
    },
    "Channel": {
        "kind": "plaintext, transport (the server reads), end_to_end, end_to_end_sealed (sender hidden), mesh or in_person",
        "label": "its plain name in texts",
        "operator_logs": "whether the network operator records who contacts whom (default: by kind)",
        "radio": "whether direction-finding can locate a transmission",
        "forward_secrecy": "whether today's keys cannot decrypt old messages (read by `exposure tap` and `seize`)",
        "retention_days": "how long messages stay on the phone (disappearing messages); 0 keeps none",
        "stores_contacts": "whether the phone keeps an entry for every link on this channel (default: by kind)",
        "reveal": "chances that one link is given away: `device` by an unlocked seized phone, `metadata` by the operator's records",
    },
    "Reveal": {
        "device": "chance that an unlocked, seized phone gives up one link it holds (default 1)",
        "metadata": "chance that the operator's records give up one link a message was exchanged on (default 0)",
    },
    "Group": {
        "label": "its plain name in texts",
        "channel": "the channel the chat runs on",
        "members": "roles whose every person is in the chat",
        "admins": "roles whose people run the chat (in every cell)",
        "cell_size": "split the members into chats of at most this many",
    },
    "State": {
        "label": "plain name in texts",
        "concealment": "how well it is hidden: a check's chance of finding it is multiplied by 1 - concealment",
    },
    "Frequency": {
        "per_day": "chance on any given day (0 to 1)",
        "per_week": "times a week (0 to 7); means per_week / 7 a day",
        "per_month": "times a month (0 to 30); means per_month / 30 a day",
    },
    "Activity": {
        "who": "who does it: a role, `resident` or `everyone`",
        "label": "plain description in texts",
        "channel": "the channel used; it adds a radio trace (radio channels) and a metadata trace (logged channels)",
        "with": "a partner picked among the actor's links to this role (`contact`: anyone linked), or a group",
        "at": "whose home it happens in: `home` (the actor's) or `partner` (the partner's)",
        "minutes": "how long a call lasts; radio direction-finding reads it",
        "nights": "how long a stay lasts, which is how long its state lasts",
        "registers": "chance that an occurrence is registered with the authorities (legal, but on file)",
        "offers_bribe": "whether the actor offers a bribe to an observer that takes one",
        "traces": "traces it leaves itself: presence (a guest), travel (passes checkpoints), behaviour (looks odd)",
        "state": "a state each occurrence sets",
        "state_days": "how long the state lasts (default: `nights`, else for good)",
    },
    "Observer": {
        "kind": "leader, informant, operator, direction_finding or general",
        "label": "plain name in texts",
        "per_unit": "how many are placed in each unit among residents (leaders and informants)",
        "density": "share of residents who inform (informants, instead of per_unit)",
        "notice": "chance of noticing one trace of each kind: presence, travel, behaviour, radio, metadata",
        "fix_minutes": "radio: a call of m minutes is located with chance (1 - e^(-m/fix_minutes)) x coverage",
        "coverage": "share of radio traces within reach of a listening detector",
        "channels": "operator only: the channels whose metadata it sees",
        "reports": "chance that a noticed occurrence is reported",
        "weight": "suspicion one report adds (default: adversary.weights.reports)",
        "bribe": "a bribe that can stop a report: price, currency, and the chance it is accepted",
    },
    "Bribe": {
        "price": "what it costs, for texts",
        "currency": "the currency of the price (default RMB)",
        "accepts": "chance that the observer takes it and stays silent",
    },
    "Check": {
        "label": "plain name in texts",
        "every": "fires on days every, 2 x every, ... (instead of a rate)",
        "scope": "who is inspected: `everyone`, `travellers` (people travelling today) or a list of roles",
        "coverage": "share of the scope inspected when a scheduled check fires",
        "finds": "chance of finding each state a person holds",
        "weight": "suspicion one find adds (default: adversary.weights.finds)",
    },
    "Campaign": {
        "label": "plain name in texts",
        "start": "first day",
        "end": "last day, included",
        "multiply": "factor on each observer's notice or check's rate, by name",
    },
    "Standing": {
        "label": "plain description",
        "share": "chance that a household misses its stamps, drawn once a run",
        "roles": "households with a person of these roles always miss their stamps",
        "attention": "factor on a leader's notice for such households",
    },
    "Adversary": {
        "threshold": "suspicion at which a person is exposed (investigated, arrested)",
        "weights": "suspicion per event: reports, finds, registration (per registered occurrence), cascade (revealed by a seized phone or log)",
        "unlock": "chance that a seized phone is unlocked",
        "decay": "suspicion fades: it halves every `half_life` days",
    },
    "Weights": {
        "reports": "suspicion per report (observers without their own weight)",
        "finds": "suspicion per state found (checks without their own weight)",
        "registration": "suspicion per registered occurrence, for each person it names",
        "cascade": "suspicion for being revealed by a seized phone or the operator's records",
    },
    "Decay": {"half_life": "days for suspicion to halve"},
    "Countermeasure": {
        "label": "short title",
        "description": "what the learner would do, in plain words",
        "cost": "what it costs the learner",
        "effort": "how much trouble it takes, on a scale of your choosing (used by `compare --budget`)",
        "set": "dotted keys and the values they take",
        "scale": "dotted keys and the factors their numbers are multiplied by",
    },
    "Exercise": {
        "persona": "the role the players act as",
        "turn_days": "days each turn lasts",
        "turns": "how many turns are played (default: as many as fit in `days`)",
        "situation": "what the players are told: one text, or one per turn",
        "choices": "the menu offered every turn (2 to 9 choices)",
    },
    "Choice": {
        "label": "short title of the choice",
        "description": "what it means in practice",
        "countermeasure": "a countermeasure the choice applies",
        "set": "dotted keys and the values they take during the turn",
        "scale": "dotted keys and the factors their numbers are multiplied by during the turn",
    },
}


def _models_at(path: Path_) -> list[type[BaseModel]]:
    """The parts of the format (models) a mapping at `path` may be."""
    return [
        alt
        for tp in types_at(path)
        for alt in _unwrap(tp)
        if isinstance(alt, type) and issubclass(alt, BaseModel)
    ]


def note_for(path: Path_, key: str) -> str | None:
    """The note explaining `key` in the mapping at `path`, or None for a name the author chose."""
    for model in _models_at(path) if path else [_scenario_model()]:
        fields = {info.alias or name for name, info in model.model_fields.items()}
        if key not in fields:
            continue
        for cls in model.__mro__:
            note = NOTES.get(cls.__name__, {}).get(key)
            if note is not None:
                return note
    return None


def _scenario_model() -> type[BaseModel]:
    from simulator.scenario.model import Scenario

    return Scenario


def _is_flow(node: Any) -> bool:
    return bool(getattr(node, "fa", None) is not None and node.fa.flow_style())


def _wrap(key: str, note: str, indent: int) -> str:
    return "\n".join(textwrap.wrap(f"{key}: {note}.", width=COMMENT_WIDTH - indent - 2))


class _Annotator:
    """Adds a note above the first use of every key, walking the round-trip tree in file order."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, ...]] = set()

    def _first(self, path: Path_, key: str) -> str | None:
        note = note_for(path, key)
        if note is None:
            return None
        ident = (*(m.__name__ for m in _models_at(path)), key) if path else ("Scenario", key)
        if ident in self.seen:
            return None
        self.seen.add(ident)
        return note

    def _inline_notes(self, node: Any, path: Path_) -> list[str]:
        """Notes for keys written inside a flow mapping, which cannot hold comments of their own."""
        out: list[str] = []
        if isinstance(node, CommentedMap):
            for key, value in node.items():
                note = self._first(path, str(key))
                if note is not None:
                    out.append(f"{key}: {note}.")
                out += self._inline_notes(value, (*path, str(key)))
        elif isinstance(node, CommentedSeq):
            for i, item in enumerate(node):
                out += self._inline_notes(item, (*path, i))
        return out

    def _notes(self, node: CommentedMap, path: Path_, indent: int) -> dict[Any, str]:
        """The comment to put above each key of a block mapping (first uses only)."""
        out: dict[Any, str] = {}
        for key, value in node.items():
            child = (*path, str(key))
            lines: list[str] = []
            note = self._first(path, str(key))
            if note is not None:
                lines.append(_wrap(str(key), note, indent))
            if _is_flow(value):
                extra = self._inline_notes(value, child)
                if extra:
                    lines.append(
                        "\n".join(textwrap.wrap(" ".join(extra), width=COMMENT_WIDTH - indent - 2))
                    )
            if lines:
                out[key] = "\n".join(lines)
        return out

    def walk(self, node: Any, path: Path_, indent: int) -> None:
        """Annotate a block mapping or sequence and everything inside it."""
        if isinstance(node, CommentedMap):
            notes = self._notes(node, path, indent)
            for key in list(node.keys()):
                if not _is_flow(node[key]):
                    self.walk(node[key], (*path, str(key)), indent + 2)
                if key in notes:
                    node.yaml_set_comment_before_after_key(key, before=notes[key], indent=indent)
        elif isinstance(node, CommentedSeq):
            for i, item in enumerate(node):
                child = (*path, i)
                if _is_flow(item):
                    text = "\n".join(
                        textwrap.wrap(
                            " ".join(self._inline_notes(item, child)),
                            width=COMMENT_WIDTH - indent - 2,
                        )
                    )
                elif isinstance(item, CommentedMap):
                    # A comment above the first key of an item would land after its dash: put the
                    # notes of the item's own keys above the item instead.
                    notes = self._notes(item, child, indent)
                    text = "\n".join(notes.values())
                    for key in list(item.keys()):
                        if not _is_flow(item[key]):
                            self.walk(item[key], (*child, str(key)), indent + 4)
                else:
                    text = ""
                if text:
                    node.yaml_set_comment_before_after_key(i, before=text, indent=indent)


def _yaml() -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.width = 4096  # keep the source's own line breaks; never re-wrap its text
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.preserve_quotes = True
    return yaml


def annotate(text: str, name: str, origin: str) -> str:
    """A scenario's YAML renamed to `name`, with a header and every key explained in a comment."""
    yaml = _yaml()
    tree = yaml.load(text)
    if not isinstance(tree, CommentedMap):
        raise UsageError(f"{origin}: is not a scenario (a mapping of keys to values)")
    tree["name"] = name
    _Annotator().walk(tree, (), 0)
    buffer = io.StringIO()
    yaml.dump(tree, buffer)
    header = [
        f"# {name}: a new scenario, started from {origin} with `exposure new`.",
        "# Edit the values to fit your training. A comment above the first use of every key says what it",
        "# means; docs/scenario-format.md has the full reference. Keep personas as roles and pseudonyms:",
        "# never enter the real name of a person you work with.",
        f"# Check your changes with `exposure validate {name}.yaml --check-objectives`, read the scenario",
        f"# in plain words with `exposure show {name}.yaml`, and simulate it with `exposure run {name}.yaml`.",
        "",
    ]
    return "\n".join(header) + buffer.getvalue()


def template_text() -> str:
    """The small commented template `exposure new` starts from by default."""
    return (resources.files("simulator") / "scenario" / TEMPLATE).read_text(encoding="utf-8")


def new_scenario(name: str, origin: str | None) -> str:
    """The text of a new scenario named `name`, from a bundled scenario or the template.

    The text is validated before it is returned, so that `exposure new` never writes a file that
    `exposure validate` would refuse.
    """
    from simulator.scenario import bundled_dir, bundled_names

    if not NAME_PATTERN.match(name):
        raise UsageError(
            f"{name}: a scenario name is lower-case letters, digits and -, starting with a letter or digit (at most 64)"
        )
    if origin is None:
        text, label = template_text(), "Exposure's small template"
    else:
        names = bundled_names()
        if origin not in names:
            raise UsageError(
                f"no bundled scenario by this name{did_you_mean(origin, names)}; "
                f"bundled: {', '.join(names)}",
                subject="origin",
                given=origin,
            )
        raw = (bundled_dir() / f"{origin}.yaml").read_bytes()
        text, label = decode_text(raw, origin), f"the bundled scenario `{origin}`"
    out = annotate(text, name, label)
    raw_out = out.encode("utf-8")
    validate_model(parse_yaml(out, raw_out, f"{name}.yaml"))
    return out
