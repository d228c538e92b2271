"""The numpy reference math of every loss, one plain function per loss.

Like ``torch.nn.functional``: the loss objects in :mod:`gensim_losses.losses`
hold configuration and model state, and call these functions for the math.
Each function is vectorised over ``n`` examples and returns the per-example
loss, shape ``(n,)``, followed by the gradients of the *summed* loss.

Arrays are computed in float64 when ``h`` is float64 and in float32
otherwise, so the same functions serve training-sized batches (float32, like
the model's weights) and finite-difference checks (float64). Every
exponential goes through a stable form (``logaddexp``, ``tanh``,
max-shifted ``logsumexp``), so no score overflows.

Notation: ``h`` is the hidden vector of an example (the input vector in
skip-gram, the mean or sum of the context vectors in CBOW), ``u`` an output
vector, ``s = u . h`` a score, ``sigma`` the logistic function and
``softplus(s) = log(1 + exp(s))``.
"""

import numpy as np

__all__ = [
    "anchor_penalty",
    "binary_logistic",
    "direction_penalty",
    "group_negative_sampling",
    "hierarchical_softmax",
    "l2_penalty",
    "lexicon_penalty",
    "negative_sampling",
    "norm_penalty",
    "softmax",
]


def _float_dtype(x):
    """float64 stays float64 (gradient checks); everything else computes in float32."""
    return np.float64 if np.asarray(x).dtype == np.float64 else np.float32


def _hidden(h):
    dtype = _float_dtype(h)
    h = np.asarray(h, dtype=dtype)
    if h.ndim != 2:
        raise ValueError(f"h must have shape (n, d), got {h.shape}")
    return h, dtype


def _sigmoid(x):
    # tanh form: exact to rounding and never overflows, unlike 1 / (1 + exp(-x))
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def binary_logistic(scores, labels, mask=None):
    r"""Binary logistic loss of each score, and its derivative.

    .. math::

        \ell(s, y) = \operatorname{softplus}(s) - y s
                   = -y \log\sigma(s) - (1 - y) \log\sigma(-s),
        \qquad
        \frac{\partial \ell}{\partial s} = \sigma(s) - y

    so a label of 1 costs ``-log sigma(s)`` and a label of 0 costs
    ``-log sigma(-s)``. Negative sampling and hierarchical softmax are both
    sums of this loss over a set of output vectors.

    Parameters
    ----------
    scores : array_like, float
        Scores ``s``, any shape.
    labels : array_like
        Labels ``y`` in {0, 1}, broadcastable to ``scores``.
    mask : array_like of bool, optional
        Broadcastable to ``scores``; False entries get zero loss and zero
        derivative (padding, skipped negatives).

    Returns
    -------
    loss : ndarray
        Elementwise loss, shape of ``scores``.
    grad : ndarray
        Elementwise ``d loss / d s``, shape of ``scores``.
    """
    dtype = _float_dtype(scores)
    s = np.asarray(scores, dtype=dtype)
    y = np.asarray(labels, dtype=dtype)
    # logaddexp(0, s) = softplus(s) without overflow for large s
    loss = np.logaddexp(dtype(0), s) - y * s
    grad = _sigmoid(s) - y
    if mask is not None:
        mask = np.broadcast_to(np.asarray(mask, dtype=bool), s.shape)
        loss = np.where(mask, loss, dtype(0))
        grad = np.where(mask, grad, dtype(0))
    return loss, grad


def _sgd_rows(h, rows, labels, mask, ids, step):
    """``rows`` as SGD reaches them: within each example, in order, an entry whose row
    (``ids``) an earlier entry used reads it as the earlier entry's step
    ``-step * dl/du`` left it. Examples without a repeated row are not touched."""
    ids = np.asarray(ids)
    if ids.shape != rows.shape[:2]:
        raise ValueError(f"ids must have shape {rows.shape[:2]} (a row index per entry of rows), got {ids.shape}")
    ordered = np.sort(ids, axis=1)
    repeats = np.flatnonzero((ordered[:, 1:] == ordered[:, :-1]).any(axis=1))
    if not repeats.size:
        return rows
    rows = rows.copy()
    labels = np.broadcast_to(np.asarray(labels, dtype=rows.dtype), ids.shape)
    mask = np.ones(ids.shape, dtype=bool) if mask is None else np.broadcast_to(np.asarray(mask, dtype=bool),
                                                                               ids.shape)
    for i in repeats:
        after = {}  # row index -> its value after its latest step in this example
        for j, row in enumerate(ids[i].tolist()):
            if row in after:
                rows[i, j] = after[row]
            if mask[i, j]:
                _, g = binary_logistic(rows[i, j] @ h[i], labels[i, j])
                after[row] = rows[i, j] + -step * (g * h[i])
            else:
                after[row] = rows[i, j]
    return rows


