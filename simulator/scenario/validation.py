"""Validation: pydantic's errors and cross-references, as located one-line problems."""

from __future__ import annotations

import re
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from simulator.errors import Problem, ScenarioError, ascii_number, did_you_mean
from simulator.scenario.loader import Document, Path_, describe, split_key
from simulator.scenario.model import (
    ANY_CONTACT,
    EVERYONE,
    MAX_GROUP_PEOPLE,
    MAX_TURNS,
    RESIDENT,
    AnyClaim,
    CauseClaim,
    ComparisonClaim,
    EffectClaim,
    Objective,
    Scenario,
)

_TYPE_MESSAGES = {
    "int_type": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "bool_type": "expected true or false",
    "string_type": "expected text",
    "dict_type": "expected a mapping of keys to values",
    "model_type": "expected a mapping of keys to values",
    "model_attributes_type": "expected a mapping of keys to values",
    "list_type": "expected a list",
    "tuple_type": "expected a list",
    "finite_number": "must be a finite number",
    "none_required": "expected nothing here",
}


def _unwrap(tp: Any) -> list[Any]:
    """The concrete alternatives of a type annotation."""
    origin = get_origin(tp)
    if origin is Annotated:
        return _unwrap(get_args(tp)[0])
    if origin in (Union, types.UnionType):
        out: list[Any] = []
        for arg in get_args(tp):
            if arg is not type(None):
                out.extend(_unwrap(arg))
        return out
    return [tp]


def _field_key(model: type[BaseModel], name: str) -> str:
    info = model.model_fields[name]
    return info.alias or name


def model_keys(model: type[BaseModel]) -> list[str]:
    """The keys a model accepts, as written in scenario files."""
    return [_field_key(model, name) for name in model.model_fields]


def _child_types(tp: Any, part: str | int) -> list[Any]:
    out: list[Any] = []
    for alt in _unwrap(tp):
        if isinstance(alt, type) and issubclass(alt, BaseModel):
            for name, info in alt.model_fields.items():
                if (info.alias or name) == part:
                    out.append(info.annotation)
        elif get_origin(alt) is dict and isinstance(part, str):
            out.append(get_args(alt)[1])
        elif get_origin(alt) in (list, tuple) and isinstance(part, int):
            out.append(get_args(alt)[0])
    return out


def types_at(path: Path_) -> list[Any]:
    """The possible types of the value at a path in a scenario (empty if no such key)."""
    current: list[Any] = [Scenario]
    for part in path:
        current = [child for tp in current for child in _child_types(tp, part)]
        if not current:
            return []
    return current


def keys_at(path: Path_) -> list[str]:
    """The fixed keys a mapping at `path` accepts (empty for free-named mappings)."""
    keys: list[str] = []
    for alt in (a for tp in types_at(path) for a in _unwrap(tp)):
        if isinstance(alt, type) and issubclass(alt, BaseModel):
            keys.extend(model_keys(alt))
    return keys


def _data_path(data: Any, loc: tuple[Any, ...], kind: str) -> Path_:
    """Keep the parts of pydantic's location that index the data (dropping union-member tags)."""
    path: list[str | int] = []
    current = data
    for i, part in enumerate(loc):
        if (isinstance(current, dict) and part in current) or (
            isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        ):
            path.append(part)
            current = current[part]
        elif kind == "missing" and i == len(loc) - 1 and isinstance(part, str):
            path.append(part)
    return tuple(path)


def _expected_literals(ctx: dict[str, Any]) -> list[str]:
    return re.findall(r"'([^']*)'", str(ctx.get("expected", "")))


