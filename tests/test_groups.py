"""Group chats in the scenario format, the population and the engine."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.errors import ScenarioError
from simulator.population import GROUP, NO_GROUP, build
from simulator.runner import simulate_runs
from simulator.scenario import load
from simulator.streams import Streams

GROUP_TOWN = {
    "days": 3,
    "population": {
        "units": 1,
        "households_per_unit": 60,
        "household_size": 1,
        "roles": {"admin": 1, "member": 11, "outsider": 2},
    },
    "channels": {
        "chat": {
            "kind": "end_to_end",
            "stores_contacts": False,
            "retention_days": 1,
            "reveal": {"device": 1.0},
        }
    },
    "groups": {"circle": {"channel": "chat", "admins": ["admin"], "members": ["member"]}},
    "activities": {"stand_out": {"who": "admin", "per_day": 1.0, "traces": ["behaviour"]}},
    "observers": {"watcher": {"kind": "general", "notice": {"behaviour": 1.0}}},
}


def _population(path, seed=1):
    scenario = load(str(path)).scenario
    return scenario, build(scenario, 1, Streams(np.random.SeedSequence(seed))("population"))


def _pairs(scenario, pop, group=0):
    source = pop.edge_source()
    at = pop.edge_group == group
    return {(int(a), int(b)) for a, b in zip(source[at], pop.indices[at]) if a < b}


def test_a_group_links_every_pair_once(scenario_file):
    scenario, pop = _population(scenario_file(GROUP_TOWN))
    people = np.flatnonzero(np.isin(pop.role, [0, 1]))
    assert len(_pairs(scenario, pop)) == len(people) * (len(people) - 1) // 2
    assert (pop.edge_kind[pop.edge_group != NO_GROUP] == GROUP).all()
    assert (pop.edge_channel[pop.edge_group != NO_GROUP] == 0).all()


def test_cells_keep_members_apart_and_admins_in_every_cell(scenario_file):
    path = scenario_file(
        {**GROUP_TOWN, "groups": {"circle": {**GROUP_TOWN["groups"]["circle"], "cell_size": 4}}}
    )
    scenario, pop = _population(path)
    admin = int(np.flatnonzero(pop.role == 0)[0])
    members = np.flatnonzero(pop.role == 1)
    pairs = _pairs(scenario, pop)
    assert all((min(admin, m), max(admin, m)) in pairs for m in members.tolist())
    degree = {int(m): sum(m in p for p in pairs) for m in members}
    # 11 members in cells of at most 4: three cells of 4, 4 and 3; each member knows its cell and
    # the admin.
    assert sorted(degree.values()) == [3] * 3 + [4] * 8


def test_a_seized_member_list_reveals_the_group_after_its_messages_are_gone(scenario_file):
    """The admin is exposed on day 1; the member list on her phone names every member on day 2."""
    summaries = simulate_runs(load(str(scenario_file(GROUP_TOWN))).scenario, 20, seed=3)
    exposures = np.concatenate([s.exposures for s in summaries])
    assert (exposures[:, 0, 1] == 1).all()
    assert (exposures[:, 1, 2] == 11).all(), (
        "every member, though the chat keeps no contacts and no messages"
    )
    assert (exposures[:, 2, :] == 0).all(), "outsiders are in no chat"


def test_posts_mark_only_the_group_links_of_the_poster(scenario_file):
    from simulator.engine import Engine

    path = scenario_file(
        {
            **GROUP_TOWN,
            "contacts": {"ties": [{"from": "member", "to": "outsider", "channel": "chat"}]},
            "activities": {"post": {"who": "member", "with": "circle", "per_day": 1.0}},
            "observers": {},
        }
    )
    scenario = load(str(path)).scenario
    engine = Engine(scenario, 1, Streams(np.random.SeedSequence(2)))
    engine.run()
    assert engine.last_message is not None
    group_links = engine.pop.edge_group != NO_GROUP
    source, target = engine.edge_source, engine.pop.indices
    involves_member = (engine.pop.role[source] == 1) | (engine.pop.role[target] == 1)
    assert (engine.last_message[group_links & involves_member] == 3).all()
    assert (engine.last_message[~group_links] < 0).all(), "direct links carry no posts"


@pytest.mark.parametrize(
    "change,expected",
    [
        (
            {"groups": {"circle": {"channel": "chat", "members": ["membr"]}}},
            "groups.circle.members.0: no role named `membr`",
        ),
        (
            {"groups": {"circle": {"channel": "chat", "members": ["resident"]}}},
            "no role named `resident`",
        ),
        (
            {"groups": {"circle": {"channel": "chatt", "members": ["member"]}}},
            "groups.circle.channel: no channel named `chatt`",
        ),
        (
            {"groups": {"member": {"channel": "chat", "members": ["admin"]}}},
            "names a role or a reserved word",
        ),
        (
            {
                "groups": {
                    "circle": {"channel": "chat", "admins": ["member"], "members": ["member"]}
                }
            },
            "either a member or an admin",
        ),
        ({"groups": {"circle": {"channel": "chat", "members": []}}}, "groups.circle.members"),
        (
            {"activities": {"post": {"who": "member", "with": "circel", "per_day": 1}}},
            "did you mean `circle`?",
        ),
        (
            {
                "activities": {
                    "post": {"who": "member", "with": "circle", "at": "partner", "per_day": 1}
                }
            },
            "no single partner",
        ),
        (
            {
                "channels": {"other": {"kind": "mesh"}},
                "activities": {
                    "post": {"who": "member", "with": "circle", "channel": "other", "per_day": 1}
                },
            },
            "the group's channel `chat`",
        ),
        (
            {
                "population": {"roles": {"member": 600}},
                "groups": {"circle": {"channel": "chat", "members": ["member"]}},
            },
            "at most 500",
        ),
    ],
)
def test_bad_groups_are_named(scenario_file, change, expected):
    data = {**GROUP_TOWN, "activities": {}, "observers": {}, **change}
    if "population" in change:
        data["population"] = {
            **GROUP_TOWN["population"],
            "households_per_unit": 700,
            "roles": {**GROUP_TOWN["population"]["roles"], **change["population"]["roles"]},
        }
    if "channels" in change:
        data["channels"] = {**GROUP_TOWN["channels"], **change["channels"]}
    with pytest.raises(ScenarioError) as err:
        load(str(scenario_file(data)))
    assert expected in str(err.value)
