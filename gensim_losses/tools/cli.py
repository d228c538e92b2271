"""The ``gensim-losses`` command (also ``python -m gensim_losses``).

Commands: ``train`` a model on a text corpus, ``evaluate`` saved vectors on
gensim's shipped word-similarity and analogy sets, ``demo`` stock gensim
against gensim_losses and custom losses on Airbnb-style search sessions,
``bench`` the speed benchmark against stock gensim.

Errors in what is asked (bad arguments, a missing or empty corpus, an
unwritable output) end with one line on stderr and exit code 2; outputs are
written to a temporary file beside the target and renamed into place, so a
failed run leaves no partial file.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import math
import os
import sys
import time
import warnings
from pathlib import Path

from gensim_losses.models.persistence import atomic_write, explain_missing_class
from gensim_losses.tools.options import (
    CLIError,
    _int_option,
    _learning_rate,
    _positive_int,
    check_readable_file,
    check_writable,
    writable_directory,
)
from gensim_losses.tools.tables import _num, evaluation_table, loss_table

PROG = "gensim-losses"
EXIT_USAGE = 2

logger = logging.getLogger("gensim_losses")


class _Parser(argparse.ArgumentParser):
    """argparse, but an error is one line (no usage block), exit code 2."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# ---------------------------------------------------------------------- evaluation
def _analogy_questions(path):
    with open(path, encoding="utf8") as fh:
        return sum(1 for line in fh if line.strip() and not line.startswith(":"))


def evaluate_vectors(wv, log=None):
    """Scores of word vectors on gensim's shipped test sets (``log(text)``, if given, hears each set's
    score and time as it is done: the analogies take a minute on a large vocabulary).

    Returns
    -------
    dict
        ``wordsim353`` and ``simlex999``: Spearman correlation over the pairs
        in the vocabulary (nan when too few), with ``*_oov`` the percentage of
        pairs left out; ``analogies``: accuracy on ``questions-words.txt`` over
        the questions answerable with the vocabulary (nan when none), with
        ``analogies_answered`` and ``analogies_total``.
    """
    from gensim.test.utils import datapath

    scores = {}
    log = log or (lambda text: None)
    with warnings.catch_warnings():
        # a small vocabulary leaves few pairs: scipy warns about constant input, gensim logs the rest
        warnings.simplefilter("ignore")
        for name, fname in (("wordsim353", "wordsim353.tsv"), ("simlex999", "simlex999.txt")):
            start = time.perf_counter()
            try:
                _, spearman, oov = wv.evaluate_word_pairs(datapath(fname))
                scores[name], scores[f"{name}_oov"] = float(spearman[0]), float(oov)
            except (ValueError, ZeroDivisionError):  # no pair in the vocabulary
                scores[name], scores[f"{name}_oov"] = float("nan"), 100.0
            log(f"{name}: {_num(scores[name], '.3f')} ({time.perf_counter() - start:.1f}s)")
        path = datapath("questions-words.txt")
        scores["analogies_total"] = _analogy_questions(path)
        log(f"analogies: {scores['analogies_total']} questions over the {min(len(wv), 300000)} most frequent "
            f"words...")
        start = time.perf_counter()
        try:
            accuracy, sections = wv.evaluate_word_analogies(path)
            overall = sections[-1]  # gensim's "Total accuracy" section
            answered = len(overall["correct"]) + len(overall["incorrect"])
        except (ValueError, ZeroDivisionError, IndexError):
            accuracy, answered = float("nan"), 0
        scores["analogies"] = float(accuracy) if answered else float("nan")
        scores["analogies_answered"] = answered
        log(f"analogies: {_num(scores['analogies'], '.3f')} ({time.perf_counter() - start:.1f}s)")
    return scores