def _message(err: dict[str, Any], path: Path_) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    value = err.get("input")
    got = f" (got {describe(value)})" if not isinstance(value, (dict, list)) else ""
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        key = str(path[-1]) if path else ""
        return "unknown key" + did_you_mean(key, keys_at(path[:-1]))
    if kind == "literal_error" and path and path[-1] == "scope":
        return f"must be `everyone`, `travellers` or a list of roles{got}"
    if kind == "literal_error":
        options = _expected_literals(ctx)
        listed = ", ".join(f"`{o}`" for o in options)
        hint = did_you_mean(str(value), options) if isinstance(value, str) else ""
        return f"must be one of {listed}{got}{hint}"
    if kind == "string_pattern_mismatch":
        if path and path[0] == "name" and len(path) == 1:
            return f"must be lower-case letters, digits and hyphens{got}"
        return f"names use lower-case letters, digits and underscores, starting with a letter{got}"
    if kind == "less_than_equal" and float(ctx.get("le", 0) or 0) == 1.0:
        return f"is a probability: must be between 0 and 1{got}"
    if kind == "greater_than_equal":
        bound = ctx.get("ge")
        if float(bound or 0) == 0.0:
            return f"must not be negative{got}"
        return f"must be at least {bound}{got}"
    if kind == "less_than_equal":
        return f"must be at most {ctx.get('le')}{got}"
    if kind == "greater_than":
        return f"must be greater than {ctx.get('gt')}{got}"
    if kind == "too_long":
        return f"has too many entries (at most {ctx.get('max_length')})"
    if kind == "string_too_long":
        return f"is too long (at most {ctx.get('max_length')} characters)"
    if kind == "value_error":
        msg = str(ctx.get("error", err["msg"]))
        msg = msg.removeprefix("Value error, ")
        return msg if "(got" in msg else f"{msg}{got}"
    if kind in _TYPE_MESSAGES:
        return _TYPE_MESSAGES[kind] + got
    return f"{err['msg']}{got}"


def pydantic_problems(exc: ValidationError, doc: Document) -> list[Problem]:
    """Turn pydantic's errors into located problems, one per key."""
    seen: dict[Path_, Problem] = {}
    for err in exc.errors(include_url=False):
        path = _data_path(doc.data, tuple(err["loc"]), err["type"])
        if path in seen and err["type"] != "literal_error":
            continue
        message = _message(dict(err), path)
        seen[path] = doc.problem(path, message, key=err["type"] in ("extra_forbidden", "missing"))
    return list(seen.values())


def validate_model(doc: Document, texts: list[Any] | None = None) -> Scenario:
    """Validate a document into a Scenario, raising every problem at once.

    Texts come out in the language in force (see `one_language`); `texts`, if given, receives every
    text value of the document as written.
    """
    data = doc.data if isinstance(doc.data, dict) else {}
    base = data.get("language")
    context = {"language": base if isinstance(base, str) else "en", "texts": texts}
    try:
        scenario = Scenario.model_validate(doc.data, context=context)
    except ValidationError as exc:
        raise ScenarioError(pydantic_problems(exc, doc)) from None
    problems = reference_problems(scenario, doc)
    if problems:
        raise ScenarioError(problems)
    return scenario


def untranslated(doc: Document) -> list[Problem]:
    """One problem for each text of a valid document that lacks a language the scenario declares.

    A plain string is in the scenario's `language`; a mapping in the languages it names.
    """
    texts: list[Any] = []
    scenario = validate_model(doc, texts)
    declared = list(dict.fromkeys(scenario.languages))
    if not declared:
        return []
    found = {id(t) for t in texts}
    out: list[Problem] = []
    for path, value in _text_paths(doc.data, ()):
        if id(value) not in found:
            continue
        present = set(value) if isinstance(value, dict) else {scenario.language}
        missing = [code for code in declared if code not in present]
        if missing:
            codes = ", ".join(f"`{c}`" for c in missing)
            out.append(doc.problem(path, f"no {codes} text (the scenario declares `languages`)"))
    return out


def _text_paths(node: Any, path: Path_) -> list[tuple[Path_, Any]]:
    """Every string and mapping in a document with its key path, in document order."""
    out: list[tuple[Path_, Any]] = []
    if isinstance(node, str):
        return [(path, node)]
    if isinstance(node, dict):
        out.append((path, node))
        for key, value in node.items():
            out += _text_paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _text_paths(value, (*path, i))
    return out


