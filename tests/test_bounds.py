"""The kernels never read or write outside an array (issue 17, items 2 and 6.1).

Each index a job can carry is checked against the arrays it touches
(gensim_losses.kernels.bounds): the model's tables once per ``train()`` in
``KernelModel``, a job's own indices where they are made and once per job.
Scripts that crashed the process (a segfault, "double free or corruption")
before the fix run in a subprocess, so a regression fails the test instead
of killing pytest. Each test here failed on the code before it.
"""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from gensim.models.doc2vec import TaggedDocument
from gensim.test.utils import datapath

from gensim_losses import (
    Doc2Vec,
    FastText,
    GroupNegativeLoss,
    LexiconPenalty,
    NEGSamplingLoss,
    Word2Vec,
    kernels,
)

LEE = datapath("lee_background.cor")
PRELUDE = """
import threading
import numpy as np
from gensim.models.doc2vec import TaggedDocument
from gensim_losses import Doc2Vec, NEGSamplingLoss
from gensim_losses.training import engine

docs = [TaggedDocument(f"w{i} w{i + 1} w{i + 2} a b c".split(), [i]) for i in range(9)]
new = [TaggedDocument(f"w{i} a b c d".split(), [i]) for i in range(9, 15)]

def refused(call, *needles):
    try:
        call()
    except ValueError as exc:
        for needle in needles:
            assert needle in str(exc), (needle, str(exc))
        return str(exc)
    raise AssertionError("no ValueError")
"""


def run_script(body, tmp_path, timeout=240, **values):
    """Run ``PRELUDE + body`` in a fresh interpreter (in ``tmp_path``), each ``$NAME`` of ``body`` replaced
    by ``values[name]``; it must print OK and exit 0."""
    for name, value in values.items():
        body = body.replace(f"${name}", str(value))
    script = PRELUDE + textwrap.dedent(body) + "\nassert threading.active_count() == 1\nprint('OK')\n"
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("OK"), (
        f"exit {proc.returncode}\nstdout: {proc.stdout[-2000:]}\nstderr: {proc.stderr[-3000:]}")
    return proc.stdout


@pytest.fixture
def lee_files(tmp_path):
    """a.txt: 50 lines of the Lee corpus; b.txt: 5,000 lines (the corpus repeated)."""
    with open(LEE) as fh:
        lines = fh.read().splitlines()
    (tmp_path / "a.txt").write_text("\n".join(lines[:50]) + "\n")
    (tmp_path / "b.txt").write_text("\n".join((lines * 20)[:5000]) + "\n")
    return tmp_path


# ------------------------------------------------------------ item 2: build_vocab(update=True) with new tags
@pytest.mark.parametrize("loss", ["NEGSamplingLoss()", "None"])
def test_doc2vec_update_with_new_tags_adds_and_trains_their_vectors(tmp_path, loss):
    # before: len(m.dv) became 15 with dv.vectors (9, 16), then a segfault or "double free or
    # corruption" (with loss=) or a DivergenceError blaming the learning rate (without); then a refusal
    run_script("""
        m = Doc2Vec(docs, vector_size=16, min_count=1, epochs=5, workers=2, loss=$loss, sample=0)
        old = m.dv.vectors.copy()
        m.build_vocab(new, update=True)
        assert len(m.dv) == 15 and m.dv.vectors.shape == (15, 16), (len(m.dv), m.dv.vectors.shape)
        assert np.array_equal(m.dv.vectors[:9], old)  # every tag it had keeps its vector
        fresh = m.dv.vectors[9:].copy()
        assert np.abs(fresh).max() <= 1 / 16 and len({row.tobytes() for row in fresh}) == 6  # gensim's init
        assert {"w9", "w14", "d"} <= set(m.wv.key_to_index)
        m.train(new, total_examples=len(new), epochs=3)
        assert np.array_equal(m.dv.vectors[:9], old)  # not in the corpus trained: untouched
        assert all(not np.array_equal(a, b) for a, b in zip(m.dv.vectors[9:], fresh))  # every new one trained
        assert np.isfinite(m.dv.vectors).all() and m.loss_history[-1]["examples"] > 0
        assert np.isfinite(m.infer_vector(new[0].words)).all()
    """, tmp_path, loss=loss)


