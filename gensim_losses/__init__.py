"""gensim-losses: gensim's Word2Vec, FastText and Doc2Vec with pluggable training losses at native speed.

The package is one folder per layer, each importing only from those below it (docs/architecture.md):
``text`` < ``kernels`` < ``losses`` < ``training`` < ``models`` < ``callbacks`` < ``distributed`` <
``tools``; this module gathers the public names.

>>> from gensim_losses import Word2Vec, NEGSamplingLoss, NormPenalty
>>> loss = NEGSamplingLoss() + NormPenalty(0.01)
"""

import logging

from gensim_losses import _moved
from gensim_losses.callbacks import Checkpoint, EarlyStopping, LossTracker, ProgressBar, Validation, resume
from gensim_losses.losses import (
    AnchorPenalty,
    BaseLoss,
    CustomLoss,
    DirectionPenalty,
    ExampleBatch,
    GlobalContextLoss,
    GroupNegativeLoss,
    HierarchicalSoftmaxLoss,
    L2Penalty,
    LexiconPenalty,
    LossArray,
    LossError,
    NEGSamplingLoss,
    NormPenalty,
    Objective,
    Penalty,
    ScaledLoss,
    SoftmaxLoss,
    SumLoss,
    gradcheck,
)
from gensim_losses.models.doc2vec import Doc2Vec
from gensim_losses.models.fasttext import FastText
from gensim_losses.models.word2vec import Word2Vec
from gensim_losses.text.corpus import Sentence
from gensim_losses.text.parquet import ParquetCorpus
from gensim_losses.training.engine import DivergenceError

__version__ = "0.1.0"
__all__ = [
    "AnchorPenalty", "BaseLoss", "Checkpoint", "CustomLoss", "DirectionPenalty", "DivergenceError", "Doc2Vec",
    "EarlyStopping", "ExampleBatch",
    "FastText",
    "GlobalContextLoss", "GroupNegativeLoss", "HierarchicalSoftmaxLoss", "L2Penalty", "LexiconPenalty",
    "LossArray", "LossError", "LossTracker", "NEGSamplingLoss", "NormPenalty", "Objective", "ParquetCorpus",
    "Penalty",
    "ProgressBar", "ScaledLoss", "Sentence", "SoftmaxLoss", "SumLoss", "Validation", "Word2Vec", "gradcheck",
    "resume", "__version__",
]

logging.getLogger(__name__).addHandler(logging.NullHandler())
_moved.install()
