"""Quantiles of the beta distribution for the intervals every command prints, without scipy.

Importing scipy.special takes 0.15–0.3 s (it imports its array-API layer, which walks all of
numpy), more than a whole simulation of a small scenario. The intervals need only the quantile
of a beta distribution (a 95% interval asks for 2.5% and 97.5%; corrected by Student's t for
two or three runs, for 2.8e-37 and 8.4e-6 from either end), and of Student's t, which is one of
a beta too. Those are computed here to full double precision: the regularised incomplete beta
function by its continued fraction (Numerical Recipes, 3rd ed., §6.4, evaluated by the modified
Lentz method), inverted by Newton's method kept inside a bracket that bisection narrows, on the
lower tail for a level below a half and on the upper tail for one above (so that a level near 1
keeps the digits of its distance from 1). Where that is not quick and sure — a level within
1e-40 of either end, or parameters so large that the fraction converges slowly — scipy's own
function answers (`None` from here). The quantiles agree with mpmath's at 40 digits to a relative
1e-12, and with scipy's to 1e-7 across the counts the commands print (where scipy's own log-beta
loses up to about 1e-9; tests/test_beta.py).
"""

from __future__ import annotations

import math

# The levels computed here, and one less each; others go to scipy. The farthest in a tail that
# a command asks for is the t-corrected 95% interval of two runs: 2.8e-37 on each side.
LOWEST_LEVEL = 1e-40
MAX_TERMS = 3_000  # of the continued fraction, per evaluation
TINY = 1e-300
EPSILON = 2.0**-53


def _continued_fraction(x: float, a: float, b: float) -> float | None:
    """The continued fraction of I_x(a, b) (converging fast for x < (a + 1) / (a + b + 2))."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > TINY else TINY)
    h = d
    for m in range(1, MAX_TERMS + 1):
        m2 = 2 * m
        even = m * (b - m) * x / ((qam + m2) * (a + m2))
        odd = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        for term in (even, odd):
            d = 1.0 + term * d
            d = 1.0 / (d if abs(d) > TINY else TINY)
            c = 1.0 + term / c
            c = c if abs(c) > TINY else TINY
            h *= d * c
        if abs(d * c - 1.0) < EPSILON:
            return h
    return None


def _log_beta(a: float, b: float) -> float:
    """log B(a, b); past 20, log Γ(big) - log Γ(small + big) by Stirling's series, whose large
    terms cancel in closed form rather than in rounding."""
    small, big = min(a, b), max(a, b)
    if big < 20.0:
        return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    s = small + big
    return (
        math.lgamma(small)
        - (big - 0.5) * math.log1p(small / big)
        - small * math.log(s)
        + small
        + _stirling_rest(big)
        - _stirling_rest(s)
    )


def _stirling_rest(x: float) -> float:
    """log Γ(x) less Stirling's (x - ½) log x - x + ½ log 2π, for x ≥ 20 (to 2e-15)."""
    r = 1.0 / (x * x)
    return (1.0 / 12 - r * (1.0 / 360 - r * (1.0 / 1260 - r * (1.0 / 1680)))) / x


def _log_front(x: float, a: float, b: float) -> float:
    """log(x^a (1 - x)^b / B(a, b)).

    For large a and b each of the three log Γ is far larger than the result, whose digits they
    would cancel away (eight lost at a + b = 10 million); written around the mean a / (a + b)
    instead, the error stays near that of x itself. Far from the mean, where the quantiles of
    the intervals never are, the plain form is used again.
    """
    s = a + b
    u = x * s - a  # how far x is from the mean, in units of 1 / s
    if min(a, b) < 20.0 or not (-0.5 * a < u < 0.5 * b):
        # Small shapes, or far in a tail (where the form around the mean would lose the digits).
        return a * math.log(x) + b * math.log1p(-x) - _log_beta(a, b)
    return (
        a * math.log1p(u / a)
        + b * math.log1p(-u / b)
        + 0.5 * math.log(a * b / s)
        - 0.5 * math.log(2.0 * math.pi)
        - _stirling_rest(a)
        - _stirling_rest(b)
        + _stirling_rest(s)
    )


