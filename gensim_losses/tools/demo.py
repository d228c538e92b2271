"""``gensim-losses demo``: what a custom loss is for, shown on a task where it matters.

Listing embeddings from search sessions, as Grbovic and Cheng trained them
at Airbnb (KDD 2018), on a generated marketplace with planted truth
(:mod:`gensim_losses.text.synthetic`): 20 markets of 200 listings of 10 types;
each session browses one market, mostly one type, and a third of them end
in a booking. Three models train on the same sessions, side by side:

* stock gensim, skip-gram with negative sampling;
* gensim_losses with :class:`~gensim_losses.NEGSamplingLoss`, the same
  objective through our kernels (its figures should match stock's);
* gensim_losses with the two terms the paper adds:
  :class:`~gensim_losses.GroupNegativeLoss` (extra negatives from the
  listing's own market) and :class:`~gensim_losses.GlobalContextLoss` (the
  booked listing as a context of every click of its session).

Two metrics, with their chance levels: ``type_share@10``, the share of a
listing's 10 nearest same-market listings that have its type (in-market
similarity), and ``booking_hit@10``, the share of held-out booked sessions
whose booked listing is among the 10 nearest listings of the last click.
"""

from __future__ import annotations

import time

import numpy as np
from gensim.models.callbacks import CallbackAny2Vec

from gensim_losses.text import synthetic

METRICS = ("type_share@10", "booking_hit@10")
PLOT_HINT = "no plot: matplotlib is not installed (pip install 'gensim-losses[plot]' draws the figure)"


class MetricTracker(CallbackAny2Vec):
    """Both metrics of the model's listing vectors at the end of every epoch."""

    def __init__(self, world, held_out):
        self.world = world
        self.held_out = held_out
        self.epochs = []

    def on_epoch_end(self, model):
        self.epochs.append(scores(model.wv, self.world, self.held_out))


def scores(wv, world, held_out):
    """``{metric: value}`` of listing vectors ``wv``."""
    return {"type_share@10": synthetic.type_share(wv, world),
            "booking_hit@10": synthetic.booking_hits(wv, world, held_out)}


def sides(world):
    """``(label, what it is, make model(**params), booking in the corpus)`` of the three models."""
    import gensim

    from gensim_losses import losses as G
    from gensim_losses.models.word2vec import Word2Vec

    return [
        ("stock", "stock gensim, negative sampling", lambda **kw: gensim.models.Word2Vec(
            negative=5, compute_loss=True, **kw), "last"),
        ("ours", "gensim_losses, NEGSamplingLoss", lambda **kw: Word2Vec(loss=G.NEGSamplingLoss(5), **kw),
         "last"),
        ("ours+custom", "gensim_losses, NS + GroupNegativeLoss(markets) + GlobalContextLoss(booking)",
         lambda **kw: Word2Vec(loss=G.NEGSamplingLoss(5) + G.GroupNegativeLoss(synthetic.market_groups(world), 5)
                                 + G.GlobalContextLoss(), **kw), "both"),
    ]


