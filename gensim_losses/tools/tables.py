"""Aligned text tables of loss records and scores: what the CLI and the demo print."""

import math


def format_table(header, rows):
    """Rows of cells as an aligned text table: first column left, the others right."""
    rows = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))
        for row in rows)


def _num(value, fmt=".1f"):
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, fmt)


def loss_table(history):
    """Per-epoch loss records (``model.loss_history``) as an aligned text table.

    Loss values that were not computed (``compute_loss=False``) show as ``-``.
    """
    terms = [k for k in history[0] if k not in ("epoch", "total", "examples") and not k.startswith("val_")] \
        if history else []
    held = any(rec.get("val_examples") for rec in history)
    header = ["epoch", "examples", "loss/example", "total", *terms] + (["held-out loss/example"] if held else [])
    rows = []
    for rec in history:
        total, examples = rec.get("total"), rec.get("examples")
        per = total / examples if total is not None and examples else None
        rows.append([rec["epoch"], _num(examples, "d"), _num(per, ".4f"), _num(total),
                     *(_num(rec.get(t)) for t in terms)])
        if held:
            val = rec["val_total"] / rec["val_examples"] if rec.get("val_examples") else None
            rows[-1].append(_num(val, ".4f"))
    return format_table(header, rows)


def comparison_table(tracker):
    """A :class:`~gensim_losses.callbacks.LossTracker`'s models side by side, one row per epoch.

    Per model: its total, its loss per example where it counts examples, the
    held-out loss per example where a ``Validation`` recorded one, and its
    terms when it has more than one.
    """
    columns = []  # (header, model label, key)
    for label in tracker.models():
        entries = tracker.for_model(label)
        columns.append((f"{label} total", label, "total"))
        if any(e["examples"] for e in entries):
            columns.append((f"{label} loss/ex", label, "loss_per_example"))
        if any(e.get("val_examples") for e in entries):
            columns.append((f"{label} held-out/ex", label, "held_out_per_example"))
        terms = tracker.terms(label)
        if len(terms) > 1:
            columns.extend((f"{label}: {t}", label, t) for t in terms)
    by_epoch = {}
    for entry in tracker.history:
        by_epoch.setdefault(entry["epoch"], {})[entry["model"]] = entry
    rows = []
    for epoch in sorted(by_epoch):
        cells = [epoch]
        for _, label, key in columns:
            entry = by_epoch[epoch].get(label, {})
            if key == "held_out_per_example":
                value = entry["val_total"] / entry["val_examples"] if entry.get("val_examples") else None
            else:
                value = entry.get(key)
            cells.append(_num(value, ".4f" if key in ("loss_per_example", "held_out_per_example") else ".1f"))
        rows.append(cells)
    return format_table(["epoch", *(c[0] for c in columns)], rows)


def evaluation_table(named_scores):
    """``[(name, evaluate_vectors(...)), ...]`` as a table."""
    header = ["vectors", "wordsim353 ρ", "(pairs OOV)", "simlex999 ρ", "(pairs OOV)", "analogies acc.",
              "(answered)"]
    rows = [[name, _num(s["wordsim353"], ".3f"), f"{s['wordsim353_oov']:.0f}%", _num(s["simlex999"], ".3f"),
             f"{s['simlex999_oov']:.0f}%", _num(s["analogies"], ".3f"),
             f"{s['analogies_answered']}/{s['analogies_total']}"] for name, s in named_scores]
    return format_table(header, rows)