def _logistic_over_rows(h, rows, labels, mask, ids=None, step=None):
    """Sum of binary logistic losses of ``rows[i, j] . h[i]``; shared by NS and HS."""
    h, dtype = _hidden(h)
    rows = np.asarray(rows, dtype=dtype)
    if rows.ndim != 3 or rows.shape[0] != h.shape[0] or rows.shape[2] != h.shape[1]:
        raise ValueError(f"rows must have shape (n, k, d) = ({h.shape[0]}, k, {h.shape[1]}), got {rows.shape}")
    if step is not None:
        if ids is None:
            raise ValueError("step (the SGD replay) needs ids: which output row each entry of rows is")
        rows = _sgd_rows(h, rows, labels, mask, ids, step)
    scores = np.matmul(rows, h[:, :, None])[:, :, 0]  # (n, k)
    per_score, g = binary_logistic(scores, labels, mask)
    loss = per_score.sum(axis=1)
    grad_h = np.matmul(g[:, None, :], rows)[:, 0, :]  # sum_j g_j u_j
    grad_rows = g[:, :, None] * h[:, None, :]  # g_j h
    return loss, grad_h, grad_rows


def negative_sampling(h, rows, labels=None, mask=None, ids=None, step=None):
    r"""Negative sampling loss (Mikolov et al. 2013).

    .. math::

        \ell = -\log\sigma(u_t \cdot h) - \sum_{j=1}^{k} \log\sigma(-u_j \cdot h)

    with ``u_t`` the target's output vector and ``u_1 .. u_k`` those of the
    ``k`` sampled negatives: the sum of :func:`binary_logistic` over the
    ``k + 1`` scores with labels ``[1, 0, ..., 0]``.

    Gradients: ``d l / d h = sum_j (sigma(s_j) - y_j) u_j`` and
    ``d l / d u_j = (sigma(s_j) - y_j) h``.

    Parameters
    ----------
    h : array_like, shape (n, d)
        Hidden vectors.
    rows : array_like, shape (n, k + 1, d)
        Output vectors of the target, then of the ``k`` negatives.
    labels : array_like, shape (k + 1,) or (n, k + 1), optional
        Default ``[1, 0, ..., 0]``.
    mask : array_like of bool, shape (n, k + 1), optional
        False drops the term (word2vec skips a negative equal to the target).
    ids : array_like of int, shape (n, k + 1), optional
        Which output-layer row each entry of ``rows`` is; needed with ``step``.
    step : float, optional
        The SGD replay, what a training step does (the kernels and the
        reference path): the entries of each example are taken in order, and
        each output row takes its step ``-step * d l / d u_j`` right after its
        term, so an entry whose row an earlier entry of the same example used
        (a negative drawn twice) is scored against the row as that step left
        it. ``grad_h`` then sums each ``g_j u_j`` with ``u_j`` as its term saw
        it, and scattering ``-step * grad_rows`` in order (``np.add.at``)
        gives the rows SGD leaves. Default None: every entry is scored against
        ``rows`` as given (the gradient of the loss at those weights).

    Returns
    -------
    loss : ndarray, shape (n,)
    grad_h : ndarray, shape (n, d)
        Gradient of ``loss.sum()`` w.r.t. ``h``.
    grad_rows : ndarray, shape (n, k + 1, d)
        Gradient of ``loss.sum()`` w.r.t. each row (a word drawn twice gets
        two entries: add them when scattering into the weight matrix).
    """
    if labels is None:
        k1 = np.shape(rows)[1]
        labels = np.zeros(k1)
        labels[0] = 1.0
    return _logistic_over_rows(h, rows, labels, mask, ids, step)


def group_negative_sampling(h, rows, mask=None, ids=None, step=None):
    r"""Extra negatives only: the loss of pushing ``h`` away from each row.

    .. math::

        \ell = -\sum_{j=1}^{k} \log\sigma(-u_j \cdot h)

    the :func:`binary_logistic` loss of label 0 on each of the ``k`` rows
    (``GroupNegativeLoss``: negatives drawn from the target's own group).

    Parameters
    ----------
    h : array_like, shape (n, d)
    rows : array_like, shape (n, k, d)
    mask : array_like of bool, shape (n, k), optional
        False drops a row (a draw equal to the target, or no group).
    ids, step : optional
        The SGD replay of a repeated draw, as in :func:`negative_sampling`.

    Returns
    -------
    loss : ndarray, shape (n,)
    grad_h : ndarray, shape (n, d)
    grad_rows : ndarray, shape (n, k, d)
    """
    return _logistic_over_rows(h, rows, np.zeros(np.shape(rows)[1]), mask, ids, step)


