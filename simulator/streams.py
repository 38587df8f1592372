"""Where every random number comes from: one seed, the uses made of it, and streams by purpose.

The user gives one seed. Each *use* of it (the Monte Carlo batches, the one run a story tells,
the Sobol sampler) makes its SeedSequence through one function here,
with a spawn key of its own; `SEED_USES` lists them. Inside a use, `Streams` gives one stream per
*purpose* ("population", "activity:call_abroad", …) by appending the purpose's crc32 to the spawn
key; `PURPOSES` lists the purposes the simulator asks for. With both written down as data, a test
checks that no two uses and no two purposes of a scenario can ever draw the same numbers.
"""

from __future__ import annotations

import functools
import math
import zlib
from dataclasses import dataclass

import numpy as np

_MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_ODD = 0xD1B54A32D192ED03

# How many batches the Monte Carlo runs may have: batch indices stay below this.
MAX_BATCHES = 2**31 - 1
# Seeds run from 0 to 2**63 - 1, as --seed takes them.
SEED_LIMIT = 2**63
# The spawn key of the Sobol sampler's scrambling. It lies among the batch indices, and stays
# apart only because the sampler draws from it directly while a batch appends a purpose's word:
# the keys differ in length (tests/test_streams.py checks every pair of uses).
SOBOL_KEY = 0x50B0
# The spawn key of the Latin hypercube over the sourced ranges (`--uncertainty`, robust checks):
# like the Sobol key it is drawn from directly, so it stays apart from the batches by its length.
UNCERTAINTY_KEY = 0x0C0B


@dataclass(frozen=True)
class SeedUse:
    """One use of the seed: the spawn key its numbers come from, and who makes it."""

    name: str
    # Fixed parts and, as ranges, the counters a caller fills in (a batch index, an attempt).
    spawn_key: tuple[int | range, ...]
    by_purpose: bool  # drawn through Streams, which appends a purpose's crc32 to the key
    makers: tuple[str, ...]  # the functions of this module that make its SeedSequence
    why: str


SEED_USES: tuple[SeedUse, ...] = (
    SeedUse(
        "run",
        (),
        True,
        ("trace_seed", "exercise_seed", "messaging_seed"),
        "the one run a story tells; the tabletop plays it, tap and seize act out its messages and "
        "the report's neighbourhood picture draws it (the picture's runs are those of seeds "
        "seed, seed + 1, …: see picture_run), so all of them show the same town on the same days",
    ),
    SeedUse(
        "batch",
        (range(MAX_BATCHES),),
        True,
        ("batch_seed",),
        "batch b of the Monte Carlo runs: the same bytes whatever the number of workers",
    ),
    SeedUse(
        "sobol",
        (SOBOL_KEY,),
        False,
        ("sobol_seed",),
        "the scrambling of the Sobol sweep's sample matrices",
    ),
    SeedUse(
        "uncertainty",
        (UNCERTAINTY_KEY,),
        False,
        ("uncertainty_seed",),
        "the Latin hypercube of parameter sets over the sourced ranges",
    ),
)

# Every purpose the simulator asks Streams for; {activity}, {observer} and {check} stand for a
# scenario's names, {state} for the index of a state in Scenario.states.
PURPOSES: tuple[str, ...] = (
    "population",
    "standing",
    "placement:{observer}",
    "activity:{activity}",
    "partner:{activity}",
    "register:{activity}",
    "observer:{observer}:{activity}",
    "bribe:observer:{observer}:{activity}",
    # An activity's `off_channel`: which occurrences turn, and the draws of those that did, named
    # by the activity they came from (they are done as the one they became).
    "off_channel:{activity}",
    "register:{activity}:off_channel",
    "observer:{observer}:{activity}:off_channel",
    "bribe:observer:{observer}:{activity}:off_channel",
    "overhear:{observer}:{activity}",
    "voice:{observer}:{activity}",
    "name_spoken:{activity}",
    "name_picked:{activity}",
    "name_traced:{observer}:{activity}",
    "offer:observer:{observer}:{activity}",
    "extort:observer:{observer}:{activity}",
    "pass_on:{observer}",
    "tip:{observer}:{check}:{activity}",
    "tip:{observer}:{check}",
    "offer:observer:{observer}:{activity}:off_channel",
    "extort:observer:{observer}:{activity}:off_channel",
    "tip:{observer}:{check}:{activity}:off_channel",
    "inspect:{check}",
    "find:{check}:{state}",
    "search:{check}:{state}",
    "unlock",
    "reveal",
    "interrogation",
    "content",
    "content:whom",
    "keys",
    "time:{activity}",
    "text:{activity}",
    "timing:{activity}",
)


