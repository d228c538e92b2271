"""gensim's own Word2Vec test suite (``gensim/test/test_word2vec.py``), run
against gensim_losses.Word2Vec (see ``gensim_suites``).

Not routed, so these run stock gensim code whatever we do:
``TestWord2VecScripts`` (runs gensim's standalone script in a subprocess) and
the old-model loading tests (the pickles name gensim's class).
"""

import gensim.models.word2vec
import pytest
from gensim_suites import load, ours, suite_tests

import gensim_losses

gensim_suite = load("gensim.test.test_word2vec",
                    word2vec=ours(gensim.models.word2vec, Word2Vec=gensim_losses.Word2Vec))
globals().update(suite_tests(gensim_suite))


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