def hierarchical_softmax(h, rows, codes, mask=None):
    r"""Hierarchical softmax loss along each target's Huffman path.

    .. math::

        \ell = -\sum_{b=1}^{L_t} \log\sigma\big((1 - 2 c_b)\, u_b \cdot h\big)

    with ``u_b`` the inner-node vectors on the target's path and ``c_b`` its
    Huffman code bits: the sum of :func:`binary_logistic` with label
    ``1 - c_b`` (gensim's and word2vec.c's convention).

    Parameters
    ----------
    h : array_like, shape (n, d)
        Hidden vectors.
    rows : array_like, shape (n, L, d)
        Inner-node vectors along each path, padded to the longest path ``L``.
    codes : array_like, shape (n, L)
        Code bits in {0, 1} (padding values are ignored).
    mask : array_like of bool, shape (n, L), optional
        True on real path nodes, False on padding. Default: all real.

    Returns
    -------
    loss : ndarray, shape (n,)
    grad_h : ndarray, shape (n, d)
    grad_rows : ndarray, shape (n, L, d)
        Zero on padding.
    """
    labels = 1.0 - np.asarray(codes, dtype=np.float64)
    return _logistic_over_rows(h, rows, labels, mask)


def softmax(h, weights, target):
    r"""Full softmax (cross-entropy) over the vocabulary.

    .. math::

        \ell = \log \sum_{w=1}^{V} \exp(W h)_w - (W h)_t,
        \qquad
        \frac{\partial \ell}{\partial h} = W^\top (p - e_t),
        \qquad
        \frac{\partial \ell}{\partial W} = (p - e_t)\, h^\top

    with ``p = softmax(W h)``, computed with a max-shifted logsumexp.

    Parameters
    ----------
    h : array_like, shape (n, d)
        Hidden vectors.
    weights : array_like, shape (V, d)
        Output vectors of the whole vocabulary.
    target : array_like of int, shape (n,)
        Index of the word to predict.

    Returns
    -------
    loss : ndarray, shape (n,)
    grad_h : ndarray, shape (n, d)
    grad_weights : ndarray, shape (V, d)
        Gradient of ``loss.sum()`` w.r.t. ``weights``, summed over examples.
    """
    h, dtype = _hidden(h)
    weights = np.asarray(weights, dtype=dtype)
    target = np.asarray(target, dtype=np.intp)
    n = h.shape[0]
    logits = h @ weights.T  # (n, V)
    top = logits.max(axis=1, keepdims=True)
    shifted = logits - top
    lse = np.log(np.exp(shifted).sum(axis=1))
    rows = np.arange(n)
    loss = lse - shifted[rows, target]
    p = np.exp(shifted - lse[:, None])
    p[rows, target] -= 1.0
    return loss, p @ weights, p.T @ h


def norm_penalty(h, weight):
    r"""Norm penalty ``weight * ||h||``.

    .. math::

        \ell = \lambda \lVert h \rVert_2,
        \qquad
        \frac{\partial \ell}{\partial h} = \lambda \frac{h}{\lVert h \rVert_2}
        \quad (0 \text{ at } h = 0)

    Returns
    -------
    loss : ndarray, shape (n,)
    grad_h : ndarray, shape (n, d)
    """
    h, dtype = _hidden(h)
    norm = np.sqrt(np.einsum("nd,nd->n", h, h))
    safe = np.where(norm > 0, norm, dtype(1))
    # the subgradient 0 at h = 0: a zero row stays zero, as output.normalize() does
    return weight * norm, (weight / safe)[:, None] * h


def l2_penalty(h, weight):
    r"""Squared-norm (weight decay) penalty ``weight / 2 * ||h||^2``.

    .. math::

        \ell = \frac{\lambda}{2} \lVert h \rVert_2^2,
        \qquad
        \frac{\partial \ell}{\partial h} = \lambda h

    Returns
    -------
    loss : ndarray, shape (n,)
    grad_h : ndarray, shape (n, d)
    """
    h, dtype = _hidden(h)
    return dtype(0.5 * weight) * np.einsum("nd,nd->n", h, h), dtype(weight) * h