def trace_seed(seed: int) -> np.random.SeedSequence:
    """The seed sequence of the one run a story tells (`trace`)."""
    return np.random.SeedSequence(seed)


def exercise_seed(seed: int) -> np.random.SeedSequence:
    """The seed sequence of the run a tabletop plays: the trace's, so both tell the same run."""
    return trace_seed(seed)


def exercise_run(seed: int, attempt: int) -> int:
    """The seed whose story (`trace_seed`) is the attempt-th run a tabletop tries: seed, seed + 1, …

    (past the last seed, back to 0), so that `exposure trace --seed` tells the very run played.
    """
    return (seed + attempt) % SEED_LIMIT


def messaging_seed(seed: int) -> np.random.SeedSequence:
    """The seed sequence of a run of messaging (tap, seize): the trace's town and days."""
    return trace_seed(seed)


def batch_seed(seed: int, index: int) -> np.random.SeedSequence:
    """The seed sequence of batch `index` of the Monte Carlo runs."""
    return np.random.SeedSequence(seed, spawn_key=(index,))


def picture_run(seed: int, attempt: int) -> int:
    """The seed whose story (`trace_seed`) is the attempt-th run the neighbourhood picture tries.

    The picture draws the runs that `exposure trace --seed N` tells, for N = seed, seed + 1, … (past
    the last seed, back to 0), so that the command it prints tells the very run it shows.
    """
    return (seed + attempt) % SEED_LIMIT


def sobol_seed(seed: int) -> np.random.SeedSequence:
    """The seed sequence that scrambles the Sobol sweep's sample matrices."""
    return np.random.SeedSequence(seed, spawn_key=(SOBOL_KEY,))


def uncertainty_seed(seed: int) -> np.random.SeedSequence:
    """The seed sequence of the Latin hypercube drawn over a scenario's sourced ranges."""
    return np.random.SeedSequence(seed, spawn_key=(UNCERTAINTY_KEY,))


def purpose_key(purpose: str) -> int:
    """The spawn-key word a purpose appends to its use's key."""
    return zlib.crc32(purpose.encode("utf-8"))


def _mix_int(z: int) -> int:
    """SplitMix64's finaliser on a Python integer."""
    z = (z + _GOLDEN) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


_U_ODD = np.uint64(_ODD)
_U_M1 = np.uint64(0xBF58476D1CE4E5B9)
_U_M2 = np.uint64(0x94D049BB133111EB)
_U_30, _U_27, _U_31, _U_11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_UNIT = 1.0 / (1 << 53)


# Up to this many ids are mixed with Python's integers: a numpy pass costs about half a
# microsecond whatever its length, and the finaliser takes ten of them.
SMALL_MIX = 12


def _mixed(ids: np.ndarray, salt: int) -> np.ndarray:
    """`_mix_int(ids * _ODD + salt)` for every id, worked in place.

    The same wrapping arithmetic as `_mix_int`, on one array and one scratch array instead of a
    new array per operation; the golden-ratio step of the finaliser is folded into the salt
    (addition modulo 2**64 is associative). A few ids are mixed one by one in Python's exact
    integers, reduced modulo 2**64 as numpy wraps. tests/test_streams.py holds the numbers equal.
    """
    if ids.size <= SMALL_MIX:
        out = [_mix_int((x * _ODD + salt) & _MASK64) for x in ids.ravel().tolist()]
        return np.array(out, dtype=np.uint64).reshape(ids.shape)
    z = ids.astype(np.uint64)  # a copy: the ids are not changed
    z *= _U_ODD
    z += np.uint64((salt + _GOLDEN) & _MASK64)
    return _finalised(z)