def load_vectors(path):
    """Word vectors from a saved model (gensim's ``save``, ours or stock), saved
    KeyedVectors, or a word2vec-format file (text or binary, maybe compressed)."""
    from gensim import utils
    from gensim.models import KeyedVectors

    path = str(path)
    check_readable_file(path)
    try:
        with utils.open(path, "rb") as fh:
            first = fh.readline(200)
    except OSError as exc:
        raise CLIError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    fields = first.split()
    if len(fields) == 2 and all(f.isdigit() for f in fields):  # word2vec format's "<words> <dimensions>" header
        for binary in (False, True):
            try:
                return KeyedVectors.load_word2vec_format(path, binary=binary)
            except (ValueError, UnicodeDecodeError, EOFError):
                continue
        raise CLIError(f"{path}: looks like word2vec format but cannot be read as text or binary")
    try:
        with explain_missing_class():
            obj = utils.SaveLoad.load(path)
    except ImportError as exc:  # a class it holds (a custom loss) cannot be imported: say which
        raise CLIError(f"{path}: {exc}") from None
    except Exception as exc:  # an unpickling failure can be almost any exception
        raise CLIError(f"{path}: not a saved gensim model or word2vec-format vectors ({type(exc).__name__})") \
            from None
    wv = getattr(obj, "wv", obj)
    if not isinstance(wv, KeyedVectors):
        raise CLIError(f"{path}: holds a {type(obj).__name__}, not a model with word vectors")
    return wv


def evaluate(args):
    """Score saved models or word2vec-format vectors on wordsim353, simlex999 and questions-words, side by
    side (one row each)."""
    for path in args.model:  # every file is checked before the first is scored
        check_readable_file(path)
    rows = []
    for path in args.model:
        wv = load_vectors(path)
        print(f"{path}: {len(wv)} words, {wv.vector_size} dimensions", flush=True)
        rows.append((Path(path).name, evaluate_vectors(wv, log=lambda text: print(f"  {text}", flush=True))))
    print(evaluation_table(rows))
    return 0


# ---------------------------------------------------------------------- losses and files
PENALTIES = {"norm": "NormPenalty", "l2": "L2Penalty"}
OBJECTIVES = ("ns", "hs", "softmax")


def parse_penalty(text):
    """``NAME=WEIGHT`` (``norm=0.01``) as ``(name, weight)``; argparse type."""
    name, sep, weight = text.partition("=")
    name = name.strip().lower()
    if not sep or name not in PENALTIES:
        raise argparse.ArgumentTypeError(
            f"--penalty wants NAME=WEIGHT with NAME one of {', '.join(PENALTIES)}, got {text!r}")
    try:
        value = float(weight)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--penalty {name}: weight {weight!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"--penalty {name}: weight must be finite and >= 0, got {weight}")
    return name, value


def make_loss(objective="ns", negative=5, penalties=()):
    """The loss object for ``--objective`` and ``--penalty`` options."""
    from gensim_losses import losses as G

    if objective == "ns":
        loss = G.NEGSamplingLoss(negative=negative)
    elif objective == "hs":
        loss = G.HierarchicalSoftmaxLoss()
    elif objective == "softmax":
        loss = G.SoftmaxLoss()
    else:
        raise CLIError(f"unknown objective {objective!r}: one of {', '.join(OBJECTIVES)}")
    for name, weight in penalties:
        loss = loss + getattr(G, PENALTIES[name])(weight)
    return loss


# ---------------------------------------------------------------------- train
def _progress_callbacks(mode):
    """The progress callback for ``--progress``/``--no-progress``/neither (None)."""
    if mode is False:
        return []
    from gensim_losses.callbacks import ProgressBar

    bar = ProgressBar(bar=mode)  # True: a bar if tqdm is there; None: a bar on a terminal
    # without a bar the progress is log lines: let them through whatever -v says
    logger.setLevel(min(logger.getEffectiveLevel(), logging.INFO))
    return [bar]