def run(sessions=60_000, epochs=5, workers=2, seed=1, log=print):
    """Train the three models and score them.

    Returns
    -------
    dict
        ``world``, ``chance``, ``tracker`` (the
        :class:`~gensim_losses.LossTracker` of all three) and ``models``: per
        model its ``label``, ``loss``, ``seconds``, final ``scores`` and
        per-epoch ``curve`` of both metrics.
    """
    from gensim_losses.callbacks import LossTracker, Validation

    rng = np.random.default_rng(seed)
    world = synthetic.make_world(rng)
    train_sessions = synthetic.make_sessions(world, rng, sessions)
    held_out = synthetic.make_sessions(world, rng, sessions // 2)
    clicks = sum(len(c) for c, _ in train_sessions)
    booked = sum(b is not None for _, b in train_sessions)
    log(f"A generated marketplace: {world['markets']} markets x {world['listings']} listings of "
        f"{world['types']} types; {sessions} training sessions ({clicks} clicks, {booked} bookings), "
        f"{len(held_out)} held out.")
    log(f"skip-gram, 32 dimensions, window 5, {epochs} epochs, {workers} workers, seed {seed}.")
    tracker = LossTracker()
    models = []
    for label, loss, make, booking in sides(world):
        corpus = synthetic.session_corpus(world, train_sessions, booking)
        if booking == "last":  # plain token lists: all stock gensim reads, and all NS needs
            corpus = [list(item.words) for item in corpus]
        metrics = MetricTracker(world, held_out)
        model = make(vector_size=32, window=5, min_count=1, sg=1, sample=0, epochs=epochs, workers=workers,
                     seed=seed, comment=label)
        model.build_vocab(corpus)
        callbacks, validation = [tracker, metrics], None
        if label != "stock":  # the loss of the held-out sessions, every weight frozen: our kernels only
            held_corpus = synthetic.session_corpus(world, held_out, booking)
            if booking == "last":
                held_corpus = [list(item.words) for item in held_corpus]
            validation = Validation(held_corpus)
            callbacks.append(validation)
        start = time.perf_counter()
        # stock gensim's train() turns compute_loss off unless told again
        model.train(corpus, total_examples=len(corpus), epochs=epochs, compute_loss=True, callbacks=callbacks)
        seconds = time.perf_counter() - start - (validation.seconds if validation else 0.0)  # training alone
        models.append(dict(label=label, loss=loss, seconds=seconds,
                           scores=metrics.epochs[-1], curve=metrics.epochs))
    return dict(world=world, chance=synthetic.chance(world), tracker=tracker, models=models)


def report(result, log=print):
    """The loss per epoch and the metrics as text tables."""
    from gensim_losses.tools.tables import comparison_table, format_table

    log("")
    log("Training loss of every epoch. stock: differences of gensim's get_latest_training_loss(), a float32 "
        "tally that loses the jobs of concurrent workers and counts no examples; ours: exact float64 sums, "
        "per term, and beside them the loss of the held-out sessions, every weight frozen (held-out/ex):")
    log(comparison_table(result["tracker"]))
    log("")
    rows = [[m["label"], m["loss"], *(f"{m['scores'][k]:.3f}" for k in METRICS), f"{m['seconds']:.1f}"]
            for m in result["models"]]
    rows.append(["chance", "random vectors", *(f"{result['chance'][k]:.4f}" for k in METRICS), ""])
    log(format_table(["model", "what it is", *METRICS, "train s"], rows))
    log("type_share@10: share of a listing's 10 nearest same-market listings that have its type.")
    log("booking_hit@10: share of held-out booked sessions whose booked listing is among the last click's "
        "10 nearest.")
    log(summary(result))


def summary(result):
    """One sentence on what the figures show, from the figures themselves."""
    by = {m["label"]: m["scores"] for m in result["models"]}
    stock, ours, custom, chance = by["stock"], by["ours"], by["ours+custom"], result["chance"]
    return (f"What it shows: our plain negative sampling scores as stock gensim does (type_share@10 "
            f"{ours['type_share@10']:.3f} against {stock['type_share@10']:.3f}), and the two custom terms take "
            f"type_share@10 to {custom['type_share@10']:.3f} and booking_hit@10 from "
            f"{ours['booking_hit@10']:.3f} to {custom['booking_hit@10']:.3f} (chance "
            f"{chance['type_share@10']:.3f} and {chance['booking_hit@10']:.4f}).")


def plot(result, path):
    """Loss curves per term and both metrics per epoch, in one PNG at ``path``.

    Raises ImportError when matplotlib is missing.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(15, 5.5), layout="constrained")
    loss_ax, *metric_axes = fig.subplots(1, 3)
    result["tracker"].plot(ax=loss_ax, per_example=True)
    loss_ax.set_title("loss per example, per term (solid: training, dashed: held out)")
    # the legend below the panel, where it covers no curve
    loss_ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize="small")
    loss_ax.text(0.99, 0.98, "stock: gensim counts no examples,\nso it has no per-example curve",
                 transform=loss_ax.transAxes, ha="right", va="top", fontsize="small", color="dimgrey")
    # one colour per model in the metric panels, none of them the loss panel's first colours
    colours = {"stock": "black", "ours": "tab:cyan", "ours+custom": "tab:olive"}
    for ax, key in zip(metric_axes, METRICS):
        for model in result["models"]:
            curve = [epoch[key] for epoch in model["curve"]]
            ax.plot(range(len(curve)), curve, marker="o", label=model["label"], color=colours.get(model["label"]))
        ax.axhline(result["chance"][key], color="grey", linestyle="--", label="chance")
        ax.set_title(key)
        ax.set_xlabel("epoch")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(True, alpha=0.3)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=4, fontsize="small")
    fig.savefig(path)
    return path
