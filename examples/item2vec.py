"""item2vec: song embeddings from playlists, and what catalogue metadata adds.

A young catalogue, generated with planted truth: 8 genres x 40 songs, every
song by one of 10 artists of its genre (4 songs each), song popularity
Zipf-distributed within its genre. Each playlist picks one genre and draws
each song from it with probability 0.5, else from anywhere (by popularity).
With 300 playlists half of the songs are played only about 4 times: the
long tail, where co-occurrence alone says little.

It trains skip-gram with negative sampling and prints the share of a song's
top-10 neighbours that are of its own genre (chance 12.5%), for all songs and
for the tail (the less played half):

1. the classic ``loss - previous_loss`` callback, unchanged (on
   ``get_latest_training_loss()``, which keeps gensim's meaning here);
2. the same objective with ``LossTracker`` (exact per-epoch records), and
   ``NEGSamplingLoss + LexiconPenalty`` whose synonym pairs are the songs of
   one artist, the metadata every catalogue has: over ``--seeds`` seeds,
   with the gain's mean and standard error;
3. ``NEGSamplingLoss + NormPenalty``: a term that constrains the geometry
   (shorter vectors) rather than adding knowledge: it shows the norms and
   that the neighbours stay about as they were. Or,
   with ``--variant softmax``, the full softmax (affordable for 320 songs).

    python examples/item2vec.py                         # 20 epochs, 3 seeds: seconds
    python examples/item2vec.py --epochs 5 --seeds 1    # a quick look
"""

import argparse
import os
from collections import Counter

import numpy as np
from gensim.models.callbacks import CallbackAny2Vec

from gensim_losses import LexiconPenalty, LossTracker, NEGSamplingLoss, NormPenalty, SoftmaxLoss, Word2Vec

GENRES = ["rock", "jazz", "techno", "folk", "hiphop", "classical", "metal", "reggae"]
SONGS_PER_GENRE = 40
SONGS_PER_ARTIST = 4
CHANCE = 1 / len(GENRES)


def genre_of(song):
    return song.split("-")[0]


def artist_of(song):
    """``"rock-07"`` -> ``"rock/1"``: the songs of one artist are consecutive ids of one genre."""
    genre, number = song.split("-")
    return f"{genre}/{int(number) // SONGS_PER_ARTIST}"


def make_playlists(n_playlists=300, min_len=10, max_len=25, stay=0.5, seed=0):
    """Playlists (lists of song ids): each picks one genre, then each song is
    from that genre with probability `stay`, else from anywhere; within a
    genre, song ``k`` is played in proportion to ``1 / (k + 1)``."""
    rng = np.random.default_rng(seed)
    every = catalogue()
    songs = [every[g * SONGS_PER_GENRE:(g + 1) * SONGS_PER_GENRE] for g in range(len(GENRES))]
    popularity = 1.0 / np.arange(1, SONGS_PER_GENRE + 1)
    popularity /= popularity.sum()
    everywhere = np.tile(popularity, len(GENRES)) / len(GENRES)
    playlists = []
    for _ in range(n_playlists):
        genre = songs[rng.integers(len(GENRES))]
        length = rng.integers(min_len, max_len + 1)
        playlists.append([genre[rng.choice(SONGS_PER_GENRE, p=popularity)] if rng.random() < stay
                          else every[rng.choice(len(every), p=everywhere)] for _ in range(length)])
    return playlists


def catalogue():
    """Every song id."""
    return [f"{genre}-{i:02d}" for genre in GENRES for i in range(SONGS_PER_GENRE)]


def artist_pairs(songs):
    """Every pair of songs by one artist: the lexicon's synonyms."""
    by_artist = {}
    for song in sorted(songs):
        by_artist.setdefault(artist_of(song), []).append(song)
    return [(a, b) for group in by_artist.values() for i, a in enumerate(group) for b in group[i + 1:]]