def train(args):
    """Train a model on a text corpus (one sentence a line, tokens split on whitespace)."""
    from gensim.models.doc2vec import TaggedLineDocument
    from gensim.models.word2vec import LineSentence

    from gensim_losses.models.doc2vec import Doc2Vec
    from gensim_losses.models.fasttext import FastText
    from gensim_losses.models.word2vec import Word2Vec

    shards = args.corpus
    for path in shards:
        check_readable_file(path, "corpus")
    if args.engine is None and len(shards) > 1:
        raise CLIError(f"{len(shards)} corpus files: one machine trains one file (concatenate them), "
                       f"--engine ray|dask|local trains shards")
    if args.engine is not None and (args.model != "word2vec" or args.corpus_file):
        raise CLIError("--engine trains --model word2vec from its shards (each replica reads its own; "
                       "--corpus-file does not apply)")
    given = (("--validation", args.validation), ("--early-stopping", args.early_stopping),
             ("--checkpoint-dir", args.checkpoint_dir), ("--resume", args.resume))
    steering = [opt for opt, value in given if value is not None]
    if args.engine is not None and steering:
        raise CLIError(f"{', '.join(steering)}: one machine's training (not with --engine yet)")
    if args.validation is not None:
        check_readable_file(args.validation, "--validation")
        if args.model == "doc2vec" and args.sg and args.resume is None:
            raise CLIError("--validation with --model doc2vec --sg (PV-DBOW): held-out documents, which the model "
                           "does not have, predict nothing there; validate PV-DM (--cbow)")
    if args.checkpoint_dir is not None:
        writable_directory(args.checkpoint_dir, "--checkpoint-dir")
    if args.resume is not None and not os.path.isdir(args.resume):
        raise CLIError(f"--resume {args.resume}: no such directory (give the --checkpoint-dir of the run)")
    args.corpus, args.shards = shards[0], shards
    parquet = _parquet_source(args)
    if args.corpus_file and args.corpus.endswith((".gz", ".bz2", ".xz", ".zst")):
        raise CLIError(f"corpus {args.corpus}: --corpus-file reads plain text "
                       "(decompress it, or drop --corpus-file)")
    outputs = [(p, opt) for p, opt in ((args.out, "--out"), (args.vectors, "--vectors"),
                                        (args.gensim_model, "--gensim-model")) if p]
    for path, option in outputs:
        check_writable(path, option)
    for (a, first), (b, second) in itertools.combinations(outputs, 2):
        if os.path.abspath(a) == os.path.abspath(b):
            raise CLIError(f"{first} and {second} name the same file")
    if args.objective != "ns" and args.negative is not None:
        raise CLIError(f"--negative applies to --objective ns, not {args.objective}")
    loss = make_loss(args.objective, args.negative or 5, args.penalty)

    if args.shared_negatives and args.objective != "ns":
        raise CLIError("--shared-negatives needs --objective ns (it shares negative sampling's draws)")
    params = dict(vector_size=args.vector_size, window=args.window, min_count=args.min_count, epochs=args.epochs,
                  workers=args.workers, seed=args.seed, alpha=args.alpha, loss=loss,
                  shared_negatives=args.shared_negatives)
    try:  # the options are checked as they are parsed; the model checks them again (one line, if ever)
        if args.model == "doc2vec":  # one document a line, tagged with its line number
            model = Doc2Vec(dm=int(not args.sg), **params)
            reader = TaggedLineDocument
        elif args.model == "fasttext":
            model = FastText(sg=int(args.sg), **params)
            reader = LineSentence
        else:
            model = Word2Vec(sg=int(args.sg), **params)
            reader = LineSentence
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    if args.engine is not None:
        return _train_distributed(args, model, shards)
    if args.resume is not None:
        return _resume(args)
    corpus = parquet or reader(args.corpus)
    source = {"corpus_file": args.corpus} if args.corpus_file else {"corpus_iterable": corpus}
    try:
        model.build_vocab(**source)
    except UnicodeDecodeError:
        raise CLIError(f"corpus {args.corpus}: not UTF-8 text") from None
    except MemoryError as exc:  # the model's own estimate (check_memory), or numpy's failed allocation
        raise CLIError(f"--vector-size {args.vector_size} with {len(model.wv)} words: "
                       f"{exc or 'out of memory while allocating the weights'}") from None
    except ValueError as exc:
        if "vector_size" not in str(exc):
            raise
        raise CLIError(f"--vector-size {args.vector_size}: {exc}") from None
    if not model.corpus_total_words:
        raise CLIError(f"corpus {args.corpus}: holds no words")
    if not len(model.wv):
        raise CLIError(f"corpus {args.corpus}: no word occurs --min-count={args.min_count} times or more "
                       f"({model.corpus_total_words} words)")
    mode = {"word2vec": ("CBOW", "skip-gram"), "fasttext": ("FastText CBOW", "FastText skip-gram"),
            "doc2vec": ("PV-DM", "PV-DBOW")}[args.model][bool(args.sg)]
    terms = " + ".join([args.objective] + [f"{w:g}*{n}" for n, w in args.penalty])
    print(f"{args.corpus}: {model.corpus_count} sentences, {model.corpus_total_words} words, {len(model.wv)} "
          f"in the vocabulary; {mode}, loss {terms}, {args.epochs} epochs, {args.workers} workers", flush=True)

    start = time.perf_counter()
    if args.corpus_file:
        _run(args, lambda callbacks: model.train(corpus_file=args.corpus, total_words=model.corpus_total_words,
                                                 epochs=args.epochs, callbacks=callbacks))
    else:
        _run(args, lambda callbacks: model.train(source["corpus_iterable"], total_examples=model.corpus_count,
                                                 epochs=args.epochs, callbacks=callbacks))
    _report_and_save(args, model, time.perf_counter() - start)
    return 0