def test_doc2vec_update_with_new_string_tags_and_from_a_longer_corpus_file(lee_files):
    run_script("""
        tagged = [TaggedDocument(d.words, [f"doc{i}"]) for i, d in enumerate(docs)]
        m = Doc2Vec(tagged, vector_size=16, min_count=1, epochs=2, workers=1)
        old = m.dv.vectors.copy()
        m.build_vocab([TaggedDocument(["a", "b"], ["doc1", "fresh"])], update=True)
        assert m.dv.index_to_key == [f"doc{i}" for i in range(9)] + ["fresh"]
        assert m.dv.get_index("fresh") == 9 and np.array_equal(m.dv.vectors[:9], old)
        assert m.dv.get_vecattr("fresh", "doc_count") == 1 and m.dv.get_vecattr("fresh", "word_count") == 2
        # an int tag is its own row, which a string tag holds here
        refused(lambda: m.build_vocab([TaggedDocument(["a"], [12])], update=True), "document tag 12",
                "tag new documents with strings", "unchanged")
        assert len(m.dv) == 10 and m.dv.vectors.shape == (10, 16)

        m = Doc2Vec(vector_size=16, min_count=2, epochs=1, workers=2)
        m.build_vocab(corpus_file="a.txt")
        m.build_vocab(corpus_file="a.txt", update=True)  # the same documents again: nothing new
        assert len(m.dv) == 50 and m.dv.vectors.shape == (50, 16)
        old = m.dv.vectors.copy()
        m.build_vocab(corpus_file="b.txt", update=True)  # lines 50 to 4999 are new documents
        assert len(m.dv) == 5000 and m.dv.vectors.shape == (5000, 16) and np.array_equal(m.dv.vectors[:50], old)
        m.train(corpus_file="b.txt", total_words=m.corpus_total_words, epochs=1)
        assert np.isfinite(m.dv.vectors).all() and m.loss_history[-1]["examples"] > 0
    """, lee_files)


def test_doc2vec_update_with_known_tags_adds_words_and_keeps_every_tag_row():
    # gensim's scan rebuilds dv's index from the new documents alone: before, "doc7" moved to row 0
    # and len(dv) fell to 1 while dv.vectors kept its 9 rows
    corpus = [TaggedDocument(f"w{i} w{i + 1} w{i + 2} a b c".split(), [f"doc{i}"]) for i in range(9)]
    model = Doc2Vec(corpus, vector_size=16, min_count=1, epochs=2, workers=1, seed=1, sample=0)
    rows = dict(model.dv.key_to_index)
    later = [TaggedDocument(["a", "b", "brand", "new"], ["doc7"]), TaggedDocument(["c", "brand"], ["doc2"])]
    model.build_vocab(later, update=True)
    assert model.dv.key_to_index == rows and model.dv.index_to_key == [f"doc{i}" for i in range(9)]
    assert "brand" in model.wv.key_to_index and len(model.wv.vectors) == len(model.wv)
    before = model.dv.vectors.copy()
    model.train(later, total_examples=len(later), epochs=3)
    moved = [tag for tag, row in rows.items() if not np.array_equal(model.dv.vectors[row], before[row])]
    assert moved == ["doc2", "doc7"]  # the rows of the documents trained, and no other


