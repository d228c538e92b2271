"""The tutorial's loss class (DESIGN.md), shared by the tests.

Verbatim but for its name: it defines ``__init__`` without calling
``super().__init__()``, which child discovery must survive. It lives in a
module of its own so that models saved with it can be loaded again.
"""

from gensim_losses import BaseLoss, NEGSamplingLoss


class TutorialLoss(BaseLoss):
    def __init__(self, penalty):
        self.penalty = penalty
        self.neg_loss = NEGSamplingLoss()

    def forward(self, target, output):
        loss = self.neg_loss.forward(target, output)
        return loss + self.penalty * output.norm()

    def backward(self, target, output):
        grad = self.neg_loss.backward(target, output)
        grad += self.penalty * output.normalize()
        return grad