def reference_problems(s: Scenario, doc: Document) -> list[Problem]:
    """Problems with names that refer to things the scenario does not define."""
    problems: list[Problem] = []
    roles = list(s.population.roles)
    actor_roles = [*roles, RESIDENT, EVERYONE]

    def need(path: Path_, name: str | None, choices: list[str], what: str) -> None:
        if name is not None and name not in choices:
            listed = ", ".join(f"`{c}`" for c in choices) or "none"
            problems.append(
                doc.problem(
                    path,
                    f"no {what} named `{name}`{did_you_mean(name, choices)}; defined: {listed}",
                )
            )

    channels = list(s.channels)
    states = list(s.states)
    for key, mix in (
        ("household", s.contacts.household),
        ("neighbours", s.contacts.neighbours),
        ("across_units", s.contacts.across_units),
        ("random", s.contacts.random),
    ):
        if mix is not None:
            need(("contacts", key, "channel"), mix.channel, channels, "channel")
    for i, tie in enumerate(s.contacts.ties):
        need(("contacts", "ties", i, "from"), tie.from_, [*roles, RESIDENT], "role")
        need(("contacts", "ties", i, "to"), tie.to, [*roles, RESIDENT], "role")
        need(("contacts", "ties", i, "channel"), tie.channel, channels, "channel")
    groups = list(s.groups)
    for name, group in s.groups.items():
        base = ("groups", name)
        if name in (*roles, RESIDENT, EVERYONE, ANY_CONTACT):
            problems.append(
                doc.problem(
                    base,
                    f"`{name}` names a role or a reserved word; a group needs its own name",
                    key=True,
                )
            )
        need((*base, "channel"), group.channel, channels, "channel")
        for key in ("members", "admins"):
            for i, role in enumerate(getattr(group, key)):
                need((*base, key, i), role, roles, "role")
        both = sorted(set(group.members) & set(group.admins))
        if both:
            problems.append(
                doc.problem(
                    (*base, "admins"),
                    f"a role is either a member or an admin, not both (got {', '.join(both)})",
                )
            )
        size = sum(
            s.population.roles[r].count
            for r in {*group.members, *group.admins}
            if r in s.population.roles
        )
        if size > MAX_GROUP_PEOPLE:
            problems.append(
                doc.problem(
                    (*base, "members"),
                    f"the group would have {size} people; at most {MAX_GROUP_PEOPLE} are supported",
                )
            )
    for name, act in s.activities.items():
        base = ("activities", name)
        need((*base, "who"), act.who, actor_roles, "role")
        need((*base, "channel"), act.channel, channels, "channel")
        need((*base, "with"), act.with_, [*roles, RESIDENT, ANY_CONTACT, *groups], "role or group")
        need((*base, "state"), act.state, states, "state")
        problems.extend(_radio_problems(s, doc, name))
        posts_to = s.groups.get(act.with_ or "")
        if posts_to is not None and act.at == "partner":
            problems.append(
                doc.problem(
                    (*base, "at"),
                    "a post to a group has no single partner: `at: partner` needs `with:` a role",
                )
            )
        if posts_to is not None and act.channel is not None and act.channel != posts_to.channel:
            problems.append(
                doc.problem(
                    (*base, "channel"),
                    f"a post to group `{act.with_}` goes over the group's channel "
                    f"`{posts_to.channel}` (got {act.channel})",
                )
            )
        if act.off_channel is not None:
            problems.extend(_off_channel_problems(s, doc, name))
    multiplied = [*s.observers, *s.checks]
    for section in ("observers", "checks"):
        for name in getattr(s, section):
            if name in ("cascade", "registration"):
                problems.append(
                    doc.problem(
                        (section, name),
                        f"`{name}` is a built-in cause of exposure; choose another name",
                        key=True,
                    )
                )
    wanted = sum(r.count for r in s.population.roles.values())
    smallest = s.population.minimum_people
    if wanted > smallest:
        # Blame a rescaling (--people) when there was one, else the roles.
        where = (
            ("population", "units")
            if ("population", "units") in doc.patched
            else ("population", "roles")
        )
        source, line, col = doc.locate(where)
        problems.append(
            Problem(
                source,
                line,
                col,
                "population.roles",
                f"the roles need {wanted} people but the population may have only {smallest}; add "
                "units or households",
            )
        )
    for name, obs in s.observers.items():
        for i, ch in enumerate(obs.channels):
            need(("observers", name, "channels", i), ch, channels, "channel")
        for check in obs.tips:
            need(("observers", name, "tips", check), check, list(s.checks), "check")
            if check in s.checks and s.checks[check].scope == "travellers":
                problems.append(
                    doc.problem(
                        ("observers", name, "tips", check),
                        f"a tip sends a check to a home, but `{check}` stops travellers on the "
                        "road; name a check that searches homes",
                        key=True,
                    )
                )
        if name in s.checks:
            problems.append(
                doc.problem(
                    ("checks", name),
                    f"`{name}` names both an observer and a check; campaigns need distinct names",
                    key=True,
                )
            )
    for name, chk in s.checks.items():
        for state in chk.finds:
            need(("checks", name, "finds", state), state, states, "state")
        if isinstance(chk.scope, list):
            for i, role in enumerate(chk.scope):
                need(("checks", name, "scope", i), role, [*roles, RESIDENT], "role")
    bribed = [name for name, obs in s.observers.items() if obs.bribe is not None]
    for name, camp in s.campaigns.items():
        for target in camp.multiply:
            need(("campaigns", name, "multiply", target), target, multiplied, "observer or check")
        for target in camp.bribes:
            need(("campaigns", name, "bribes", target), target, bribed, "observer with a `bribe`")
    if s.standing is not None:
        for i, role in enumerate(s.standing.roles):
            need(("standing", "roles", i), role, [*roles, RESIDENT], "role")
    for name, src in s.sources.items():
        for i, key in enumerate(src.supports):
            if not _resolves(doc.data, key):
                problems.append(
                    doc.problem(
                        ("sources", name, "supports", i),
                        f"supports a key the scenario does not have (got {describe(key)})",
                    )
                )
    if s.exercise is not None:
        problems.extend(exercise_problems(s, doc))
    problems.extend(claim_problems(s, doc))
    return problems


