"""Lexicon constraints on real text: WordNet synonyms and antonyms during training.

Trains skip-gram negative sampling on ``../shared/data/real_en_20M.txt.gz``
(20M tokens of Wikipedia and Gutenberg text, see its README) with and
without a :class:`~gensim_losses.LexiconPenalty` built from WordNet, and
scores both on SimLex-999, WordSim-353 and gensim's analogy questions over
several seeds.

WordNet comes from Debian's ``wordnet-base`` package (``apt-get install
wordnet-base``: ``/usr/share/wordnet/data.{noun,verb,adj,adv}``). Synonym
pairs: two single-word lemmas of one synset. Antonym pairs: WordNet's lexical
antonym pointers (``!``). Every pair that appears in SimLex-999 or
WordSim-353, in either order, is left out of the constraints (the count is
reported), so the scores measure generalisation, not memorised pairs.

    python benchmarks/lexicon.py --seeds 1 2 3 --weight 0.1
"""

import argparse
import gzip
import re
import shutil
import sys
import time
from itertools import combinations
from pathlib import Path

import numpy as np
from gensim.test.utils import datapath

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import DEFAULT_CORPUS  # noqa: E402
from quality import summarise  # noqa: E402

import gensim_losses as G  # noqa: E402
from gensim_losses.tools.cli import evaluate_vectors  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CORPUS = DEFAULT_CORPUS
WORDNET = Path("/usr/share/wordnet")
WORD = re.compile(r"^[a-z]+(?:['-][a-z]+)*$")


def first_senses(folder=WORDNET):
    """``{(pos, lemma): offset}`` of each lemma's most frequent sense (WordNet's index files list it first)."""
    first = {}
    for pos, tag in (("noun", "n"), ("verb", "v"), ("adj", "a"), ("adv", "r")):
        with open(folder / f"index.{pos}", encoding="latin-1") as fh:
            for line in fh:
                if line.startswith("  "):
                    continue
                fields = line.split()
                synsets = int(fields[2])
                first[(tag, fields[0].lower())] = fields[-synsets]
    return first


def read_wordnet(folder=WORDNET, senses="all"):
    """``(synonyms, antonyms)``: sets of sorted word pairs from WordNet's data files.

    ``senses='first'``: a synonym pair only from a synset that is the first
    (most frequent) sense of both words."""
    first = first_senses(folder) if senses == "first" else None
    if not (folder / "data.noun").exists():
        raise SystemExit(f"WordNet not found in {folder}: install it with `apt-get install wordnet-base`")
    synsets = {}  # (pos, offset) -> [words]
    pointers = []  # (pos, offset, source word number, target pos, target offset, target word number)
    for pos in ("noun", "verb", "adj", "adv"):
        with open(folder / f"data.{pos}", encoding="latin-1") as fh:
            for line in fh:
                if line.startswith("  "):  # the license header
                    continue
                fields = line.split(" | ")[0].split()
                offset, ss_type, count = fields[0], fields[2], int(fields[3], 16)
                words = [re.sub(r"\(.*\)$", "", w).lower() for w in fields[4:4 + 2 * count:2]]
                synsets[(ss_type[0].replace("s", "a"), offset)] = words
                at = 4 + 2 * count
                for i in range(int(fields[at])):
                    symbol, target, target_pos, numbers = fields[at + 1 + 4 * i: at + 5 + 4 * i]
                    if symbol == "!":
                        pointers.append((ss_type[0].replace("s", "a"), offset, int(numbers[:2], 16),
                                         target_pos.replace("s", "a"), target, int(numbers[2:], 16)))
    synonyms, antonyms = set(), set()
    for (pos, offset), words in synsets.items():
        single = sorted({w for w in words if WORD.match(w)
                         and (first is None or first.get((pos, w)) == offset)})
        synonyms.update(combinations(single, 2))
    for pos, offset, source, target_pos, target, number in pointers:
        a = synsets[(pos, offset)][source - 1]
        b = synsets.get((target_pos, target), [None] * number)[number - 1]
        if a and b and a != b and WORD.match(a) and WORD.match(b):
            antonyms.add(tuple(sorted((a, b))))
    return synonyms, antonyms


