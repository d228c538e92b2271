"""item2vec: song embeddings from playlists, with planted genres.

Generates playlists over 8 genres x 40 songs (each playlist mostly from one
genre), trains skip-gram with negative sampling three times and prints, for
each run, the nearest neighbours of a few songs and the share of every song's
top-10 neighbours that are of its own genre:

1. with the classic ``loss - previous_loss`` callback, unchanged (on
   ``get_latest_training_loss()``, which keeps gensim's meaning here);
2. the same run with ``LossTracker`` (exact per-epoch records);
3. a variant: ``NEGSamplingLoss + NormPenalty`` (default) or ``SoftmaxLoss``
   (``--variant softmax``: the full softmax, affordable for a vocabulary of 320).

    python examples/item2vec.py               # 100 epochs
    python examples/item2vec.py --epochs 5    # a quick look
"""

import argparse
import os

import numpy as np
from gensim.models.callbacks import CallbackAny2Vec

from gensim_losses import LossTracker, NEGSamplingLoss, NormPenalty, SoftmaxLoss, Word2Vec

GENRES = ["rock", "jazz", "techno", "folk", "hiphop", "classical", "metal", "reggae"]
SONGS_PER_GENRE = 40


def genre_of(song):
    return song.split("-")[0]


def make_playlists(n_playlists=1000, min_len=10, max_len=25, stay=0.5, seed=0):
    """Playlists (lists of song ids): each picks one genre, then each song is
    from that genre with probability `stay`, else from anywhere."""
    rng = np.random.default_rng(seed)
    songs = [[f"{g}-{i:02d}" for i in range(SONGS_PER_GENRE)] for g in GENRES]
    every = [s for genre in songs for s in genre]
    playlists = []
    for _ in range(n_playlists):
        genre = songs[rng.integers(len(GENRES))]
        length = rng.integers(min_len, max_len + 1)
        playlists.append([genre[rng.integers(len(genre))] if rng.random() < stay
                          else every[rng.integers(len(every))] for _ in range(length)])
    return playlists


class LossLogger(CallbackAny2Vec):
    """The callback the tutorials copy: print the loss of each epoch."""

    def __init__(self):
        self.epoch = 0
        self.previous_loss = 0

    def on_epoch_end(self, model):
        loss = model.get_latest_training_loss()
        print(f"Loss after epoch {self.epoch}: {loss - self.previous_loss}")
        self.previous_loss = loss
        self.epoch += 1


def genre_share(wv, topn=10):
    """Mean share of each song's `topn` nearest neighbours that are of its genre."""
    shares = [np.mean([genre_of(other) == genre_of(song) for other, _ in wv.most_similar(song, topn=topn)])
              for song in wv.index_to_key]
    return float(np.mean(shares))


def report(label, model, songs=("rock-00", "jazz-01", "techno-02")):
    print(f"-- {label}")
    for song in songs:
        if song in model.wv:
            near = ", ".join(f"{s} {sim:.2f}" for s, sim in model.wv.most_similar(song, topn=5))
            print(f"   nearest to {song}: {near}")
    share = genre_share(model.wv)
    print(f"   share of top-10 neighbours in the same genre: {share:.1%} (chance: {1 / len(GENRES):.1%})")
    return share


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--playlists", type=int, default=1000)
    parser.add_argument("--vector-size", type=int, default=32)
    parser.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 2) - 1))
    parser.add_argument("--variant", choices=["penalty", "softmax"], default="penalty")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    playlists = make_playlists(args.playlists, seed=args.seed)
    print(f"{len(playlists)} playlists, {sum(map(len, playlists))} plays, "
          f"{len(GENRES)} genres x {SONGS_PER_GENRE} songs; {args.epochs} epochs, {args.workers} workers")
    # item2vec settings: skip-gram, a wide window (order within a playlist barely matters),
    # many negatives, no downsampling of frequent items
    common = dict(vector_size=args.vector_size, sg=1, window=10, min_count=3, sample=0,
                  epochs=args.epochs, workers=args.workers, seed=args.seed)

    print("\n1. the classic callback on get_latest_training_loss()")
    model = Word2Vec(playlists, negative=20, callbacks=[LossLogger()], **common)
    shares = {"classic": report("NEGSamplingLoss(20), classic callback", model)}

    print("\n2. the same run with LossTracker")
    tracker = LossTracker()
    model = Word2Vec(playlists, loss=NEGSamplingLoss(negative=20), comment="ns", callbacks=[tracker], **common)
    for entry in tracker.for_model("ns")[-3:]:
        print(f"   epoch {entry['epoch']}: total {entry['total']:.1f}, "
              f"per example {entry['loss_per_example']:.4f}")
    shares["ns"] = report("NEGSamplingLoss(20), LossTracker", model)

    if args.variant == "softmax":
        label, loss = "softmax", SoftmaxLoss()
    else:
        label, loss = "ns+norm", NEGSamplingLoss(negative=20) + NormPenalty(0.01)
    print(f"\n3. the variant: {loss!r}")
    model = Word2Vec(playlists, loss=loss, comment=label, callbacks=[tracker], **common)
    last = tracker.for_model(label)[-1]
    terms = ", ".join(f"{t} {last[t]:.1f}" for t in tracker.terms(label))
    print(f"   last epoch {last['epoch']}: per example {last['loss_per_example']:.4f} ({terms})")
    shares[label] = report(label, model)
    return shares


if __name__ == "__main__":
    main()
