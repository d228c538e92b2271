"""The tutorial's loss class (DESIGN.md), shared by the tests.

It is the class ``gensim-losses bench --compare hybrid`` times, verbatim but
for its name: it defines ``__init__`` without calling ``super().__init__()``,
which child discovery must survive. It lives in a module (not a test
function), so models saved with it load again.
"""

from gensim_losses.tools.bench import TutorialLoss

__all__ = ["TutorialLoss"]