def evaluation_pairs():
    """Sorted word pairs of SimLex-999 and WordSim-353 (gensim's copies)."""
    pairs = set()
    for name in ("simlex999.txt", "wordsim353.tsv"):
        with open(datapath(name), encoding="utf8") as fh:
            for line in fh:
                if line.startswith("#"):
                    continue
                a, b = line.lower().split("\t")[:2]
                pairs.add(tuple(sorted((a, b))))
    return pairs


def corpus_file(workdir, corpus=CORPUS):
    """The corpus (gzip), decompressed once into ``workdir`` (corpus_file reads plain text)."""
    corpus = Path(corpus)
    if not corpus.exists():
        raise SystemExit(f"{corpus} is missing: this benchmark needs the shared 20M-token corpus")
    path = Path(workdir) / corpus.name.removesuffix(".gz")
    if not path.exists():
        tmp = path.with_suffix(".part")
        with gzip.open(corpus, "rb") as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        tmp.rename(path)
    return str(path)


def train(path, seed, epochs, loss, vocab_from=None):
    model = G.Word2Vec(vector_size=100, window=5, min_count=5, sample=1e-3, sg=1, workers=2, seed=seed,
                       loss=loss)
    if vocab_from is None:
        model.build_vocab(corpus_file=path)
    else:  # the same vocabulary and counts: skip the second scan of 20M tokens
        counts = {w: vocab_from.wv.get_vecattr(w, "count") for w in vocab_from.wv.index_to_key}
        model.build_vocab_from_freq(counts)
        model.corpus_count, model.corpus_total_words = vocab_from.corpus_count, vocab_from.corpus_total_words
    model.train(corpus_file=path, total_words=model.corpus_total_words, epochs=epochs)
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--weight", type=float, nargs="+", default=[0.1],
                        help="LexiconPenalty weights (each trained and reported)")
    parser.add_argument("--margin", type=float, nargs=2, default=[0.6, 0.0], metavar=("SYNONYMS", "ANTONYMS"),
                        help="LexiconPenalty margins (cosines)")
    parser.add_argument("--senses", choices=["all", "first"], default="all",
                        help="synonyms from every synset, or only from each word's most frequent sense")
    parser.add_argument("--corpus", default=str(CORPUS), help="gzip text, one sentence a line")
    parser.add_argument("--workdir", default="/tmp/gensim_losses_bench")
    args = parser.parse_args(argv)
    Path(args.workdir).mkdir(parents=True, exist_ok=True)

    synonyms, antonyms = read_wordnet(senses=args.senses)
    held_out = evaluation_pairs()
    excluded = len(synonyms & held_out) + len(antonyms & held_out)
    synonyms, antonyms = sorted(synonyms - held_out), sorted(antonyms - held_out)
    print(f"WordNet: {len(synonyms)} synonym and {len(antonyms)} antonym pairs after excluding {excluded} "
          f"that appear in SimLex-999 or WordSim-353", flush=True)
    path = corpus_file(args.workdir, args.corpus)
    scores = {"NS": []} | {f"NS + LexiconPenalty({w:g})": [] for w in args.weight}
    for seed in args.seeds:
        plain = None
        for name, weight in zip(scores, [0.0, *args.weight]):
            start = time.perf_counter()
            loss = G.NEGSamplingLoss()
            if plain is not None:
                loss = loss + G.LexiconPenalty(synonyms, antonyms, weight=weight, margin=tuple(args.margin))
            model = train(path, seed, args.epochs, loss, vocab_from=plain)
            if plain is None:
                plain = model
                in_vocab = sum(a in model.wv.key_to_index and b in model.wv.key_to_index for a, b in synonyms)
                print(f"seed {seed}: {len(model.wv)} words; {in_vocab} synonym pairs in the vocabulary",
                      flush=True)
            result = evaluate_vectors(model.wv)
            scores[name].append(result)
            print(f"seed {seed} {name}: {time.perf_counter() - start:.0f}s wordsim353 {result['wordsim353']:.3f} "
                  f"simlex999 {result['simlex999']:.3f} analogies {result['analogies']:.3f}", flush=True)
    print(f"\n| loss | SimLex-999 ρ (mean ± SE, n={len(args.seeds)}) | WordSim-353 ρ | analogies |")
    print("|---|---|---|---|")
    for name, runs in scores.items():
        cells = []
        for key in ("simlex999", "wordsim353", "analogies"):
            mean, sd = summarise([r[key] for r in runs])
            cells.append(f"{mean:.3f} ± {sd / np.sqrt(len(runs)):.3f}")
        print(f"| {name} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
