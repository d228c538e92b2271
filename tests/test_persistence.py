"""Saving and loading (issue 17, items 4, 6.2 and 6.4): each test here failed before its fix.

* inference on a model loaded with ``mmap='r'``: its arrays are only read.
"""

import numpy as np
import pytest
from gensim.models.doc2vec import TaggedDocument
from gensim.test.utils import datapath
from tutorial_loss import TutorialLoss

from gensim_losses import Doc2Vec, HierarchicalSoftmaxLoss, NEGSamplingLoss, NormPenalty

LEE = datapath("lee_background.cor")


@pytest.fixture(scope="module")
def lee_docs():
    with open(LEE) as fh:
        return [TaggedDocument(line.split(), [i]) for i, line in enumerate(fh)]


# ---------------------------------------------------------------- 6.4 inference on a read-only model
@pytest.mark.parametrize("dm, dbow_words, loss", [
    (1, 0, NEGSamplingLoss() + HierarchicalSoftmaxLoss() + NormPenalty(0.01)),
    (0, 1, NEGSamplingLoss()),
    (1, 0, TutorialLoss(penalty=0.1)),  # a Python term: the hybrid path
], ids=["pv-dm-native", "pv-dbow-words", "pv-dm-hybrid"])
def test_infer_vector_on_a_read_only_model(lee_docs, tmp_path, dm, dbow_words, loss):
    model = Doc2Vec(lee_docs[:150], dm=dm, dbow_words=dbow_words, vector_size=16, min_count=2, epochs=2,
                    workers=1, seed=1, loss=loss)
    path = str(tmp_path / "d2v.model")
    model.save(path, sep_limit=0)  # every array in a .npy side file, so mmap applies to all of them
    ram, mapped = Doc2Vec.load(path), Doc2Vec.load(path, mmap="r")
    arrays = [mapped.wv.vectors, mapped.dv.vectors] + [getattr(mapped, n) for n in ("syn1neg", "syn1")
                                                       if getattr(mapped, n, None) is not None]
    assert arrays and not any(a.flags.writeable for a in arrays)
    before = [np.array(a) for a in arrays]
    words = lee_docs[3].words
    # the same start vector and the same job seeds (both copies hold the saved random state): the same result
    vector, records = mapped.infer_vector(words, epochs=5, return_loss=True)
    np.testing.assert_array_equal(vector, ram.infer_vector(words, epochs=5))
    assert len(records) == 5 and records[0]["examples"] > 0 and records[0]["total"] > 0
    assert not np.array_equal(vector, Doc2Vec.load(path).infer_vector(words, epochs=1))  # it did train
    for old, new in zip(before, arrays):
        np.testing.assert_array_equal(old, new)
    # training does write them: refused clearly, nothing changed
    with pytest.raises(ValueError, match=r"read-only.*mmap='r'"):
        mapped.train(lee_docs[:20], total_examples=20, epochs=1)
