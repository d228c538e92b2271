"""The losses: their math in numpy (:mod:`.functional`), the loss objects users compose
(:mod:`.loss`), and how the training paths see them: the plan of which terms run where
(:mod:`.plan`), a job's examples as arrays (:mod:`.jobs`), Python terms traced into programs the
kernels run (:mod:`.tracing`).

    from gensim_losses.losses import NEGSamplingLoss, NormPenalty
"""

from gensim_losses.losses import loss as _loss
from gensim_losses.losses.loss import (
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

__all__ = ["AnchorPenalty", "BaseLoss", "CustomLoss", "DirectionPenalty", "ExampleBatch", "GlobalContextLoss",
           "GroupNegativeLoss", "HierarchicalSoftmaxLoss", "L2Penalty", "LexiconPenalty", "LossArray", "LossError",
           "NEGSamplingLoss", "NormPenalty", "Objective", "Penalty", "ScaledLoss", "SoftmaxLoss", "SumLoss",
           "gradcheck"]


def __getattr__(name):
    # models saved before the losses became a folder name their classes gensim_losses.losses.<Name>,
    # private ones too (GroupTables, ObjectiveResult): they are found in .loss
    try:
        return getattr(_loss, name)
    except AttributeError:
        raise AttributeError(f"module 'gensim_losses.losses' has no attribute {name!r}") from None