def _off_channel_problems(s: Scenario, doc: Document, name: str) -> list[Problem]:
    """Problems of an activity's `off_channel`: what it turns into must be the same habit, met."""
    act = s.activities[name]
    off = act.off_channel
    assert off is not None
    at: Path_ = ("activities", name, "off_channel")
    problems: list[Problem] = []
    own = s.channels.get(act.channel or "")
    if act.channel is None:
        problems.append(
            doc.problem(
                at, "`off_channel` needs the activity's own `channel`, the one a partner leaves"
            )
        )
    elif own is not None and own.kind == "in_person":
        problems.append(
            doc.problem(
                at,
                f"the activity's channel `{act.channel}` is already face to face: nothing to leave",
            )
        )
    if act.with_ is None or act.with_ in s.groups:
        problems.append(
            doc.problem(
                at, "`off_channel` needs a partner: `with:` a role or `contact`, not a group"
            )
        )
    if off.becomes not in s.activities:
        choices = list(s.activities)
        problems.append(
            doc.problem(
                (*at, "becomes"),
                f"no activity named `{off.becomes}`{did_you_mean(off.becomes, choices)}; "
                f"defined: {', '.join(f'`{c}`' for c in choices)}",
            )
        )
        return problems
    if off.becomes == name:
        problems.append(doc.problem((*at, "becomes"), "an activity cannot become itself"))
        return problems
    target = s.activities[off.becomes]
    if (target.who, target.with_) != (act.who, act.with_):
        problems.append(
            doc.problem(
                (*at, "becomes"),
                f"`{off.becomes}` must be done by the same people with the same partners "
                f"(who: {act.who}, with: {act.with_}; got who: {target.who}, with: {target.with_})",
            )
        )
    met = s.channels.get(target.channel or "")
    if target.channel is not None and met is not None and met.kind != "in_person":
        problems.append(
            doc.problem(
                (*at, "becomes"),
                f"`{off.becomes}` must be done face to face, with no `channel` or an `in_person` "
                f"one (got channel `{target.channel}`)",
            )
        )
    if target.off_channel is not None:
        problems.append(
            doc.problem(
                (*at, "becomes"),
                f"`{off.becomes}` has an `off_channel` of its own; an occurrence turns only once",
            )
        )
    return problems


