"""How bad an exposure is, in the model's own terms: who else is exposed after a person is."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.runner import BatchSummary
from simulator.scenario.model import Scenario


@dataclass(frozen=True)
class Following:
    """What happens to the people of one role after the first person of another role is exposed."""

    role: str
    people: float  # people of the role in one run (mean over runs)
    mean_after: float  # people of the role exposed after her, per run in which she is exposed
    any_after: float  # share of those runs in which at least one of them is exposed after her


@dataclass(frozen=True)
class Consequences:
    """Who follows the first exposure of a role, over the runs in which it happens."""

    role: str
    runs: int
    runs_exposed: int  # runs in which someone of the role is exposed
    following: list[Following]  # every other role with anyone exposed after her, in role order


def following(summaries: list[BatchSummary], scenario: Scenario, role: str) -> Consequences:
    """Count, run by run, people of other roles exposed on a later day than the first of `role`."""
    k = scenario.role_names.index(role)
    exposures = np.concatenate([s.exposures for s in summaries])  # runs, roles, days + 1
    people = np.concatenate([s.people for s in summaries])
    runs = exposures.shape[0]
    hit = exposures[:, k, :] > 0
    exposed = hit.any(axis=1)
    first = np.where(exposed, hit.argmax(axis=1), exposures.shape[2])
    later = np.arange(exposures.shape[2])[None, :] > first[:, None]  # runs, days + 1
    out = []
    for j, other in enumerate(scenario.role_names):
        if j == k:
            continue
        after = (exposures[:, j, :] * later).sum(axis=1)[exposed]
        if after.size and after.sum() > 0:
            out.append(
                Following(
                    other,
                    float(people[:, j].mean()),
                    float(after.mean()),
                    float((after > 0).mean()),
                )
            )
    return Consequences(role, runs, int(exposed.sum()), out)