def tail_of(playlists):
    """The less played half of the songs."""
    plays = Counter(song for playlist in playlists for song in playlist)
    return sorted(plays, key=lambda s: (plays[s], s))[:len(plays) // 2]


class LossLogger(CallbackAny2Vec):
    """The callback the tutorials copy: print the loss of each epoch."""

    def __init__(self, every=5):
        self.epoch = 0
        self.previous_loss = 0
        self.every = every

    def on_epoch_end(self, model):
        loss = model.get_latest_training_loss()
        if self.epoch % self.every == 0 or self.epoch == model.epochs - 1:
            print(f"Loss after epoch {self.epoch}: {loss - self.previous_loss}")
        self.previous_loss = loss
        self.epoch += 1


def genre_share(wv, songs=None, topn=10):
    """Mean share of each song's `topn` nearest neighbours that are of its genre."""
    songs = wv.index_to_key if songs is None else songs
    return float(np.mean([np.mean([genre_of(other) == genre_of(song)
                                   for other, _ in wv.most_similar(song, topn=topn)]) for song in songs]))


def shares(model, tail):
    return {"all": genre_share(model.wv), "tail": genre_share(model.wv, tail)}


def geometry(model):
    """The mean and largest norm of the song vectors."""
    norms = np.linalg.norm(model.wv.vectors, axis=1)
    return {"mean norm": float(norms.mean()), "max norm": float(norms.max())}


def mean_se(values):
    values = np.asarray(values, dtype=float)
    se = values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1 else None
    return float(values.mean()), se


def show(mean, se, fmt="{:.1%}"):
    """``mean ± se`` (no ± for one seed)."""
    return fmt.format(mean) + ("" if se is None else " ± " + fmt.format(se).lstrip("+"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--playlists", type=int, default=300)
    parser.add_argument("--vector-size", type=int, default=32)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seeds", type=int, default=3, help="seeds of run 2, for the gain's noise")
    parser.add_argument("--lexicon-weight", type=float, default=20.0)
    parser.add_argument("--lexicon-margin", type=float, default=0.9,
                        help="the cosine up to which an artist's songs are pulled together")
    parser.add_argument("--variant", choices=["norm", "softmax"], default="norm", help="the third run's loss")
    args = parser.parse_args(argv)

    def common(seed):
        # item2vec settings: skip-gram, a wide window (order within a playlist barely matters),
        # many negatives, no downsampling of popular items; min_count=1 keeps the tail
        return dict(vector_size=args.vector_size, sg=1, window=10, min_count=1, sample=0,
                    epochs=args.epochs, workers=args.workers, seed=seed)

    playlists = make_playlists(args.playlists, seed=1)
    tail = tail_of(playlists)
    plays = Counter(song for playlist in playlists for song in playlist)
    print(f"{len(playlists)} playlists, {sum(plays.values())} plays of {len(plays)} songs "
          f"({len(GENRES)} genres x {SONGS_PER_GENRE} songs, {SONGS_PER_ARTIST} per artist); the tail's "
          f"{len(tail)} songs are played {np.mean([plays[s] for s in tail]):.1f} times on average. "
          f"{args.epochs} epochs, {args.workers} workers.")
    print(f"Below: the share of a song's top-10 neighbours of its own genre (chance {CHANCE:.1%}).")

    print("\n1. the classic callback on get_latest_training_loss()")
    model = Word2Vec(playlists, negative=20, callbacks=[LossLogger()], **common(1))
    result = {"classic": shares(model, tail)}
    print(f"   all songs {result['classic']['all']:.1%}, tail {result['classic']['tail']:.1%}")

    print(f"\n2. LossTracker, and the artists as a lexicon: LexiconPenalty(artist pairs, "
          f"weight={args.lexicon_weight:g}, margin={args.lexicon_margin:g}), {args.seeds} seed(s)")
    tracker = LossTracker()
    runs, first = {"ns": [], "ns+lexicon": []}, {}
    for seed in range(1, args.seeds + 1):
        playlists = make_playlists(args.playlists, seed=seed)
        tail = tail_of(playlists)
        lexicon = LexiconPenalty(synonyms=artist_pairs(catalogue()), weight=args.lexicon_weight,
                                 margin=(args.lexicon_margin, 0.0))
        for label, loss in (("ns", NEGSamplingLoss(negative=20)),
                            ("ns+lexicon", NEGSamplingLoss(negative=20) + lexicon)):
            model = Word2Vec(playlists, loss=loss, comment=f"{label} seed {seed}", callbacks=[tracker],
                             **common(seed))
            runs[label].append(shares(model, tail))
            first.setdefault(label, model)
            last = tracker.for_model(f"{label} seed {seed}")[-1]
            terms = ", ".join(f"{t} {last[t]:.1f}" for t in tracker.terms(f"{label} seed {seed}"))
            print(f"   seed {seed} {label:<10} epoch {last['epoch']}: per example {last['loss_per_example']:.4f} "
                  f"({terms}); all songs {runs[label][-1]['all']:.1%}, tail {runs[label][-1]['tail']:.1%}")
    for part in ("all", "tail"):
        ns, lexicon = (mean_se([r[part] for r in runs[label]]) for label in ("ns", "ns+lexicon"))
        gain = mean_se([b[part] - a[part] for a, b in zip(runs["ns"], runs["ns+lexicon"])])
        name = "all songs" if part == "all" else "tail"
        print(f"   {name:<9}: ns {show(*ns)}, ns+lexicon {show(*lexicon)}; "
              f"gain {show(gain[0] * 100, None if gain[1] is None else gain[1] * 100, '{:+.1f}')} "
              f"points (chance {CHANCE:.1%})")
        result[f"gain {part}"] = gain[0]
    result["ns"], result["ns+lexicon"] = runs["ns"][0], runs["ns+lexicon"][0]

    playlists = make_playlists(args.playlists, seed=1)
    tail = tail_of(playlists)
    if args.variant == "softmax":
        label, loss = "softmax", SoftmaxLoss()
    else:
        label, loss = "ns+norm", NEGSamplingLoss(negative=20) + NormPenalty(0.01)
    print(f"\n3. {loss!r}: {'the full softmax' if label == 'softmax' else 'a term on the geometry'}, seed 1")
    model = Word2Vec(playlists, loss=loss, comment=label, callbacks=[tracker], **common(1))
    result[label] = shares(model, tail)
    for name, m in (("ns", first["ns"]), (label, model)):
        shape = ", ".join(f"{k} {v:.2f}" for k, v in geometry(m).items())
        share = shares(m, tail)
        print(f"   {name:<8} {shape}; all songs {share['all']:.1%}, tail {share['tail']:.1%}")
    return result


if __name__ == "__main__":
    main()
