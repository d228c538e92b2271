"""gensim's own Word2Vec test suite, run against gensim_losses.Word2Vec.

Our class replaces gensim's training internals, so gensim's tests are the
reference for "still behaves like gensim". They reach the model class only
as ``word2vec.Word2Vec`` (``word2vec`` being their module global), so we load
a private copy of the test module and point that global at a copy of the
``gensim.models.word2vec`` namespace whose ``Word2Vec`` is ours.

The real ``gensim.models.word2vec.Word2Vec`` is left alone: gensim's methods
resolve ``super(Word2Vec, self)`` through it, and rebinding it to our subclass
makes ``save`` recurse forever. ``gensim.test.test_word2vec`` in sys.modules
is left alone too, for anyone else importing it.

Not routed, so these run stock gensim code whatever we do:
``TestWord2VecScripts`` (runs gensim's standalone script in a subprocess) and
the old-model loading tests (the pickles name gensim's class, so ``load``
returns stock instances).
"""

import importlib.util
import inspect
import types
import unittest

import gensim.models.word2vec
import pytest

import gensim_losses

_OURS = types.ModuleType(gensim.models.word2vec.__name__, gensim.models.word2vec.__doc__)
_OURS.__dict__.update(vars(gensim.models.word2vec))
_OURS.Word2Vec = gensim_losses.Word2Vec

# A private module name, so the stock test module is neither shadowed nor imported.
_spec = importlib.util.spec_from_file_location(
    "_gensim_losses_gensim_test_word2vec", importlib.util.find_spec("gensim.test.test_word2vec").origin)
gensim_suite = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gensim_suite)
gensim_suite.word2vec = _OURS  # looked up at call time by every test

# Re-export gensim's tests here so pytest collects them from this file. (No loop
# variable may be left at module level: pytest collects any TestCase it finds.)
globals().update({
    name: obj for name, obj in vars(gensim_suite).items()
    if (inspect.isclass(obj) and issubclass(obj, unittest.TestCase))
    or (name.startswith("test") and inspect.isfunction(obj))
})


# gensim's sanity tests are statistical: with workers=2 the result depends on
# thread timing (stock gensim's too), and the calibrated thresholds (e.g. a
# rank under 50) fail now and then on a loaded machine. Those tests may run
# up to three times; every other gensim test must pass at once.
for _cls in [c for c in list(globals().values()) if inspect.isclass(c) and issubclass(c, unittest.TestCase)]:
    for _name, _method in list(vars(_cls).items()):
        if _name.startswith("test") and "model_sanity(" in inspect.getsource(_method):
            pytest.mark.flaky(reruns=2)(_method)
del _cls, _name, _method


@pytest.fixture(autouse=True)
def _in_tmp_dir(tmp_path, monkeypatch):
    # TestWord2VecScripts writes vec.txt into the working directory.
    monkeypatch.chdir(tmp_path)


def test_suite_runs_against_our_class():
    # Guards against the suite silently testing stock gensim (e.g. if gensim
    # renames the test module's global or imports Word2Vec another way).
    assert gensim_suite.word2vec.Word2Vec is gensim_losses.Word2Vec
    assert gensim.models.word2vec.Word2Vec is not gensim_losses.Word2Vec
    assert gensim.models.word2vec.Word2Vec not in vars(gensim_suite).values()
    assert "TestWord2VecModel" in globals()