def test_a_tag_past_the_document_vectors_is_refused_when_the_job_is_made(tmp_path):
    # gensim's own update (bypassing ours) makes dv outgrow its vectors: prepare_batch refuses the tag
    run_script("""
        import gensim
        for loss in (NEGSamplingLoss(), None):
            m = Doc2Vec(docs, vector_size=16, min_count=1, epochs=5, workers=2, loss=loss)
            gensim.models.doc2vec.Doc2Vec.build_vocab(m, new, update=True)
            assert len(m.dv) == 15 and m.dv.vectors.shape == (9, 16)
            refused(lambda: m.train(new, total_examples=len(new), epochs=2),
                    "document 0 has tags [9]", "row 9 of dv.vectors, which has 9 rows (shape (9, 16))",
                    "this package's build_vocab(update=True)")
    """, tmp_path)


# ------------------------------------------------------------ item 6.1: corpus_file with more lines
@pytest.mark.parametrize("dm, workers", [(1, 1), (1, 2), (0, 1), (0, 2)])
def test_corpus_file_with_more_lines_than_build_vocab_saw_is_refused_before_training(lee_files, dm, workers):
    # before: SIGSEGV (dm=1), a DivergenceError then "corrupted size vs. prev_size" (dm=0)
    run_script("""
        m = Doc2Vec(vector_size=16, min_count=2, dm=$dm, workers=$workers, epochs=2)
        m.build_vocab(corpus_file="a.txt")
        before = m.dv.vectors.copy()
        refused(lambda: m.train(corpus_file="b.txt", total_words=10**6, epochs=2),
                "'b.txt' has 5000 lines", "dv.vectors has 50 rows (shape (50, 16))", "infer_vector()")
        assert np.array_equal(m.dv.vectors, before)  # nothing trained
        m.train(corpus_file="a.txt", total_words=m.corpus_total_words, epochs=1)  # the model still trains
    """, lee_files, dm=dm, workers=workers)


@pytest.mark.parametrize("workers", [1, 2])
def test_the_corpus_file_reader_refuses_a_line_past_the_document_vectors(lee_files, workers):
    # the reader's own check, without the engine's count of the lines up front; no thread hangs
    run_script("""
        engine.check_document_lines = lambda *args: None
        m = Doc2Vec(vector_size=16, min_count=2, dm=1, workers=$workers, epochs=2)
        m.build_vocab(corpus_file="a.txt")
        refused(lambda: m.train(corpus_file="b.txt", total_words=10**6, epochs=2),
                "corpus_file 'b.txt' is document", "dv.vectors has 50 rows (shape (50, 16))")
    """, lee_files, timeout=120, workers=workers)


def test_line_counts_match_what_the_reader_reads(tmp_path):
    from gensim_losses.text.files import first_lines, line_ranges
    for text, lines in [(b"", 0), (b"a\n", 1), (b"a\nb", 2), (b"a\n\nb\n", 3), (b"\n\n", 2)]:
        path = tmp_path / "f.txt"
        path.write_bytes(text)
        for parts in (1, 2, 3):
            ranges = line_ranges(str(path), parts)
            numbers, total = first_lines(str(path), ranges)
            assert total == lines, (text, parts)
            assert numbers == [text[:start].count(b"\n") for start, _ in ranges]


# ------------------------------------------------------------ KernelModel refuses mismatched arrays
def small_model(cls=Word2Vec, **kw):
    corpus = [["a", "b", "c", "d"], ["b", "c", "e", "f"], ["a", "e", "f", "g"]] * 3
    if cls is Doc2Vec:
        corpus = [TaggedDocument(words, [i]) for i, words in enumerate(corpus)]
    params = dict(vector_size=8, min_count=1, epochs=1, workers=1, seed=1)
    if cls is FastText:
        params["bucket"] = 100
    return cls(corpus, **{**params, **kw}), corpus


def kernel(model, weights=None, **kw):
    weights = weights or {"ns": 1.0}
    return kernels.KernelModel(model, True, weights, model._kernel_inputs(), model._kernel_kind, **kw)


def shrink(model, attr, rows):
    setattr(model, attr, np.ascontiguousarray(getattr(model, attr)[:rows]))


