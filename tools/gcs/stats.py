"""stats.py — the statistics tools print: quantiles, a sample's summary, the geometric mean,
and the significance test that tells a difference from noise.

Invariants: every function takes plain lists of numbers and never modifies them; an empty
sample gives p = 1 (nothing to tell), never an exception.
"""
import math
import statistics


def quantile(xs, q):
    """The q-quantile of xs by linear interpolation between order statistics (numpy's default,
    type 7 of Hyndman & Fan): quantile(xs, 0.5) is the median."""
    s = sorted(xs)
    if len(s) == 1:
        return s[0]
    pos = q * (len(s) - 1)
    lo = int(math.floor(pos))
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def summary(xs):
    """n, median, min, max and the quartiles of a non-empty sample."""
    return {"n": len(xs), "median": statistics.median(xs), "min": min(xs), "max": max(xs),
            "q1": quantile(xs, 0.25), "q3": quantile(xs, 0.75)}


def geomean(xs):
    """Geometric mean; zeros count as the smallest positive double, not as -inf."""
    xs = [max(x, 1e-300) for x in xs]
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


def mann_whitney_p(a, b):
    """Two-sided p-value of the exact Mann-Whitney U test (scipy.stats.mannwhitneyu,
    method="exact": the null distribution is enumerated, never the normal approximation, since
    the samples are a handful of repetitions). Ties count half; the exact distribution
    ignores them, which makes the test conservative when they occur. 1 when a sample is empty."""
    if not a or not b:
        return 1.0
    from scipy.stats import mannwhitneyu      # here: importing scipy takes half a second
    return float(mannwhitneyu(a, b, alternative="two-sided", method="exact").pvalue)
