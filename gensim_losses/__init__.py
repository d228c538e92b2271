"""gensim-losses: gensim's Word2Vec, FastText and Doc2Vec with pluggable training losses at native speed.

>>> from gensim_losses import Word2Vec, NEGSamplingLoss, NormPenalty
>>> loss = NEGSamplingLoss() + NormPenalty(0.01)
"""

import logging

from gensim_losses.callbacks import Checkpoint, EarlyStopping, LossTracker, ProgressBar, Validation
from gensim_losses.checkpoints import resume
from gensim_losses.corpus import Sentence
from gensim_losses.doc2vec import Doc2Vec
from gensim_losses.engine import DivergenceError
from gensim_losses.fasttext import FastText
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
from gensim_losses.parquet import ParquetCorpus
from gensim_losses.word2vec import Word2Vec

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
