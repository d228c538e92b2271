"""The negative-sampling table of a vocabulary's counts: :func:`cum_table`.

gensim's ``make_cum_table`` loops over the vocabulary in Python; this is the
same table computed in numpy. The models and the losses that draw negatives
of their own (``NEGSamplingLoss(ns_exponent=...)``, ``GroupNegativeLoss``)
both build it, so it lives below both.
"""

import math
import numbers

import numpy as np


def cum_table(counts, exponent, domain=2**31 - 1, what="ns_exponent"):
    """gensim's negative-sampling table: entry ``i`` is
    ``round(domain * sum(c[:i + 1] ** exponent) / sum(c ** exponent))``, uint32.

    A word is drawn by a uniform integer below ``domain`` and a binary search.
    The sums run in order, in float64, as gensim's ``make_cum_table`` adds
    them one word at a time, so the tables are equal to the last bit.

    Where ``c ** exponent`` overflows float64 (``ns_exponent=200`` with counts
    above 35) or every power underflows to 0, the powers are taken relative
    to the largest one, in log space: the same distribution, representable
    (for a large exponent, nearly all of it on the most frequent words).

    Raises
    ------
    ValueError
        Naming ``what`` (the exponent's name, e.g. ``"ns_exponent"``), when
        the exponent is not a finite number, a count is negative or not
        finite, or no table is possible (every weight 0, or a count of 0
        under a negative exponent): the table would hold NaN, and a draw from
        it would divide by zero or always pick the same word.
    """
    if isinstance(exponent, bool) or not isinstance(exponent, numbers.Real) or not math.isfinite(exponent):
        raise ValueError(f"{what}={exponent!r}: the negative-sampling distribution count**{what} needs a "
                         f"finite real exponent (gensim's default is 0.75; 0 draws uniformly, 1 by frequency)")
    exponent = float(exponent)
    counts = np.asarray(counts, dtype=np.float64)
    if not len(counts):
        return np.zeros(0, dtype=np.uint32)
    if not np.isfinite(counts).all() or (counts < 0).any():
        raise ValueError(f"{what}={exponent:g}: the word counts must be finite and >= 0 to build the "
                         f"negative-sampling table, got min {counts.min():g}, max {counts.max():g}")
    if exponent < 0 and (counts == 0).any():
        raise ValueError(f"{what}={exponent:g}: a word with count 0 would weigh count**{what} = infinity; "
                         f"expected {what} >= 0, or every count >= 1")
    with np.errstate(over="ignore", under="ignore"):
        cumulative = np.cumsum(counts ** exponent)
    if not (np.isfinite(cumulative[-1]) and cumulative[-1] > 0):
        # overflow (or underflow): the same distribution, each power relative to the largest
        with np.errstate(divide="ignore", under="ignore"):
            log_weights = exponent * np.log(counts)  # a count of 0 gives -inf: weight 0
        if not np.isfinite(log_weights.max()):
            raise ValueError(f"{what}={exponent:g}: every word has count**{what} = 0 (all counts are 0), "
                             f"so no negative can be drawn; expected counts >= 1")
        with np.errstate(under="ignore"):
            cumulative = np.cumsum(np.exp(log_weights - log_weights.max()))
    table = np.round(cumulative / cumulative[-1] * domain)
    if not (np.isfinite(table).all() and table[-1] == domain):  # cannot happen after the above: a last guard
        raise ValueError(f"{what}={exponent:g}: the negative-sampling table is not a valid cumulative "
                         f"distribution (expected finite values rising to {domain})")
    return table.astype(np.uint32)


def cum_guide(cum):
    """A guide table for the kernels' draws from ``cum`` (a ``cum_table``).

    The draws ``x < cum[-1]`` are split into buckets of ``2**shift``, about
    one per word; the guide holds, for each bucket, the first index whose
    entry exceeds the bucket's lowest ``x``. A draw then searches only
    between its bucket's entry and the next one's (most buckets hold one or
    two words) and finds what a binary search of the whole table finds.

    Returns
    -------
    (numpy.ndarray, int)
        ``guide`` (uint32, ``((cum[-1] - 1) >> shift) + 2`` entries) and ``shift``.
    """
    cum = np.asarray(cum, dtype=np.uint64)
    if cum.size == 0:  # no word to draw: nothing reads the guide
        return np.zeros(2, dtype=np.uint32), 0
    shift = max(int(cum[-1] - 1).bit_length() - max(int(cum.size).bit_length(), 1), 0)
    starts = np.arange(((int(cum[-1]) - 1) >> shift) + 2, dtype=np.uint64) << np.uint64(shift)
    guide = np.minimum(np.searchsorted(cum, starts, side="right"), cum.size - 1)
    return np.ascontiguousarray(guide, dtype=np.uint32), shift
