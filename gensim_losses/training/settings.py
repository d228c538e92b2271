"""The numeric settings of a model, checked where gensim takes them as given.

gensim's constructors accept a NaN learning rate (training then runs at
``min_alpha``), a negative one, ``workers=0`` or ``batch_words=0`` (nothing is
trained) without a word. :func:`check_settings` refuses them, naming the
parameter and what it must be; the model classes call it in their
constructors and ``train()`` calls it on ``start_alpha``/``end_alpha``/``epochs``.
"""

import math
import numbers

C_INT_MAX = 2**31 - 1  # the kernels hold sizes and windows in C ints

# the numeric settings gensim takes without checking (a NaN learning rate trains at min_alpha, workers=0 or
# batch_words=0 trains nothing, both silently): name -> (integer?, lowest, lowest allowed?, highest, what it is)
SETTINGS = {
    "alpha": (False, 0.0, True, None, "the initial learning rate (gensim's default 0.025; 0 learns nothing)"),
    "min_alpha": (False, 0.0, True, None, "the final learning rate (gensim's default 0.0001)"),
    # vector_size: no upper bound here, the model checks it against memory once the vocabulary is known
    "vector_size": (True, 1, True, None, "the number of dimensions"),
    "window": (True, 1, True, C_INT_MAX, "the largest distance between the centre word and a context word"),
    "epochs": (True, 0, True, C_INT_MAX, "the number of passes over the corpus"),
    "min_count": (True, 0, True, None, "the fewest occurrences a word needs to be kept"),
    "workers": (True, 1, True, C_INT_MAX, "the number of training threads"),
    "batch_words": (True, 1, True, C_INT_MAX, "the words per job"),
    "negative": (True, 0, True, C_INT_MAX, "the number of negatives per example (0: no negative sampling)"),
    "sample": (False, 0.0, True, None, "the downsampling threshold of frequent words (0: off)"),
    "ns_exponent": (False, None, True, None, "the exponent of the negative-sampling distribution (gensim's 0.75)"),
    "seed": (True, 0, True, 2**32 - 1, "the seed of the random generators (numpy's RandomState)"),
}


def check_settings(**values):
    """Refuse, with a ``ValueError`` naming the parameter and what it must be, a
    numeric setting gensim would take silently (NaN, infinity, a negative
    learning rate, zero workers, a count the kernels' C ints cannot hold) or
    fail on with a traceback from deep inside. Settings given as None
    (gensim's default) are skipped."""
    for name, value in values.items():
        if value is None:
            continue
        integer, lowest, inclusive, highest, meaning = SETTINGS[name]
        if integer:
            ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
        else:
            ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
        expected = "an integer" if integer else "a finite number"
        if lowest is not None:
            expected += f" {'>=' if inclusive else '>'} {lowest:g}"
            ok = ok and (value >= lowest if inclusive else value > lowest)
        if highest is not None:
            expected += f" and <= {highest}"
            ok = ok and value <= highest
        if not ok:
            raise ValueError(f"{name}={value!r}: {meaning} must be {expected}")