def _parquet_source(args):
    """A Parquet CORPUS as a :class:`~gensim_losses.text.parquet.ParquetCorpus`, or None for a text file."""
    columns = [opt for opt, value in (("--column", args.column), ("--weight-column", args.weight_column),
                                      ("--context-column", args.context_column)) if value is not None]
    if not args.corpus.endswith((".parquet", ".pq")):
        if columns:
            raise CLIError(f"{', '.join(columns)}: for a Parquet CORPUS (a .parquet file), not {args.corpus}")
        return None
    if args.column is None:
        raise CLIError(f"corpus {args.corpus}: a Parquet file; name its column of token lists with --column")
    if args.corpus_file or args.model == "doc2vec":
        raise CLIError("a Parquet CORPUS streams token lists: not with --corpus-file or --model doc2vec")
    from gensim_losses.text.parquet import ParquetCorpus

    try:  # with --engine, every shard's columns are checked here, before a cluster starts
        return ParquetCorpus(args.shards, args.column, weight=args.weight_column, context=args.context_column)
    except ImportError as exc:
        raise CLIError(str(exc)) from None
    except (ValueError, OSError) as exc:
        raise CLIError(f"corpus {exc}") from None


class HeldOutDocuments:
    """A held-out file for Doc2Vec: one document a line, each tagged as new (``held-out N``), so its loss
    is the loss of documents the model does not have (their word terms)."""

    def __init__(self, path):
        from gensim.models.word2vec import LineSentence

        self.lines = LineSentence(path)

    def __iter__(self):
        from gensim.models.doc2vec import TaggedDocument

        for i, words in enumerate(self.lines):
            yield TaggedDocument(words, [f"held-out {i}"])


def _steering_callbacks(args, doc2vec):
    """The callbacks of ``--validation``, ``--early-stopping`` and ``--checkpoint-dir`` (or ``--resume``'s
    directory, which the resumed run goes on writing)."""
    from gensim.models.word2vec import LineSentence

    from gensim_losses.callbacks import Checkpoint, EarlyStopping, Validation

    callbacks = []
    if args.validation is not None:
        held_out = HeldOutDocuments(args.validation) if doc2vec else LineSentence(args.validation)
        callbacks.append(Validation(held_out))
    if args.early_stopping is not None:
        callbacks.append(EarlyStopping("val_total" if args.validation else "total", patience=args.early_stopping))
    directory = args.checkpoint_dir or args.resume
    if directory is not None:
        callbacks.append(Checkpoint(directory))
    return callbacks


def _run(args, train_with, doc2vec=None):
    """``train_with(callbacks)`` with the progress and steering callbacks, a divergence said as a CLI error."""
    from gensim_losses.training.engine import DivergenceError

    level = logger.level
    progress = _progress_callbacks(args.progress)
    try:
        doc2vec = args.model == "doc2vec" if doc2vec is None else doc2vec
        return train_with(_steering_callbacks(args, doc2vec) + progress)
    except DivergenceError as exc:  # caused by what was asked (--alpha): nothing is written
        raise CLIError(f"{exc} With this command: a smaller --alpha.") from None
    finally:
        logger.setLevel(level)  # main() may run in-process (tests, notebooks): leave logging as it was
        for callback in progress:
            callback.close()