def _finalised(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser after its golden-ratio step, in place on z (returned)."""
    scratch = np.right_shift(z, _U_30)
    z ^= scratch
    z *= _U_M1
    np.right_shift(z, _U_27, out=scratch)
    z ^= scratch
    z *= _U_M2
    np.right_shift(z, _U_31, out=scratch)
    z ^= scratch
    return z


def _unit(z: np.ndarray) -> np.ndarray:
    """The top 53 bits of mixed counters as floats in [0, 1) (z is changed)."""
    z >>= _U_11
    out = z.astype(np.float64)
    out *= _UNIT
    return out


def _uniform(ids: np.ndarray, salt: int) -> np.ndarray:
    """The top 53 bits of `_mixed` as a float in [0, 1)."""
    return _unit(_mixed(ids, salt))


@functools.lru_cache(maxsize=1024)  # a scenario has a few dozen chances, asked for every day
def _limit(p: float) -> np.uint64:
    """The mixed counters below which a uniform number is below p, for 0 < p < 1.

    The uniform is x / 2**53 for the integer x = z >> 11 of the mixed counter z, and
    x / 2**53 < p exactly when z < ceil(p * 2**53) * 2**11 (p * 2**53 is exact in binary
    floating point): the same answer in fewer passes over the people.
    """
    return np.uint64(math.ceil(p * float(1 << 53)) << 11)  # below 2**64, as p < 1


def _certain(p: float, shape: tuple[int, ...]) -> np.ndarray | None:
    """`uniform < p` where no number need be drawn: nobody for p <= 0 (or NaN), everybody for
    p >= 1; None otherwise."""
    if not p > 0.0:
        return np.zeros(shape, dtype=bool)
    if p >= 1.0:
        return np.ones(shape, dtype=bool)
    return None


def _day_salt(key: int, day: int) -> int:
    """The salt of one purpose's key on one day."""
    return _mix_int((key + day * _GOLDEN) & _MASK64)


@dataclass(frozen=True)
class DayBlock:
    """One purpose's mixed counters for a fixed list of ids over consecutive days (`Streams.days`):
    row t - first holds day t's, in the order of the ids."""

    first: int
    z: np.ndarray  # uint64[days, ids]

    def covers(self, day: int) -> bool:
        return self.first <= day < self.first + self.z.shape[0]

    def below(self, day: int, p: float, at: np.ndarray | None = None) -> np.ndarray:
        """`Streams.below` on day `day` for the ids at positions `at` (all if None)."""
        row = self.z[day - self.first]
        if at is not None:
            row = row[at]
        certain = _certain(p, row.shape)
        return row < _limit(p) if certain is None else certain

    def uniform_pairs(self, steps: np.ndarray, at: np.ndarray) -> np.ndarray:
        """`uniform` of the ids at positions `at[k]` on days first + steps[k], for every k."""
        return _unit(self.z[steps, at])

    def below_all(self, p: float) -> np.ndarray:
        """`below` on every day of the block at once: bool[days, ids]."""
        certain = _certain(p, self.z.shape)
        return self.z < _limit(p) if certain is None else certain


class Streams:
    """Random numbers by purpose, all derived from one seed sequence.

    Draws that decide *whether something happens to a person on a day* are counter-based: a hash
    of (purpose, day, person) gives the uniform number, so two variants of a scenario run with the
    same seed use the same number for the same question, whatever else differs between them —
    common random numbers that keep paired comparisons sharp. Bulk draws (building the population,
    placing observers) come from ordinary generators, one per purpose.
    """

    def __init__(self, seed: np.random.SeedSequence):
        self.seed = seed
        self._streams: dict[str, np.random.Generator] = {}
        self._keys: dict[str, int] = {}

    def key(self, purpose: str) -> int:
        """A 64-bit key for one purpose."""
        key = self._keys.get(purpose)
        if key is None:
            spawn = (*self.seed.spawn_key, purpose_key(purpose))
            state = np.random.SeedSequence(self.seed.entropy, spawn_key=spawn).generate_state(
                2, np.uint64
            )
            key = self._keys[purpose] = int(state[0])
        return key

    def uniform(self, purpose: str, day: int, ids: np.ndarray) -> np.ndarray:
        """One uniform number in [0, 1) per id, fixed by (purpose, day, id)."""
        if ids.size == 0:
            return np.zeros(ids.shape, dtype=np.float64)
        key = self.key(purpose)
        return _uniform(ids, _day_salt(key, day))

    def below(self, purpose: str, day: int, ids: np.ndarray, p: float) -> np.ndarray:
        """`uniform(purpose, day, ids) < p` for one chance p, without making the floats
        (see `_limit`)."""
        certain = _certain(p if ids.size else 0.0, ids.shape)
        if certain is not None:
            return certain
        return _mixed(ids, _day_salt(self.key(purpose), day)) < _limit(p)

    def days(self, purpose: str, first: int, days: int, ids: np.ndarray) -> DayBlock:
        """The numbers `uniform` and `below` give for the ids on `days` days from `first`, all
        worked out at once (one pass instead of one per day; the same numbers). `ids` is 1-D."""
        if ids.ndim != 1:
            raise ValueError("Streams.days takes a 1-D array of ids")
        key = self.key(purpose)
        salts = np.array(
            [(_day_salt(key, d) + _GOLDEN) & _MASK64 for d in range(first, first + days)],
            dtype=np.uint64,
        )
        z = ids.astype(np.uint64)
        z *= _U_ODD
        # `_mixed`, with the salt of each day on its row.
        return DayBlock(first, _finalised(z[None, :] + salts[:, None]))

    def _paired(self, purpose: str, days: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """The mixed counters of (days[k], ids[k]) for every k: `_mixed` with each pair's day."""
        key = self.key(purpose)
        first = int(days.min())
        salts = np.array(
            [(_day_salt(key, d) + _GOLDEN) & _MASK64 for d in range(first, int(days.max()) + 1)],
            dtype=np.uint64,
        )
        z = ids.astype(np.uint64)
        z *= _U_ODD
        z += salts[days - first]
        return _finalised(z)

    def uniform_paired(self, purpose: str, days: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """`uniform(purpose, days[k], ids[k:k+1])` for every k, in one pass: the same numbers
        for occurrences of many days at once."""
        if ids.size == 0:
            return np.zeros(ids.shape, dtype=np.float64)
        return _unit(self._paired(purpose, days, ids))

    def below_paired(self, purpose: str, days: np.ndarray, ids: np.ndarray, p: float) -> np.ndarray:
        """`uniform_paired(purpose, days, ids) < p` for one chance p (see `below`)."""
        certain = _certain(p if ids.size else 0.0, ids.shape)
        if certain is not None:
            return certain
        return self._paired(purpose, days, ids) < _limit(p)

    def __call__(self, purpose: str) -> np.random.Generator:
        """The generator for one purpose, e.g. "population" or "activity:call_abroad"."""
        rng = self._streams.get(purpose)
        if rng is None:
            key = (*self.seed.spawn_key, purpose_key(purpose))
            rng = np.random.default_rng(np.random.SeedSequence(self.seed.entropy, spawn_key=key))
            self._streams[purpose] = rng
        return rng

    def sample(
        self, candidates: np.ndarray, p: float, purpose: str, t: int, coupled: bool = True
    ) -> np.ndarray:
        """Each candidate independently with probability p.

        Coupled: one counter-based uniform per candidate, so a lower p picks a subset of the same
        people. Otherwise a binomial count and a random subset, touching only the chosen few.
        """
        if candidates.size == 0:
            return candidates[:0]
        if coupled:
            # A uniform number lies in [0, 1): at p <= 0 nobody is picked and at p >= 1 everybody
            # is, with no need to draw (the numbers are counter-based: skipping them moves none).
            if p <= 0.0:
                return candidates[:0]
            if p >= 1.0:
                return candidates.copy()
            return candidates[self.below(purpose, t, candidates, p)]
        rng = self(purpose)
        if p <= 0.0:
            return candidates[:0]
        if p >= 1.0:
            return candidates
        k = rng.binomial(candidates.size, p)
        if k == 0:
            return candidates[:0]
        return np.sort(candidates[rng.choice(candidates.size, size=k, replace=False)])