MISMATCHES = {
    "syn1neg has fewer rows than the vocabulary": (
        dict(), lambda m: shrink(m, "syn1neg", 5), {"ns": 1.0},
        r"syn1neg has shape \(5, 8\), expected \(7, 8\) \(negative sampling's output layer, one row per word"),
    "syn1 has fewer rows than the vocabulary": (
        dict(hs=1, negative=0), lambda m: shrink(m, "syn1", 6), {"hs": 1.0},
        r"syn1 has shape \(6, 8\), expected \(7, 8\) \(hierarchical softmax's output layer"),
    "a Huffman point beyond syn1": (
        dict(hs=1, negative=0), lambda m: m.wv.get_vecattr(0, "point").__setitem__(0, 7), {"hs": 1.0},
        r"Huffman points .* holds index 7 \(at position 0\), but syn1 has 7 rows \(shape \(7, 8\)\)"),
    "a Huffman code longer than its path": (
        dict(hs=1, negative=0),
        lambda m: m.wv.set_vecattr(0, "code", np.append(m.wv.get_vecattr(0, "code"), 1).astype(np.uint8)),
        {"hs": 1.0}, r"word 0's Huffman code has \d+ entries and its path \d+ points"),
    "a Huffman tree of an older vocabulary": (
        dict(hs=1, negative=0), lambda m: m.wv.expandos.update(code=m.wv.expandos["code"][:5]), {"hs": 1.0},
        r"Huffman codes and points cover 5 and 7 words, expected 7"),
    "a cum_table of an older vocabulary": (
        dict(), lambda m: setattr(m, "cum_table", m.cum_table[:4]), {"ns": 1.0},
        r"cum_table has shape \(4,\), expected \(7,\)"),
    "a sample_int table of an older vocabulary": (
        dict(sample=1e-3), lambda m: m.wv.expandos.update(sample_int=m.wv.expandos["sample_int"][:3]),
        {"ns": 1.0}, r"'sample_int' vecattr has shape \(3,\), expected \(7,\)"),
    "a per-word lockf of an older vocabulary": (
        dict(), lambda m: setattr(m.wv, "vectors_lockf", np.ones(5, np.float32)), {"ns": 1.0},
        r"wv.vectors_lockf has shape \(5,\): expected 1 factor \(every row alike\) or 7 \(one per row of "
        r"wv.vectors"),
    "an empty lockf": (
        dict(), lambda m: setattr(m.wv, "vectors_lockf", np.ones(0, np.float32)), {"ns": 1.0},
        r"wv.vectors_lockf has shape \(0,\)"),
}


@pytest.mark.parametrize("case", list(MISMATCHES))
def test_kernel_model_refuses_mismatched_arrays_naming_them(case):
    params, break_it, weights, message = MISMATCHES[case]
    model, _ = small_model(**params)
    assert len(model.wv) == 7
    kernel(model, weights)  # as trained: accepted
    break_it(model)
    with pytest.raises(ValueError, match=message):
        kernel(model, weights)


def test_document_rows_fewer_than_the_tags_are_refused_naming_dv_vectors():
    model, corpus = small_model(Doc2Vec)
    model.dv.vectors = np.ascontiguousarray(model.dv.vectors[:4])
    km = kernel(model, doc_index=model._doc_rows)
    assert km.doc_rows == 4 and km.doc_name == "dv.vectors"
    with pytest.raises(ValueError, match=r"document 4 has tags \[4\], one of them at row 4 of dv.vectors, which "
                                         r"has 4 rows \(shape \(4, 8\)\)"):
        kernels.prepare_batch(km, corpus, 1, 0)
    model.dv.vectors_lockf = np.ones(9, np.float32)
    with pytest.raises(ValueError, match=r"dv.vectors_lockf has shape \(9,\): expected 1 factor .* or 4"):
        kernel(model, doc_index=model._doc_rows)


