"""The module paths of release 0.1.0, before the package's modules moved into one folder per layer.

Models saved then name their classes by those paths (``gensim_losses.word2vec.Word2Vec``), and user
code may import them (``from gensim_losses.engine import DivergenceError``). A finder on
``sys.meta_path`` answers each old path with the module that now holds its code, the same module
object, so such a pickle loads into today's class.
"""

import importlib
import importlib.abc
import importlib.util
import sys

PACKAGE = "gensim_losses"

#: old module (under gensim_losses) -> where its code is now
MOVED = {
    "_kernels": "kernels", "bounds": "kernels.bounds",
    "corpus": "text.corpus", "parquet": "text.parquet", "synthetic": "text.synthetic",
    "functional": "losses.functional", "plan": "losses.plan", "jobs": "losses.jobs", "tracing": "losses.tracing",
    "settings": "training.settings", "engine": "training.engine", "hybrid": "training.hybrid",
    "reference": "training.reference", "heldout": "training.heldout", "vocab": "training.scan",
    "model": "models.base", "word2vec": "models.word2vec", "fasttext": "models.fasttext",
    "doc2vec": "models.doc2vec", "persistence": "models.persistence",
    "checkpoints": "callbacks.checkpoints", "evaluators": "callbacks.evaluators",
    "cli": "tools.cli", "demo": "tools.demo", "bench": "tools.bench",
}


class _Alias(importlib.abc.Loader):
    def __init__(self, target):
        self.target = target

    def create_module(self, spec):
        return importlib.import_module(self.target)  # the module itself, not a copy: one class per name

    def exec_module(self, module):
        pass


class MovedFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        package, _, name = fullname.partition(".")
        if package != PACKAGE or name not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, _Alias(f"{PACKAGE}.{MOVED[name]}"))


def install():
    if not any(isinstance(finder, MovedFinder) for finder in sys.meta_path):
        sys.meta_path.append(MovedFinder())  # last: a real module of that name always wins