def _radio_problems(s: Scenario, doc: Document, name: str) -> list[Problem]:
    """An activity's radio keys (`switched_on`, `moves_every`, `names`) need a radio channel.

    Without one they would do nothing, and a key that does nothing is refused.
    """
    act = s.activities[name]
    base: Path_ = ("activities", name)
    problems: list[Problem] = []
    phone = act.switched_on
    if phone is not None:
        if phone not in s.channels:
            listed = ", ".join(f"`{c}`" for c in s.channels) or "none"
            problems.append(
                doc.problem(
                    (*base, "switched_on"),
                    f"no channel named `{phone}`{did_you_mean(phone, list(s.channels))}; "
                    f"defined: {listed}",
                )
            )
        elif not s.channels[phone].radio:
            problems.append(
                doc.problem(
                    (*base, "switched_on"),
                    f"a phone left switched on leaks a signal only on a channel with `radio: true` "
                    f"(got {phone})",
                )
            )
    channel = s.activity_channel(name)
    radio = channel is not None and channel in s.channels and s.channels[channel].radio
    for key, value in (("moves_every", act.moves_every), ("names", act.names)):
        if value is not None and not radio:
            problems.append(
                doc.problem(
                    (*base, key),
                    f"`{key}` is about a call direction-finding can hear: the activity needs a "
                    f"channel with `radio: true` (got {channel or 'no channel'})",
                )
            )
    if act.names is not None:
        choices = [*s.population.roles, RESIDENT, ANY_CONTACT]
        if act.names.of not in choices:
            listed = ", ".join(f"`{c}`" for c in choices)
            problems.append(
                doc.problem(
                    (*base, "names", "of"),
                    f"no role named `{act.names.of}`{did_you_mean(act.names.of, choices)}; "
                    f"defined: {listed}",
                )
            )
    return problems


def town_key(key: str) -> bool:
    """Whether a dotted key changes who lives in the town or who knows whom (not a habit).

    The tabletop changes rules part-way through a run, so its choices may change habits,
    channels, devices and watchers, but not the people and links the run started with.
    """
    parts = key.split(".")
    if parts[0] in ("name", "days", "runs", "population", "exercise", "countermeasures"):
        return True
    if parts[0] in ("contacts", "groups"):
        return parts[-1] != "channel"
    return False


