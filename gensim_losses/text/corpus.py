"""Corpus items that carry more than words: :class:`Sentence`.

A corpus may mix plain token lists and :class:`Sentence` items. A sentence's
``weight`` scales every term of every training example drawn from it (loss
and gradient); its ``context`` holds tokens that every centre word of the
sentence also predicts, when the loss has a
:class:`~gensim_losses.GlobalContextLoss`.

:func:`parts` reads any corpus item as ``(words, weight, context)`` and
checks it, so the vocabulary scan and the job preparation read items the
same way and reject the same bad input with the same message.
"""

import math
import numbers
from collections.abc import Sequence
from typing import NamedTuple

FLOAT32_MAX = 3.4028234663852886e38  # the largest finite float32: weights are float32 in the kernels


class Sentence(NamedTuple):
    """One corpus item with a weight and a sentence-level context.

    In the spirit of gensim's ``TaggedDocument``; plain token lists keep
    working, and a corpus may mix the two.

    Parameters
    ----------
    words : sequence of str or int
        The tokens, as a plain corpus item holds them (strings, or integer ids).
    weight : float, optional
        Finite and >= 0, at most float32's largest value (3.4e38). Scales
        every term of every example from this sentence, loss and gradient
        alike; 0 trains nothing from it. Keep weights near 1: each step is the
        learning rate times the weight, so a weight of 1e6 is a learning rate
        a million times larger (training diverges, and the error says so).
    context : sequence of str or int, optional
        Tokens every centre word of this sentence also predicts (with
        ``GlobalContextLoss`` in the loss), e.g. the listing booked at the
        end of a search session. ``build_vocab`` counts them, since they
        need output vectors; tokens outside the vocabulary are dropped.
    """

    words: Sequence[str]
    weight: float = 1.0
    context: Sequence[str] = ()


def _where(index):
    return "a corpus item" if index is None else f"corpus item {index}"


def parts(item, index=None):
    """``(words, weight, context)`` of a corpus item, checked.

    ``index`` (the item's position in the corpus, when known) goes into the
    error message. Plain items are returned as they are, with weight 1.0 and
    no context, without further checks (gensim's own behaviour).

    Raises
    ------
    ValueError
        A weight that is not a finite number >= 0 within float32's range.
    TypeError
        A ``context`` that is not a sequence of tokens (strings or integer
        ids), or ``words`` that is a single string.
    """
    if type(item) is not Sentence:
        return item, 1.0, ()
    words, weight, context = item
    if isinstance(words, str):
        raise TypeError(f"{_where(index)}: Sentence.words is the string {words[:40]!r}; expected a sequence of "
                        f"tokens (str.split() it)")
    if isinstance(weight, bool) or not isinstance(weight, numbers.Real):
        raise ValueError(f"{_where(index)}: Sentence.weight must be a real number >= 0, got {weight!r}")
    weight = float(weight)
    if not (math.isfinite(weight) and 0 <= weight <= FLOAT32_MAX):
        raise ValueError(f"{_where(index)}: Sentence.weight must be finite and >= 0, got {weight!r}; and at most "
                         f"{FLOAT32_MAX:.7g}, float32's largest (the kernels compute in float32)")
    if isinstance(context, str) or not isinstance(context, Sequence):
        raise TypeError(f"{_where(index)}: Sentence.context must be a sequence of tokens (e.g. a list or "
                        f"tuple), got {type(context).__name__} {context!r:.60}")
    for token in context:  # tokens as the words are: strings, or integer ids (as plain lists of ints train)
        if not isinstance(token, (str, numbers.Integral)) or isinstance(token, bool):
            raise TypeError(f"{_where(index)}: Sentence.context must hold tokens (strings or integer ids), got "
                            f"{type(token).__name__} {token!r:.60}")
    return words, weight, context


def raw_word_count(items):
    """Raw words of some corpus items (a Sentence counts its words, not its context)."""
    return sum(len(item.words) if type(item) is Sentence else len(item) for item in items)
