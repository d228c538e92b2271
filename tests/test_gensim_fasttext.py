"""gensim's own FastText test suite (``gensim/test/test_fasttext.py``), run
against gensim_losses.FastText (see ``gensim_suites``).

On this machine stock gensim 4.4.0 passes 81 of the module's own tests and
skips 5 (POT missing; four need the fasttext binary in FT_HOME), in 67 s; ours
must pass the same. (The module also imports gensim's TestWord2VecModel:
test_gensim_suite runs that against our Word2Vec, so it is not collected here.)
The suite reaches the class as ``FT_gensim``. Its ``load_facebook_model`` tests
build stock instances and test stock code.
"""

import gensim.models.fasttext
from gensim_suites import in_tmp_dir, load, suite_tests  # noqa: F401 (autouse fixture)

import gensim_losses

gensim_suite = load("gensim.test.test_fasttext", FT_gensim=gensim_losses.FastText)
globals().update(suite_tests(gensim_suite))



def test_suite_runs_against_our_class():
    assert gensim_suite.FT_gensim is gensim_losses.FastText
    assert gensim.models.fasttext.FastText is not gensim_losses.FastText
    assert "TestFastTextModel" in globals() and "TestWord2VecModel" not in globals()