def _resume(args):
    """``train CORPUS --resume DIR``: the newest checkpoint in DIR trains the epochs that remain on CORPUS;
    the model's settings are the checkpoint's (the options that set them do not apply), and CORPUS is read
    as that model reads it."""
    from gensim.models.doc2vec import TaggedLineDocument
    from gensim.models.word2vec import LineSentence

    from gensim_losses.callbacks.checkpoints import latest, resume

    try:
        path = latest(args.resume)
    except FileNotFoundError as exc:
        raise CLIError(f"--resume: {exc}") from None
    with open(os.path.join(path, "checkpoint.json"), encoding="utf8") as fh:
        manifest = json.load(fh)
    kind = manifest["class"].rsplit(".", 1)[-1]
    reader = TaggedLineDocument if kind == "Doc2Vec" else LineSentence
    source = {"corpus_file": args.corpus} if args.corpus_file else {"corpus_iterable": reader(args.corpus)}
    print(f"resuming {path}: a {kind} with {manifest['epochs_done']} of {manifest['epochs']} epochs done; its "
          f"settings are the checkpoint's", flush=True)
    start = time.perf_counter()
    try:
        model = _run(args, lambda callbacks: resume(args.resume, **source, callbacks=callbacks),
                     doc2vec=kind == "Doc2Vec")
    except (TypeError, ValueError) as exc:
        raise CLIError(f"--resume {args.resume}: {exc}") from None
    _report_and_save(args, model, time.perf_counter() - start)
    return 0


def _train_distributed(args, model, shards):
    """``train SHARD... --engine``: the vocabulary counted and the model trained by replicas."""
    from gensim_losses.distributed import fit
    from gensim_losses.training.engine import DivergenceError

    terms = " + ".join([args.objective] + [f"{w:g}*{n}" for n, w in args.penalty])
    print(f"{len(shards)} shard(s), {args.replicas} replicas on {args.engine}, {args.workers} threads each; "
          f"{'skip-gram' if args.sg else 'CBOW'}, loss {terms}, {args.epochs} epochs", flush=True)
    start = time.perf_counter()
    try:
        fit(model, shards, engine=args.engine, replicas=args.replicas, sync_words=args.sync_words,
            overlap=args.overlap, workers=args.workers, callbacks=(), column=args.column,
            weight_column=args.weight_column,
            context_column=args.context_column)
    except ImportError as exc:
        raise CLIError(f"--engine {args.engine}: {exc.name or exc} is not installed "
                       f"(pip install 'gensim-losses[{args.engine}]')") from None
    except DivergenceError as exc:
        raise CLIError(f"{exc} With this command: a smaller --alpha.") from None
    except (ValueError, OSError, TypeError, NotImplementedError) as exc:
        raise CLIError(str(exc) or type(exc).__name__) from None
    stats = model.distributed_stats
    print(f"{model.corpus_total_words} words, {len(model.wv)} in the vocabulary; {stats.rounds} rounds, "
          f"{(stats.bytes_up + stats.bytes_down) / 1e6:.0f} MB sent")
    _report_and_save(args, model, time.perf_counter() - start)
    return 0


def _report_and_save(args, model, elapsed):
    print(loss_table(model.loss_history))
    print(f"trained in {elapsed:.1f}s")
    written = []
    try:
        if args.out:
            model.save(args.out, sep_limit=sys.maxsize)  # atomic; one file, no .npy side files
            written.append(f"model to {args.out}")
        if args.vectors:
            atomic_write(args.vectors, lambda tmp: model.wv.save_word2vec_format(tmp, binary=args.binary))
            written.append(f"vectors ({'binary' if args.binary else 'text'} word2vec format) to {args.vectors}")
        if getattr(args, "gensim_model", None):
            stock = model.to_gensim()
            atomic_write(args.gensim_model, lambda tmp: stock.save(tmp, sep_limit=sys.maxsize))
            written.append(f"the model as stock gensim's {type(stock).__name__} to {args.gensim_model}")
    except OSError as exc:
        raise CLIError(f"cannot write {exc.filename or 'the output'}: {exc.strerror or exc}") from None
    print("wrote " + " and ".join(written) if written else "nothing saved (no --out, no --vectors)")


