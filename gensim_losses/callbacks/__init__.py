"""Callbacks: what training shows (:mod:`.tracking`: the loss per epoch, a progress bar), what steers it
(:mod:`.steering`: held-out loss, early stopping), where it is kept (:mod:`.checkpoints`), and the
figures they can watch (:mod:`.evaluators`).

    from gensim_losses.callbacks import LossTracker, ProgressBar, Validation, EarlyStopping, Checkpoint
"""

from gensim_losses.callbacks.checkpoints import Checkpoint, latest, load, resume
from gensim_losses.callbacks.evaluators import analogies, hit_rate, word_pairs
from gensim_losses.callbacks.steering import EarlyStopping, Validation
from gensim_losses.callbacks.tracking import STOCK_INEXACT, STOCK_SATURATION, LossTracker, ProgressBar

__all__ = ["Checkpoint", "EarlyStopping", "LossTracker", "ProgressBar", "STOCK_INEXACT", "STOCK_SATURATION",
           "Validation", "analogies", "hit_rate", "latest", "load", "resume", "word_pairs"]


def __getattr__(name):
    # before the callbacks became a folder, every one of their names lived in gensim_losses.callbacks
    from gensim_losses.callbacks import steering, tracking

    for module in (tracking, steering):
        if hasattr(module, name):
            return getattr(module, name)
    raise AttributeError(f"module 'gensim_losses.callbacks' has no attribute {name!r}")
