"""gensim-losses: gensim's Word2Vec with pluggable training losses at native speed.

>>> from gensim_losses import Word2Vec
"""

import logging

from gensim_losses.word2vec import Word2Vec

__version__ = "0.1.0"
__all__ = ["Word2Vec", "__version__"]

logging.getLogger(__name__).addHandler(logging.NullHandler())
