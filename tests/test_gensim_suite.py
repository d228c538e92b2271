"""gensim's own Word2Vec test suite (``gensim/test/test_word2vec.py``), run
against gensim_losses.Word2Vec (see ``gensim_suites``).

Not routed, so it runs stock gensim code whatever we do:
``TestWord2VecScripts`` (runs gensim's standalone script in a subprocess).
The old-model loading tests load pickles of gensim's class (1.x to 3.x) through
our ``load``, which gives them as ours: they train through our kernels.
"""

import gensim.models.word2vec
from gensim_suites import in_tmp_dir, load, ours, suite_tests  # noqa: F401 (autouse fixture)

import gensim_losses

gensim_suite = load("gensim.test.test_word2vec",
                    word2vec=ours(gensim.models.word2vec, Word2Vec=gensim_losses.Word2Vec))
globals().update(suite_tests(gensim_suite))



def test_suite_runs_against_our_class():
    # Guards against the suite silently testing stock gensim (e.g. if gensim
    # renames the test module's global or imports Word2Vec another way).
    assert gensim_suite.word2vec.Word2Vec is gensim_losses.Word2Vec
    assert gensim.models.word2vec.Word2Vec is not gensim_losses.Word2Vec
    assert gensim.models.word2vec.Word2Vec not in vars(gensim_suite).values()
    assert "TestWord2VecModel" in globals()