def test_fasttext_bucket_tables_are_checked_against_the_ngram_vectors():
    model, _ = small_model(FastText)
    vectors, lockf, starts, ids = model._kernel_inputs()["ngrams"]
    assert model.wv.vectors_ngrams.shape == (100, 8)

    def refused(starts, ids, message):
        inputs = {**model._kernel_inputs(), "ngrams": (vectors, lockf, starts, ids)}
        with pytest.raises(ValueError, match=message):
            kernels.KernelModel(model, True, {"ns": 1.0}, inputs, "fasttext")

    bad = ids.copy()
    bad[3] = 100
    refused(starts, bad, r"bucket ids \(wv.buckets_word\) holds index 100 \(at position 3\), but "
                         r"wv.vectors_ngrams has 100 rows \(shape \(100, 8\)\)")
    refused(starts[:-1], ids, r"bucket offsets .* has shape \(7,\), expected \(8,\)")
    longer = starts.copy()
    longer[-1] += 5
    refused(longer, ids, r"bucket offsets .* runs from 0 to \d+, expected 0 to \d+ \(the length of the bucket "
                         r"ids\)")
    backwards = starts.copy()
    backwards[2] = backwards[3] + 1
    refused(backwards, ids, r"bucket offsets .* decreases at entry")
    model.wv.vectors_ngrams_lockf = np.ones(7, np.float32)
    with pytest.raises(ValueError, match=r"wv.vectors_ngrams_lockf has shape \(7,\): expected 1 factor .* or 100"):
        kernel(model)


def test_group_and_lexicon_tables_are_checked_against_the_vocabulary():
    model, _ = small_model()
    loss = GroupNegativeLoss({"a": 0, "b": 0, "c": 1, "d": 1}, negative=2)
    loss.bind(model)
    tables = loss.tables()
    weights = {"ns": 1.0, "group_negative": 1.0}
    kernel(model, weights, groups=(tables, 2))

    def group_refused(message, word_group=None, starts=None, members=None):
        broken = tables._replace(**{name: value for name, value in
                                    (("word_group", word_group), ("starts", starts), ("members", members))
                                    if value is not None})
        with pytest.raises(ValueError, match=message):
            kernel(model, weights, groups=(broken, 2))

    members = tables.members.copy()
    members[0] = 7
    group_refused(r"group table members holds index 7 \(at position 0\), but wv.vectors \(the vocabulary\) has 7",
                  members=members)
    word_group = tables.word_group.copy()
    word_group[0] = len(tables.starts) - 1
    group_refused(r"gives word 0 group \d+, but there are \d+ groups", word_group=word_group)
    starts = tables.starts.copy()
    starts[1] = 0  # group 0 empty, while words point to it
    group_refused(r"group 0 has no members, but words point to it", starts=starts)

    lexicon = LexiconPenalty(synonyms=[("a", "b")], antonyms=[("c", "d")])
    lexicon.bind(model)
    lex_starts, partners, antonym = lexicon.pairs()
    weights = {"ns": 1.0, "lexicon": 1.0}
    kernel(model, weights, lexicon=((lex_starts, partners, antonym), (0.5, 0.0)))
    for broken, message in [
        ((lex_starts, np.where(partners == partners[0], 9, partners).astype(np.uint32), antonym),
         r"lexicon table partners holds index 9"),
        ((lex_starts, partners, np.full_like(antonym, 2)),
         r"lexicon table antonym holds index 2 .* the two margins"),
        ((lex_starts[:-1], partners, antonym), r"lexicon table starts has shape \(7,\), expected \(8,\)"),
    ]:
        with pytest.raises(ValueError, match=message):
            kernel(model, weights, lexicon=(broken, (0.5, 0.0)))


def test_a_token_index_past_the_word_vectors_is_refused_when_the_job_is_made():
    model, corpus = small_model()
    km = kernel(model)
    model.wv.key_to_index["b"] = 12  # what a stale index would hold
    with pytest.raises(ValueError, match=r"wv.key_to_index maps 'b' \(corpus item 0\) to 12, but wv.vectors "
                                         r"has 7 rows"):
        kernels.prepare_batch(km, corpus, 1, 0)