def anchor_penalty(h, reference, mask, weight):
    r"""Pull towards reference vectors: ``weight / 2 * ||h - r||^2`` where a reference exists.

    .. math::

        \ell = \frac{\lambda}{2} m \lVert h - r \rVert_2^2,
        \qquad
        \frac{\partial \ell}{\partial h} = \lambda m (h - r)

    Parameters
    ----------
    h : array_like, shape (n, d)
    reference : array_like, shape (n, d)
        The reference vector of each row's word (any value where ``mask`` is False).
    mask : array_like of bool, shape (n,)
        Whether the row's word has a reference vector; rows without one get
        zero loss and zero gradient.
    weight : float

    Returns
    -------
    loss : ndarray, shape (n,)
    grad_h : ndarray, shape (n, d)
    """
    h, dtype = _hidden(h)
    mask = np.asarray(mask, dtype=bool)
    diff = np.where(mask[:, None], h - np.asarray(reference, dtype=dtype), dtype(0))
    return dtype(0.5 * weight) * np.einsum("nd,nd->n", diff, diff), dtype(weight) * diff


def direction_penalty(h, directions, weight):
    r"""Penalise the components of ``h`` along given directions (e.g. a bias subspace).

    .. math::

        \ell = \frac{\lambda}{2} \sum_{j=1}^{m} (h \cdot d_j)^2,
        \qquad
        \frac{\partial \ell}{\partial h} = \lambda \sum_{j=1}^{m} (h \cdot d_j)\, d_j

    Parameters
    ----------
    h : array_like, shape (n, d)
    directions : array_like, shape (m, d) or (d,)
        The directions ``d_j``; not normalised here (their length scales the penalty).
    weight : float

    Returns
    -------
    loss : ndarray, shape (n,)
    grad_h : ndarray, shape (n, d)
    """
    h, dtype = _hidden(h)
    directions = np.atleast_2d(np.asarray(directions, dtype=dtype))
    proj = h @ directions.T  # (n, m)
    return dtype(0.5 * weight) * np.einsum("nm,nm->n", proj, proj), dtype(weight) * (proj @ directions)


def lexicon_penalty(v, partners, antonym, weight, margin):
    r"""Lexicon constraints on one word's vector against each of its partners' (held fixed).

    A hinge on the cosine: a synonym pair attracts while its cosine is below
    the synonym margin, an antonym pair repels while its cosine is above the
    antonym margin:

    .. math::

        \ell_{syn} = \lambda \max\big(0, m_s - \cos(v, u)\big),
        \qquad
        \ell_{ant} = \lambda \max\big(0, \cos(v, u) - m_a\big)

    with :math:`\partial \cos / \partial v = u / (\lVert v\rVert \lVert u\rVert)
    - \cos(v, u)\, v / \lVert v\rVert^2` (0 where either vector is 0).

    Parameters
    ----------
    v : array_like, shape (n, d)
        The vector of the word in each pair that is being trained.
    partners : array_like, shape (n, d)
        The other word's vector of each pair.
    antonym : array_like of bool, shape (n,)
        True for an antonym pair, False for a synonym pair.
    weight : float
    margin : (float, float)
        ``(m_s, m_a)``.

    Returns
    -------
    loss : ndarray, shape (n,)
    grad_v : ndarray, shape (n, d)
    """
    v, dtype = _hidden(v)
    u = np.asarray(partners, dtype=dtype)
    antonym = np.asarray(antonym, dtype=bool)
    nv, nu = np.linalg.norm(v, axis=1), np.linalg.norm(u, axis=1)
    ok = (nv > 0) & (nu > 0)
    cos = np.where(ok, np.einsum("nd,nd->n", v, u) / np.where(ok, nv * nu, 1), 0)
    sign = np.where(antonym, 1.0, -1.0)  # antonyms lower their cosine, synonyms raise it
    gap = sign * (cos - np.where(antonym, margin[1], margin[0]))
    active = ok & (gap > 0)
    safe_v, safe_u = np.where(ok, nv, 1)[:, None], np.where(ok, nu, 1)[:, None]
    d_cos = u / (safe_v * safe_u) - cos[:, None] * v / safe_v**2
    loss = np.where(active, weight * gap, 0).astype(dtype)
    grad = np.where(active[:, None], weight * sign[:, None] * d_cos, 0).astype(dtype)
    return loss, grad
