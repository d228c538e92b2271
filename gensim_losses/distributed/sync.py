"""How the replicas' work becomes one model: the synchronisation rule.

Every replica starts a round from the same synchronised weights ``W`` and
trains its next ``sync_words`` words at the learning rate times ``step``.
It sends the rows it changed, ``Δ_i`` (row indices and float32 rows of each
trained array). The merge gives row ``r`` of every array

.. math::

    W_r \\leftarrow W_r + \\frac{1}{\\max(m_r,\\ s)} \\sum_{i} \\Delta_{i,r},

where ``m_r`` is the number of replicas that touched row ``r`` this round and
``s`` the replicas' step scale (``rule="capped"``, the default, with ``s = N``,
so that the divisor is ``N``: the mean over all replicas, an untouched row
counting as 0). A row only one replica touched (a rare word) gets its update
at ``N`` times the rate divided by ``N``, what one machine would have
applied; a row every replica touched (a frequent word, nearly every output
row under negative sampling) gets the mean of ``N`` updates each made at ``N``
times the rate, about what one machine makes over the round's ``N`` parts.
The rule reads only ``N`` and the touch counts: nothing is tuned to a corpus
(docs/distributed.md has the measurements it was chosen from).

Hot and cold rows: most rounds sync only the first ``hot_rows`` rows of the
arrays whose rows follow the vocabulary (the most frequent words, which
every replica moves every round); every ``full_sync_words`` words, and in
every epoch's last round, a round syncs every row. Until then a rare word's
changes stay on the replica that made them. That is pWord2Vec's MPI scheme;
it sends 8x less at the same quality.

Other rules, for the measurements: ``"mean"`` (the mean over the replicas
that touched the row, the averaging of Spark MLlib since SPARK-24666),
``"sum"`` (every delta applied, Hogwild across machines with staleness
``sync_words``), ``"global-mean"`` (the mean over all ``N``).
"""

import numbers

import numpy as np

RULES = ("capped", "mean", "sum", "global-mean")


def default_step(replicas):
    """The replicas' learning-rate scale ``s = N``."""
    return float(replicas)


def check_rule(rule, step, replicas):
    if rule not in RULES:
        raise ValueError(f"sync rule {rule!r} is not one of {', '.join(map(repr, RULES))}")
    step = default_step(replicas) if step is None else step
    if isinstance(step, bool) or not (isinstance(step, numbers.Real) and np.isfinite(step) and step > 0):
        raise ValueError(f"step={step!r}: the replicas' learning-rate scale must be a finite number > 0 "
                         f"(default: the number of replicas)")
    return float(step)


DENSE = 0.5  # a change that touches more than this share of its rows goes as a whole block


def _pack(touched, values):
    """``(rows, values)``: row indices and their rows, or, when most rows are touched, a boolean mask
    and the whole block (zero where untouched): contiguous arithmetic instead of gathers and scatters."""
    rows = np.flatnonzero(touched).astype(np.int32)
    if len(rows) > DENSE * len(touched):
        return touched, values
    return rows, values[rows]


# the arrays whose rows follow the vocabulary (sorted by count): their first rows are the hot ones.
# Hierarchical softmax's syn1 rows are the tree's inner nodes, the busiest last: always sent whole
BY_WORD = ("wv.vectors", "syn1neg", "syn1softmax")


def delta(arrays, base, hot=None):
    """``{name: (rows, values)}`` (see :func:`_pack`): the rows of each array that differ from ``base``,
    and their change; ``hot``: only among the first ``hot`` rows of the arrays in :data:`BY_WORD` (the
    most frequent words, gensim sorting the vocabulary by count)."""
    out = {}
    for name, array in arrays.items():
        end = len(array) if hot is None or name not in BY_WORD else min(hot, len(array))
        diff = array[:end] - base[name][:end]
        out[name] = _pack(np.any(diff != 0, axis=1), diff)
    return out


def _extent(rows):
    return len(rows) if rows.dtype == bool else (int(rows[-1]) + 1 if len(rows) else 0)