def test_a_corpus_file_reader_of_a_larger_vocabulary_is_refused(tmp_path):
    model, corpus = small_model()
    path = tmp_path / "c.txt"
    path.write_text("a b c\n")
    bigger = kernels.TokenIndex(model.wv.index_to_key + ["x", "y"])
    reader = kernels.LineReader(str(path), 0, path.stat().st_size, bigger)
    with pytest.raises(ValueError, match=r"vocabulary of 9 words, but wv.vectors has 7 rows"):
        reader.fill(kernel(model), 1000, 1)


def test_a_job_filled_for_a_bigger_model_is_refused_by_train_job(tmp_path):
    # the O(1) per-job check: the job's largest word index against the model it is trained with
    run_script("""
        from gensim_losses import Word2Vec
        from gensim_losses import kernels
        big = Word2Vec([[f"w{i}" for i in range(400)]] * 3, vector_size=8, min_count=1, epochs=1, workers=1)
        small = Word2Vec([["w0", "w1", "w2"]] * 3, vector_size=8, min_count=1, epochs=1, workers=1)
        km_big = kernels.KernelModel(big, True, {"ns": 1.0}, big._kernel_inputs())
        km_small = kernels.KernelModel(small, True, {"ns": 1.0}, small._kernel_inputs())
        job = kernels.prepare_batch(km_big, [[f"w{i}" for i in range(400)]], 1)
        mem = small._get_thread_working_mem()
        refused(lambda: kernels.train_job(km_small, job, 0.025, *mem), "the job holds word index 399",
                "wv.vectors has 3 rows (shape (3, 8))")
        refused(lambda: job.collect(km_small), "the job holds word index 399")
    """, tmp_path)


# ------------------------------------------------------------ growing words keeps working
@pytest.mark.parametrize("cls", [Word2Vec, FastText])
def test_growing_the_vocabulary_with_a_per_word_lockf_trains_the_new_words(cls):
    with open(LEE) as fh:
        lee = [line.split() for line in fh]
    kw = dict(bucket=2000) if cls is FastText else {}
    model = cls(lee[:100], vector_size=16, min_count=2, epochs=1, workers=2, hs=1, loss=None, **kw)
    name = "vectors_vocab_lockf" if cls is FastText else "vectors_lockf"
    locked = np.ones(len(model.wv), np.float32)
    locked[0] = 0.0  # hold the most frequent word
    setattr(model.wv, name, locked)
    held = model.wv.index_to_key[0]
    before_held = model.wv.vectors_vocab[0].copy() if cls is FastText else model.wv[held].copy()
    old = len(model.wv)
    model.build_vocab(lee[100:], update=True)
    assert len(model.wv) > old and getattr(model.wv, name).shape == (len(model.wv),)
    new_word = model.wv.index_to_key[-1]
    start = model.wv.get_index(new_word)
    rows = model.wv.vectors_vocab if cls is FastText else model.wv.vectors
    first = rows[start].copy()
    model.train(lee, total_examples=len(lee), epochs=1)
    rows = model.wv.vectors_vocab if cls is FastText else model.wv.vectors
    assert not np.array_equal(rows[start], first)  # the new word learns (its factor is 1)
    assert np.array_equal(rows[0], before_held)
    assert model.syn1.shape == model.syn1neg.shape == (len(model.wv), 16)


def test_growing_the_vocabulary_with_a_loss_still_trains():
    with open(LEE) as fh:
        lee = [line.split() for line in fh]
    model = Word2Vec(lee[:100], vector_size=16, min_count=2, epochs=1, workers=2, sg=1, loss=NEGSamplingLoss())
    model.build_vocab(lee[100:], update=True)
    model.train(lee, total_examples=len(lee), epochs=1)
    assert np.isfinite(model.wv.vectors).all() and model.syn1neg.shape == model.wv.vectors.shape