def exercise_problems(s: Scenario, doc: Document) -> list[Problem]:
    """Problems with the `exercise` block: its persona, turns, situations and choices."""
    ex = s.exercise
    if ex is None:
        return []
    problems: list[Problem] = []
    roles = [*s.population.roles, RESIDENT]
    if ex.persona is not None and ex.persona not in roles:
        listed = ", ".join(f"`{r}`" for r in roles)
        problems.append(
            doc.problem(
                ("exercise", "persona"),
                f"no role named `{ex.persona}`{did_you_mean(ex.persona, roles)}; defined: {listed}",
            )
        )
    elif ex.persona in s.population.roles and s.population.roles[ex.persona].count == 0:
        problems.append(
            doc.problem(
                ("exercise", "persona"), f"the role `{ex.persona}` has no people (count: 0)"
            )
        )
    turns = ex.turn_count(s.days)
    # A shorter run (--days) only shortens the exercise; the block is checked against the file's
    # days.
    shortened = ("days",) in doc.patched
    if shortened:
        pass
    elif ex.turns is not None and (ex.turns - 1) * ex.turn_days >= s.days:
        problems.append(
            doc.problem(
                ("exercise", "turns"),
                f"turn {ex.turns} would start on day {(ex.turns - 1) * ex.turn_days + 1}, after "
                f"the last day ({s.days}); use fewer turns or shorter `turn_days` (got {ex.turns})",
            )
        )
    elif turns > MAX_TURNS:
        problems.append(
            doc.problem(
                ("exercise", "turn_days"),
                f"{s.days} days make {turns} turns; at most {MAX_TURNS}: use longer turns (got "
                f"{ex.turn_days})",
            )
        )
    if not shortened and isinstance(ex.situation, list) and len(ex.situation) > turns:
        problems.append(
            doc.problem(
                ("exercise", "situation"), f"gives {len(ex.situation)} situations for {turns} turns"
            )
        )
    names = list(s.countermeasures)
    for i, choice in enumerate(ex.choices):
        base: Path_ = ("exercise", "choices", i)
        keys = [
            ((*base, kind, key), key) for kind in ("set", "scale") for key in getattr(choice, kind)
        ]
        if choice.countermeasure is not None:
            cm = s.countermeasures.get(choice.countermeasure)
            if cm is None:
                listed = ", ".join(f"`{n}`" for n in names) or "none"
                problems.append(
                    doc.problem(
                        (*base, "countermeasure"),
                        f"no countermeasure named `{choice.countermeasure}`"
                        f"{did_you_mean(choice.countermeasure, names)}; defined: {listed}",
                    )
                )
            else:
                keys += [
                    (("countermeasures", choice.countermeasure, kind, key), key)
                    for kind in ("set", "scale")
                    for key in getattr(cm, kind)
                ]
        for path, key in keys:
            if town_key(key):
                problems.append(
                    doc.problem(
                        path,
                        "an exercise choice changes habits, channels, devices or watchers, not "
                        f"who lives in the town or who knows whom (got {key})",
                        key=True,
                    )
                )
    problems += _exclusion_problems(s, doc)
    problems += _team_problems(s, doc, turns, shortened)
    return problems


def _team_problems(s: Scenario, doc: Document, turns: int, shortened: bool) -> list[Problem]:
    """Problems with `exercise.teams`: personas that do not exist or repeat, unknown choices."""
    ex = s.exercise
    assert ex is not None
    problems: list[Problem] = []
    known = {n for k in range(len(ex.choices)) if (n := ex.choice_name(k)) is not None}
    names: set[str] = set()
    personas: set[tuple[str, int]] = set()
    for i, team in enumerate(ex.teams):
        base: Path_ = ("exercise", "teams", i)
        if team.name in names:
            problems.append(doc.problem((*base, "name"), f"two teams are named `{team.name}`"))
        names.add(team.name)
        role = team.role
        if role not in s.population.roles:
            roles = list(s.population.roles)
            problems.append(
                doc.problem(
                    (*base, "persona"),
                    f"no role named `{role}`{did_you_mean(role, roles)}; a team plays a person of "
                    f"one of: {', '.join(roles)}",
                )
            )
        elif team.number > s.population.roles[role].count:
            problems.append(
                doc.problem(
                    (*base, "persona"),
                    f"the role `{role}` has {s.population.roles[role].count} people, so there is "
                    f"no person {team.number} of it",
                )
            )
        if (role, team.number) in personas:
            problems.append(
                doc.problem((*base, "persona"), f"two teams play the same person, {team.persona}")
            )
        personas.add((role, team.number))
        if not shortened and isinstance(team.situation, list) and len(team.situation) > turns:
            problems.append(
                doc.problem(
                    (*base, "situation"),
                    f"gives {len(team.situation)} situations for {turns} turns",
                )
            )
        seen: set[str] = set()
        for j, item in enumerate(team.choices):
            key = item if isinstance(item, str) else item.choice
            where: Path_ = (
                (*base, "choices", j) if isinstance(item, str) else (*base, "choices", j, "choice")
            )
            if key not in known:
                listed = ", ".join(f"`{n}`" for n in sorted(known))
                problems.append(
                    doc.problem(
                        where,
                        f"no exercise choice named `{key}`{did_you_mean(key, sorted(known))}; "
                        f"named choices: {listed or 'none'}",
                    )
                )
            elif key in seen:
                problems.append(doc.problem(where, f"`{key}` is twice on this team's menu"))
            seen.add(key)
        if team.choices and len(team.choices) < 2:
            problems.append(
                doc.problem((*base, "choices"), "a team needs at least two choices to choose from")
            )
    return problems