def merge(deltas, shapes, rule, step):
    """``{name: (rows, values)}``: the merged change of each array from the replicas' ``deltas``
    (a list of :func:`delta` results; ``shapes``: each array's shape)."""
    merged = {}
    for name, shape in shapes.items():
        # only up to the last row any replica sent: a round of hot rows merges a few thousand rows
        end = max((_extent(d[name][0]) for d in deltas), default=0)
        total = np.zeros((end,) + tuple(shape[1:]), dtype=np.float32)
        touches = np.zeros(end, dtype=np.int32)
        for d in deltas:
            rows, values = d[name]
            if rows.dtype == bool:
                total[:len(rows)] += values
                touches[:len(rows)] += rows
            else:
                total[rows] += values  # rows are distinct within one replica's delta
                touches[rows] += 1
        m = np.maximum(touches, 1).astype(np.float32)
        if rule == "capped":
            scale = 1.0 / np.maximum(m, np.float32(step))
        elif rule == "mean":
            scale = 1.0 / m
        elif rule == "sum":
            scale = np.ones_like(m)
        else:  # global-mean
            scale = np.full_like(m, 1.0 / len(deltas))
        total *= scale[:, None]  # untouched rows hold 0 and stay 0
        merged[name] = _pack(touches > 0, total)
    return merged


def own_share(rule, step, replicas):
    """What the merge gives a row that only one replica touched, as a share of that replica's change."""
    return {"capped": 1.0 / max(1.0, step), "global-mean": 1.0 / replicas}.get(rule, 1.0)


def hold(arrays, base, change, share):
    """Keep ``share`` of the ``change`` a replica just sent, until its merge comes (the sync beside
    training): its rows become ``base + share x change``, what the merge would make of them if no other
    replica had touched them (:func:`own_share`). The other replicas' part of the round then arrives one
    round late, and no replica runs ahead on its whole own change (at ``N`` times the rate) for two
    rounds. Returns what is held, for :func:`apply` to take out again."""
    if share == 1.0:
        return change
    held, share = {}, np.float32(share)
    for name, (rows, values) in change.items():
        array, old = arrays[name], base[name]
        if rows.dtype == bool:
            n, where = len(rows), rows[:, None]
            new = old[:n] + share * values
            np.copyto(array[:n], new, where=where)
            held[name] = (rows, np.where(where, new - old[:n], np.float32(0)))
        else:
            new = old[rows] + share * values
            array[rows] = new
            held[name] = (rows, new - old[rows])  # as stored: apply's subtraction gives 0 where nothing trained
    return held


def _dense(change, end, width):
    """A delta's rows as a block of the first ``end`` rows, zero where it names none."""
    rows, values = change
    out = np.zeros((end, width), dtype=np.float32)
    if rows.dtype == bool:
        out[:len(rows)] = values  # a replica's delta never reaches past the merge of its round
    else:
        out[rows] = values
    return out


def apply(arrays, base, merged, sent=None):
    """Set every array to ``base + merged`` (rows the merge does not name stay at ``base``, which no
    replica changed), and make that the new ``base``: the same arithmetic on every replica and on
    the driver, so all hold the same weights to the bit after a sync.

    ``sent``: what this replica holds of the delta it sent (:func:`hold`), when it has trained on
    since (the sync beside training); what it trained since, ``array - base - sent``, stays on top of
    the new ``base``.
    """
    for name, array in arrays.items():
        rows, values = merged[name]
        old = base[name]
        n = _extent(rows)
        own = None if sent is None else _dense(sent[name], n, array.shape[1])
        if rows.dtype == bool:
            where = rows[:, None]  # a row the merge does not name keeps what it holds
            new = old[:n] + values
            kept = new if own is None else new + (array[:n] - old[:n] - own)
            np.copyto(array[:n], kept, where=where)
            np.copyto(old[:n], new, where=where)
        else:
            new = old[rows] + values
            array[rows] = new if own is None else new + (array[rows] - old[rows] - own[rows])
            old[rows] = new


def nbytes(change):
    """Bytes of a delta or a merge on the wire (row indices and float32 rows)."""
    return int(sum(rows.nbytes + values.nbytes for rows, values in change.values()))