# ---------------------------------------------------------------------- demo
def demo(args):
    """Stock gensim, gensim_losses and gensim_losses with custom losses side by side on Airbnb-style
    search sessions (planted truth): loss per term, two metrics against chance, and a PNG of both."""
    from gensim_losses.tools import demo as task

    check_writable(args.png, "--png")
    print("gensim-losses demo: listing embeddings from search sessions, Airbnb-style "
          "(Grbovic & Cheng, KDD 2018)")
    result = task.run(sessions=args.sessions, epochs=args.epochs, workers=args.workers, seed=args.seed)
    task.report(result)
    try:
        atomic_write(args.png, lambda tmp: task.plot(result, tmp))
    except ImportError:
        print(task.PLOT_HINT)
    except OSError as exc:
        raise CLIError(f"cannot write {args.png}: {exc.strerror or exc}") from None
    else:
        print(f"wrote {args.png} (loss per term and both metrics per epoch)")
    return 0


# ---------------------------------------------------------------------- bench
def bench(args):
    """Speed of gensim_losses against stock gensim, words/s side by side in one process."""
    from gensim_losses.tools.bench import run

    try:
        run(args)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    return 0


# ---------------------------------------------------------------------- parser
def _cores():
    """The cores this process may run on (its affinity, as a container or taskset limits it)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


CORES = _cores()


def build_parser():
    parser = _Parser(prog=PROG, description=__doc__.split("\n\n")[0],
                     epilog=f"'{PROG} COMMAND --help' describes each command.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log gensim's training progress")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("train", help=train.__doc__, description=train.__doc__)
    p.add_argument("corpus", metavar="CORPUS", nargs="+",
                   help="text file: one sentence a line, tokens split on whitespace (several: shards, with "
                        "--engine)")
    p.add_argument("--engine", choices=("ray", "dask", "local"), default=None,
                   help="train on replicas: ray (the running cluster, else a local one), dask (a local "
                        "cluster), local (all in this process); default: one machine")
    p.add_argument("--replicas", type=_positive_int, default=2, help="replicas with --engine (default 2)")
    p.add_argument("--sync-words", type=_positive_int, default=50_000,
                   help="raw words each replica trains between synchronisations (default 50000)")
    p.add_argument("--overlap", action=argparse.BooleanOptionalAction, default=None,
                   help="with --engine: the sync beside training, each replica training its next round while "
                        "its delta travels; --no-overlap: every round waits for the last one's merge (default: "
                        "overlap up to 4 replicas)")
    p.add_argument("--column", metavar="NAME", default=None,
                   help="a Parquet CORPUS's column of token lists (strings or integer ids): one sentence a row")
    p.add_argument("--weight-column", metavar="NAME", default=None,
                   help="a Parquet CORPUS's column of sentence weights (Sentence.weight)")
    p.add_argument("--context-column", metavar="NAME", default=None,
                   help="a Parquet CORPUS's column of context tokens (Sentence.context, for GlobalContextLoss)")
    p.add_argument("--corpus-file", action="store_true",
                   help="train through corpus_file= (reads the file in parallel per worker) instead of "
                        "streaming it as LineSentence")
    p.add_argument("--model", choices=("word2vec", "fasttext", "doc2vec"), default="word2vec",
                   help="the model class (default word2vec); doc2vec reads one document a line, tagged with "
                        "its line number")
    arch = p.add_mutually_exclusive_group()
    arch.add_argument("--sg", dest="sg", action="store_true", help="skip-gram (doc2vec: PV-DBOW)")
    arch.add_argument("--cbow", dest="sg", action="store_false",
                      help="CBOW (doc2vec: PV-DM), the default, as in gensim")
    p.set_defaults(sg=False)
    p.add_argument("--shared-negatives", action="store_true",
                   help="negative sampling with shared draws: skip-gram, one per window, shared by its context "
                        "words; CBOW, one per several positions 2*window+1 apart; PV-DBOW, one per 10 words of a "
                        "document (faster; see docs/losses.md)")
    p.add_argument("--objective", choices=OBJECTIVES, default="ns",
                   help="negative sampling, hierarchical softmax or full softmax (default: ns)")
    p.add_argument("--negative", type=_positive_int, default=None,
                   help="negatives per example with --objective ns (default 5)")
    p.add_argument("--penalty", type=parse_penalty, action="append", default=[], metavar="NAME=WEIGHT",
                   help=f"add a penalty: {', '.join(PENALTIES)} (repeatable), e.g. norm=0.01")
    p.add_argument("--vector-size", type=_int_option(1, None), default=100,
                   help="dimensions (default 100); refused before training if the weights cannot fit in memory")
    p.add_argument("--window", type=_positive_int, default=5,
                   help="the largest distance from a word to its context words (default 5)")
    p.add_argument("--min-count", type=_positive_int, default=5,
                   help="words seen fewer times are dropped (default 5)")
    p.add_argument("--epochs", type=_positive_int, default=5, help="passes over the corpus (default 5)")
    p.add_argument("--workers", type=_positive_int, default=CORES,
                   help=f"training threads (default: this machine's cores, {CORES})")
    p.add_argument("--seed", type=_int_option(0, 2**32 - 1), default=1,
                   help="seeds the initial vectors and the random draws (default 1)")
    p.add_argument("--alpha", type=_learning_rate, default=0.025,
                   help="initial learning rate, a finite number > 0 (default 0.025)")
    p.add_argument("--out", metavar="PATH",
                   help="save the model (gensim's save(): the model class's load reads it)")
    p.add_argument("--vectors", metavar="PATH", help="write the word vectors in word2vec format")
    p.add_argument("--gensim-model", metavar="PATH",
                   help="save the model as stock gensim's class (to_gensim()): loads without gensim_losses")
    p.add_argument("--binary", action="store_true", help="--vectors in binary word2vec format")
    p.add_argument("--validation", metavar="FILE", default=None,
                   help="a held-out corpus (one sentence a line): its loss, every weight frozen, after each epoch")
    p.add_argument("--early-stopping", metavar="PATIENCE", type=_positive_int, default=None,
                   help="stop once the held-out loss (the training loss without --validation) has not improved "
                        "for PATIENCE epochs, and keep the best epoch's weights")
    p.add_argument("--checkpoint-dir", metavar="DIR", default=None,
                   help="save the model there after each epoch (the last 3 kept), for --resume")
    p.add_argument("--resume", metavar="DIR", default=None,
                   help="continue the run whose --checkpoint-dir is DIR, on CORPUS, from its newest checkpoint")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="--progress: a tqdm bar (log lines without tqdm); --no-progress: nothing; "
                        "default: a bar on a terminal with tqdm installed, else log lines")
    p.set_defaults(func=train)

    p = sub.add_parser("evaluate", help=evaluate.__doc__, description=evaluate.__doc__)
    p.add_argument("model", metavar="MODEL", nargs="+",
                   help="models saved with save() (gensim_losses or stock), saved KeyedVectors, "
                        "or word2vec-format vectors (text or binary): one row each")
    p.set_defaults(func=evaluate)

    p = sub.add_parser("demo", help=demo.__doc__.split(":")[0], description=demo.__doc__)
    p.add_argument("--sessions", type=_positive_int, default=60_000, help="training sessions (default 60000)")
    p.add_argument("--epochs", type=_positive_int, default=5, help="passes over the sessions (default 5)")
    p.add_argument("--workers", type=_positive_int, default=2,
                   help="worker threads (default 2, as the figures in the docs were made)")
    p.add_argument("--seed", type=_int_option(0, 2**32 - 1), default=1,
                   help="seed of the data and models (default 1)")
    p.add_argument("--png", default="gensim-losses-demo.png", metavar="PATH",
                   help="where the figure goes (default: gensim-losses-demo.png)")
    p.set_defaults(func=demo)

    from gensim_losses.tools.bench import add_arguments as bench_arguments

    p = sub.add_parser("bench", help=bench.__doc__, description=bench.__doc__ + " Only train() is timed; "
                       "the median of the per-repetition ratios is the figure to quote.")
    bench_arguments(p)
    p.set_defaults(func=bench)
    return parser


def main(argv=None):
    """Run the command; returns the exit code (2 for a usage or input error)."""
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or an error (2, already reported)
        return exc.code if isinstance(exc.code, int) else 0
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        level=logging.INFO if args.verbose else logging.WARNING)
    try:
        return args.func(args)
    except CLIError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # output piped into head & co.: stop quietly
        # the interpreter flushes stdout again at exit: point it at /dev/null so that does not fail too
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