def _choice_patch(s: Scenario, index: int) -> tuple[dict[str, Any], set[str]]:
    """What a choice sets (key -> value) and the keys it scales, its countermeasure's included."""
    assert s.exercise is not None
    choice = s.exercise.choices[index]
    cm = s.countermeasures.get(choice.countermeasure) if choice.countermeasure else None
    sets = {**(cm.set if cm else {}), **choice.set}
    scales = {*(cm.scale if cm else {}), *choice.scale}
    return sets, scales


def _overlap(a: str, b: str) -> bool:
    """Whether two dotted keys reach the same value: equal, or one inside the other."""
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def choice_conflict(s: Scenario, i: int, j: int) -> str | None:
    """Why two choices cannot be combined (a key both change in ways that do not add up), if so.

    Two `scale`s of one key multiply, so they combine; two `set`s of one key to the same value
    combine; two `set`s to different values, or a `set` and a `scale` of one key, do not.
    """
    sets_i, scales_i = _choice_patch(s, i)
    sets_j, scales_j = _choice_patch(s, j)
    for a, va in sets_i.items():
        for b, vb in sets_j.items():
            if _overlap(a, b) and (a != b or va != vb):
                return (
                    f"both set `{a}`, to different values"
                    if a == b
                    else f"they set `{a}` and `{b}`"
                )
        for b in scales_j:
            if _overlap(a, b):
                return f"one sets `{a}` and the other scales `{b}`"
    for a in scales_i:
        for b in sets_j:
            if _overlap(a, b):
                return f"one scales `{a}` and the other sets `{b}`"
    return None


def _exclusion_problems(s: Scenario, doc: Document) -> list[Problem]:
    """Choice names that clash or are unknown, and combinations that conflict undeclared."""
    ex = s.exercise
    assert ex is not None
    problems: list[Problem] = []
    names: dict[str, int] = {}
    for k, choice in enumerate(ex.choices):
        name = ex.choice_name(k)
        if name is None:
            continue
        if name in names:
            where = "name" if choice.name is not None else "countermeasure"
            problems.append(
                doc.problem(
                    ("exercise", "choices", k, where),
                    f"choices {names[name] + 1} and {k + 1} are both known as `{name}`; give "
                    "each a distinct `name` so that `excludes` can tell them apart",
                )
            )
        else:
            names[name] = k
    known = list(names)
    listed = ", ".join(f"`{n}`" for n in known) or "none"

    def unknown(path: Path_, name: str) -> None:
        problems.append(
            doc.problem(
                path,
                f"no choice named `{name}`{did_you_mean(name, known)}; choices are known by "
                f"`name` or by their countermeasure: {listed}",
            )
        )

    for g, group in enumerate(ex.excludes):
        for m, name in enumerate(group):
            if name not in names:
                unknown(("exercise", "excludes", g, m), name)
    for k, choice in enumerate(ex.choices):
        for m, name in enumerate(choice.excludes):
            if name not in names:
                unknown(("exercise", "choices", k, "excludes", m), name)
            elif names[name] == k:
                problems.append(
                    doc.problem(
                        ("exercise", "choices", k, "excludes", m),
                        f"choice {k + 1} excludes itself (`{name}`)",
                    )
                )
    return problems


def located_claims(s: Scenario) -> list[tuple[Path_, int, AnyClaim]]:
    """Every `expect` claim with where it is written and the index of its learning objective."""
    out: list[tuple[Path_, int, AnyClaim]] = []
    for i, objective in enumerate(s.learning_objectives):
        if isinstance(objective, Objective):
            base: Path_ = ("learning_objectives", i, "expect")
            many = isinstance(objective.expect, list)
            out += [
                ((*base, j) if many else base, i, claim) for j, claim in enumerate(objective.claims)
            ]
    return out