def incomplete_beta(x: float, a: float, b: float) -> float | None:
    """The regularised incomplete beta function I_x(a, b) (None: too slow to converge here)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    return _tail(x, a, b, _log_front(x, a, b), upper=False)


def _tail(x: float, a: float, b: float, log_front: float, upper: bool) -> float | None:
    """I_x(a, b), or with `upper` 1 - I_x(a, b), for 0 < x < 1, given log(x^a (1 - x)^b /
    B(a, b)). The continued fraction gives the tail on the near side of the mean to its last
    digits; the other is one less it, which keeps its digits unless it is itself small — and a
    small tail is on the near side wherever the quantile of a small level lies."""
    if x < (a + 1.0) / (a + b + 2.0):
        fraction = _continued_fraction(x, a, b)
        if fraction is None:
            return None
        lower = math.exp(log_front) * fraction / a
        return 1.0 - lower if upper else lower
    fraction = _continued_fraction(1.0 - x, b, a)
    if fraction is None:
        return None
    other = math.exp(log_front) * fraction / b
    return other if upper else 1.0 - other


def beta_quantile(level: float, a: float, b: float, upper: bool = False) -> float | None:
    """x with I_x(a, b) = level, for a, b > 0; with `upper`, x with 1 - I_x(a, b) = level, the
    mass of the upper tail given as itself (None: scipy should answer).

    An upper bound's tail is passed that way because 1 - 2.8e-37, the level of the t-corrected
    95% interval of two runs, is 1.0 in floating point: asked as a level, its quantile would be
    the end of the range, whatever the counts.
    """
    try:
        return _beta_quantile(level, a, b, upper)
    except (OverflowError, ValueError, ZeroDivisionError):  # counts past any real town's
        return None


def _beta_quantile(level: float, a: float, b: float, upper: bool) -> float | None:
    # Below 1, a level is at least 2**-53 from 1: only its distance from 0 needs a floor.
    if not (a > 0.0 and b > 0.0 and LOWEST_LEVEL <= level < 1.0):
        return None
    if upper:
        # One exposed of none, or all: 1 - I_x(a, 1) = 1 - x^a, 1 - I_x(1, b) = (1 - x)^b.
        if b == 1.0:
            return math.exp(math.log1p(-level) / a)
        if a == 1.0:
            return -math.expm1(math.log(level) / b)
    elif b == 1.0:  # I_x(a, 1) = x^a and I_x(1, b) = 1 - (1 - x)^b.
        return float(level ** (1.0 / a))
    elif a == 1.0:
        return -math.expm1(math.log1p(-level) / b)
    # Above a half, the level's complement is matched with the other tail: a level of
    # 1 - 8e-6 (the t-corrected 95% interval of three runs) is then worked out from 8e-6 to
    # its last digits, rather than from a difference of two numbers near 1.
    if level > 0.5:
        upper, level = not upper, 1.0 - level
    low, high = 0.0, 1.0
    x = min(max(_first_guess(level, upper, a, b), 1e-300), 1.0 - 1e-16)
    for _ in range(200):
        log_front = _log_front(x, a, b)
        value = _tail(x, a, b, log_front, upper)
        if value is None:
            return None
        if (value < level) != upper:
            low = x
        else:
            high = x
        log_density = log_front - math.log(x) - math.log1p(-x)
        # How far I_x(a, b) is from its aim; its slope in x is the density.
        miss = level - value if upper else value - level
        step = miss * math.exp(-log_density) if log_density > -700.0 else math.inf
        if abs(step) <= 4.0 * EPSILON * x:
            # Converged: the step is below the last digits of x (and stays in the bracket).
            return min(max(x - step, low), high)
        nxt = x - step
        if not low < nxt < high:
            nxt = 0.5 * (low + high)  # Newton left the bracket: bisect instead
        if high - low <= 4.0 * EPSILON * high:
            return nxt
        x = nxt
    return None


def _first_guess(tail: float, upper: bool, a: float, b: float) -> float:
    """Where Newton's method starts, for the quantile whose lower tail (or upper, with `upper`)
    holds `tail` (at most a half): within a few per cent of it, so that it takes three or four
    steps. For a, b ≥ 1, the normal approximation of Abramowitz & Stegun 26.5.22; below 1, the
    two ends' power laws (as in Numerical Recipes, 3rd ed., §6.14)."""
    if a >= 1.0 and b >= 1.0:
        # 26.5.22 is written for the upper tail: z is the normal quantile of the level.
        z = _normal_quantile(tail) if upper else -_normal_quantile(tail)
        lam = (z * z - 3.0) / 6.0
        h = 2.0 / (1.0 / (2.0 * a - 1.0) + 1.0 / (2.0 * b - 1.0))
        w = z * math.sqrt(h + lam) / h - (1.0 / (2.0 * b - 1.0) - 1.0 / (2.0 * a - 1.0)) * (
            lam + 5.0 / 6.0 - 2.0 / (3.0 * h)
        )
        return a / (a + b * math.exp(min(2.0 * w, 700.0)))
    lna, lnb = math.log(a / (a + b)), math.log(b / (a + b))
    t, u = math.exp(a * lna) / a, math.exp(b * lnb) / b
    below, above = (1.0 - tail, tail) if upper else (tail, 1.0 - tail)
    if below < t / (t + u):
        return (a * (t + u) * below) ** (1.0 / a)
    return 1.0 - (b * (t + u) * above) ** (1.0 / b)


def _normal_quantile(level: float) -> float:
    """The normal quantile to about 1e-3 (a starting point only): the rational approximation of
    Abramowitz & Stegun 26.2.22."""
    tail = min(level, 1.0 - level)
    t = math.sqrt(-2.0 * math.log(tail))
    z = t - (2.30753 + 0.27061 * t) / (1.0 + t * (0.99229 + 0.04481 * t))
    return z if level > 0.5 else -z
