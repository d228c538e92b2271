"""gensim's vocabulary scan of plain text files, in C and without the GIL.

gensim's ``build_vocab(corpus_file=...)`` reads the file through
``LineSentence`` and a Python ``Counter``: about a quarter of a 1-epoch
run's whole-process time on 20M tokens. :func:`scan` counts the same words
in C (``kernels.WordCounter``), one thread per line-aligned byte range, and
gives what gensim's scan gives: the counts in order of first occurrence
(which fixes the vocabulary order of ties), the raw word count and the
sentence count (lines cut into sentences of at most ``max_sentence_length``
words, as ``LineSentence`` cuts them), splitting tokens on exactly the
whitespace of Python's ``str.split()``.

"""

import os
import threading
from collections import defaultdict

from gensim.models.word2vec import MAX_WORDS_IN_BATCH, LineSentence, PathLineSentences
from smart_open.compression import get_supported_extensions

from gensim_losses import kernels
from gensim_losses.text.files import line_ranges


def text_files(corpus_iterable=None, corpus_file=None):
    """``(paths, max_sentence_length)`` when the corpus is uncompressed text files
    that gensim would read line by line, else None (gensim's own scan serves it)."""
    if corpus_file is not None:
        paths, max_words = [corpus_file], MAX_WORDS_IN_BATCH
    elif type(corpus_iterable) is PathLineSentences and corpus_iterable.limit is None:
        paths, max_words = corpus_iterable.input_files, corpus_iterable.max_sentence_length
    elif (type(corpus_iterable) is LineSentence and corpus_iterable.limit is None
          and isinstance(corpus_iterable.source, (str, os.PathLike))):
        paths, max_words = [corpus_iterable.source], corpus_iterable.max_sentence_length
    else:
        return None
    paths = [os.fspath(p) for p in paths]
    compressed = tuple(get_supported_extensions())
    if any(p.lower().endswith(compressed) or not os.path.isfile(p) for p in paths):
        return None
    return paths, max_words


def _count(counter, path, start, end, max_words, errors):
    try:
        counter.scan(path, start, end, max_words)
    except BaseException as exc:  # raised by scan(), in the caller's thread
        errors.append(exc)


def scan(paths, max_words, workers):
    """``(raw_vocab, total_words, corpus_count)`` of the text files ``paths``, read in order."""
    vocab = defaultdict(int)
    total_words = sentences = 0
    for path in paths:
        counters = [kernels.WordCounter() for _ in range(max(1, workers))]
        errors = []
        ranges = line_ranges(path, len(counters))
        threads = [threading.Thread(target=_count, args=(counter, path, *bounds, max_words, errors), daemon=True)
                   for counter, bounds in zip(counters, ranges)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        for counter in counters:  # byte ranges in file order: first occurrences stay in order
            for word, n in counter.items():
                vocab[word] += n
            total_words += counter.words
            sentences += counter.sentences
    return vocab, total_words, sentences