def claim_problems(s: Scenario, doc: Document) -> list[Problem]:
    """Claims of objectives that name a role, countermeasure or cause the scenario lacks."""
    problems: list[Problem] = []
    roles = s.role_names
    names = list(s.countermeasures)
    causes = s.mechanisms

    def need(path: Path_, name: str | None, choices: list[str], what: str) -> None:
        if name is not None and name not in choices:
            listed = ", ".join(f"`{c}`" for c in choices) or "none"
            problems.append(
                doc.problem(
                    path,
                    f"no {what} named `{name}`{did_you_mean(name, choices)}; defined: {listed}",
                )
            )

    for path, _index, claim in located_claims(s):
        if isinstance(claim, EffectClaim):
            need((*path, "countermeasure"), claim.countermeasure, names, "countermeasure")
            need((*path, "lowers"), claim.lowers, roles, "role")
            need((*path, "raises"), claim.raises, roles, "role")
        elif isinstance(claim, ComparisonClaim):
            need((*path, "countermeasure"), claim.countermeasure, names, "countermeasure")
            need((*path, "more_than"), claim.more_than, names, "countermeasure")
            need((*path, "protects"), claim.protects, roles, "role")
            if claim.more_than == claim.countermeasure:
                problems.append(
                    doc.problem(
                        (*path, "more_than"),
                        "a countermeasure is compared with another one, not with itself",
                    )
                )
        elif isinstance(claim, CauseClaim):
            need((*path, "cause"), claim.cause, causes, "cause")
            need((*path, "most_common_for"), claim.most_common_for, roles, "role")
        else:
            need((*path, "role"), claim.role, roles, "role")
            listed = isinstance(
                value_at(doc.data, (*path, "with")), list
            )  # `with: x` is short for `[x]`
            for j, name in enumerate(claim.with_):
                need(
                    (*path, "with", j) if listed else (*path, "with"), name, names, "countermeasure"
                )
        listed = isinstance(value_at(doc.data, (*path, "when")), list)
        for j, condition in enumerate(claim.when):
            if not _numeric_key(condition.param):
                problems.append(
                    doc.problem(
                        (*path, "when", j, "param") if listed else (*path, "when", "param"),
                        "no number in a scenario has this dotted key (write it as `--set` does, "
                        "e.g. observers.df.fix_minutes)",
                    )
                )
    return problems


def _numeric_key(key: str) -> bool:
    """Whether a dotted key names a number in a scenario (a value a range can be given to)."""
    path = split_key(key)
    kinds = {alt for tp in types_at(path) for alt in _unwrap(tp)}
    return bool(kinds & {int, float})


def value_at(data: Any, path: Path_) -> Any:
    """The value at a path of plain data, or None."""
    for part in path:
        if isinstance(data, dict):
            if part not in data:
                return None
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return None
    return data


def _resolves(data: Any, dotted_key: str) -> bool:
    """Whether a dotted key names a value present in the data."""
    current = data
    for part in dotted_key.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and (ascii_number(part) or 0) < len(current):
            current = current[ascii_number(part) or 0]
        else:
            return False
    return True


def conflict_problems(s: Scenario, doc: Document) -> list[Problem]:
    """Pairs of choices whose patches do not add up and that no `excludes` declares.

    The exercise never plays such a pair together (it is refused as an excluded one would be);
    `exposure validate` reports it so that the author says so in the file.
    """
    ex = s.exercise
    if ex is None:
        return []
    problems: list[Problem] = []
    declared = ex.excluded_pairs()
    for i in range(len(ex.choices)):
        for j in range(i + 1, len(ex.choices)):
            why = choice_conflict(s, i, j)
            if why is None or (i, j) in declared:
                continue
            a, b = ex.choice_name(i), ex.choice_name(j)
            advice = (
                f"add `excludes: [[{a}, {b}]]` to the exercise"
                if a is not None and b is not None
                else "give both a `name` and list them together in `exercise.excludes`"
            )
            problems.append(
                doc.problem(
                    ("exercise", "choices", j),
                    f"choices {i + 1} and {j + 1} cannot be combined ({why}); {advice}",
                )
            )
    return problems
