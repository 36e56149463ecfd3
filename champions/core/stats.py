"""Intervals for shares that stay honest at the edges: a share of 0 or 100%, or of a small group, still has one.

- ``wilson``: Wilson's score interval for one share k / n.
- ``newcombe``: the interval for a difference of two shares built from each share's Wilson interval (Newcombe's
  hybrid score method, 1998, method 10). Unlike the Wald interval (difference ± z × its standard error), it does
  not shrink to nothing when one share is 0 or 1, and it keeps close to 95% coverage for small groups.
"""

from __future__ import annotations

import math

Z_95 = 1.959964


def wilson(k: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson's 95% score interval for the share k / n (n > 0)."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    margin = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - margin), min(1.0, centre + margin)


def newcombe(k1: int, n1: int, k2: int, n2: int, z: float = Z_95) -> tuple[float, float]:
    """The 95% interval for k1 / n1 − k2 / n2 (both n > 0), from the two Wilson intervals."""
    p1, p2 = k1 / n1, k2 / n2
    (low1, high1), (low2, high2) = wilson(k1, n1, z), wilson(k2, n2, z)
    difference = p1 - p2
    return (
        difference - math.sqrt((p1 - low1) ** 2 + (high2 - p2) ** 2),
        difference + math.sqrt((high1 - p1) ** 2 + (p2 - low2) ** 2),
    )
