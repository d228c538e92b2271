"""Which path each part of a loss trains on.

A loss is split into parts the kernels run natively (the built-in objectives
and penalties, scaled) and Python terms (anything else), which the hybrid
path applies at every example (compiled for the kernels where they trace). A user's composite that holds a built-in
objective as a child is split into that child (native) and the rest (Python):
the rest is the composite evaluated with the child muted (``losses.muted``),
and the split is checked numerically when the plan is made, so a composite that is not
additive in its objective is refused instead of trained wrong.
"""

from dataclasses import dataclass, field

import numpy as np

from gensim_losses.losses import loss as L
from gensim_losses.text.corpus import FLOAT32_MAX

# exact classes the kernels implement; a subclass may override the math
NATIVE_OBJECTIVES = {L.NEGSamplingLoss: "ns", L.HierarchicalSoftmaxLoss: "hs", L.SoftmaxLoss: "softmax"}
NATIVE_PENALTIES = {L.NormPenalty: "norm", L.L2Penalty: "l2", L.AnchorPenalty: "anchor",
                    L.DirectionPenalty: "direction", L.GlobalContextLoss: "global_context",
                    L.GroupNegativeLoss: "group_negative", L.LexiconPenalty: "lexicon"}
OBJECTIVE_TERMS = ("ns", "hs", "softmax")
SPLIT_CHECKS = 4  # random batches compared when a composite is split
SPLIT_RTOL = 1e-4


@dataclass
class PythonTerm:
    """A term written in Python, which the hybrid path applies at every example
    (:mod:`gensim_losses.training.hybrid`)."""

    name: str
    loss: L.BaseLoss
    muted: tuple = ()  # objective children the kernels train, silenced while evaluating ``loss``
    scale: float = 1.0

    @property
    def takes_batch(self):
        """It asks for each example's inputs, weight and context (``forward(target, output, batch)``)."""
        return L.takes_batch(self.loss.forward)

    def forward(self, target, output, batch=None):
        with L.muted(self.muted):
            return self.scale * L.call_forward(self.loss, target, output, batch)

    def backward(self, target, output, batch=None):
        with L.muted(self.muted):
            return self.scale * np.asarray(L.call_backward(self.loss, target, output, batch))


@dataclass
class LossPlan:
    weights: dict = field(default_factory=dict)   # kernel term -> weight
    natives: dict = field(default_factory=dict)   # kernel term -> the loss object
    python: list = field(default_factory=list)    # PythonTerm
    objectives: list = field(default_factory=list)  # the objective objects, for the model's settings
    output_only: set = field(default_factory=set)   # reference backend: objectives that only train their layer

    @property
    def path(self):
        return "hybrid" if self.python else "native"

    def names(self):
        """Record names of the kernel terms in use, by kernel term."""
        return {term: self.natives[term].name for term in self.weights}


def _check_float32(weight, what):
    """The kernels hold every term's weight in float32: one beyond its range would be infinite."""
    if not weight <= FLOAT32_MAX:
        raise L.LossError(f"{what} has the weight {weight:g} in the loss (its weight times its scale), beyond "
                          f"float32's range (at most {FLOAT32_MAX:.7g}), which the kernels compute in")


def _add_native(plan, loss, term, scale):
    if term in plan.weights:
        raise L.LossError(f"{type(loss).__name__} appears twice in the loss; combine them into one term "
                          f"(e.g. a single {type(loss).__name__} with the summed weight)")
    weight = scale * getattr(loss, "weight", 1.0)
    if weight < 0:
        raise L.LossError(f"{type(loss).__name__} has a negative scale ({scale}): it would be maximised")
    _check_float32(weight, type(loss).__name__)
    plan.weights[term] = weight
    plan.natives[term] = loss
    if term in OBJECTIVE_TERMS:
        plan.objectives.append(loss)


def _walk(loss, scale, plan, composites):
    if isinstance(loss, L.SumLoss):
        for part in loss.terms:
            _walk(part, scale, plan, composites)
    elif isinstance(loss, L.ScaledLoss):
        _walk(loss.loss, scale * loss.scale, plan, composites)
    elif type(loss) in NATIVE_OBJECTIVES:
        _add_native(plan, loss, NATIVE_OBJECTIVES[type(loss)], scale)
    elif type(loss) in NATIVE_PENALTIES:
        _add_native(plan, loss, NATIVE_PENALTIES[type(loss)], scale)
    elif type(loss) is L.CustomLoss:
        _walk(loss.base, scale, plan, composites)
        if loss.penalty:
            _add_native(plan, L.NormPenalty(loss.penalty), "norm", scale)
    else:
        children = [m for m in loss.modules() if m is not loss and type(m) in NATIVE_OBJECTIVES]
        for child in children:
            _add_native(plan, child, NATIVE_OBJECTIVES[type(child)], scale)
        composites.append((loss, children, scale))


def split(loss):
    """Walk ``loss`` into native parts and composites, without binding; returns ``(plan, composites)``."""
    if not isinstance(loss, L.BaseLoss):
        raise TypeError(f"loss must be a gensim_losses.BaseLoss (e.g. NEGSamplingLoss() or a subclass "
                        f"with forward/backward), got {type(loss).__name__}")
    plan, composites = LossPlan(), []
    _walk(loss, 1.0, plan, composites)
    if not plan.objectives:
        raise L.LossError(f"{type(loss).__name__} has no objective to train: add NEGSamplingLoss(), "
                          f"HierarchicalSoftmaxLoss() or SoftmaxLoss() (e.g. loss = NEGSamplingLoss() + "
                          f"{type(loss).__name__}(...))")
    return plan, composites


def make_plan(loss, model, strict=True, rng=None):
    """Split ``loss`` for ``model`` and bind it.

    With ``strict`` (the native/hybrid backends) a composite that is not its
    objective plus separate terms raises LossError; without (the reference
    backend) it is kept whole as one Python term, and its objectives only
    train their output layers.
    """
    plan, composites = split(loss)
    if "group_negative" in plan.weights and "ns" not in plan.weights:
        raise L.LossError("GroupNegativeLoss adds negatives to negative sampling: add NEGSamplingLoss() to the "
                          "loss (e.g. NEGSamplingLoss() + GroupNegativeLoss(groups))")
    loss.bind(model)
    if "global_context" in plan.natives:
        plan.natives["global_context"].use_objectives(
            (plan.natives[term], weight) for term, weight in plan.weights.items() if term in OBJECTIVE_TERMS)
    rng = rng or np.random.default_rng(0)
    names = {obj.name for obj in plan.natives.values()}
    for composite, children, scale in composites:
        name = composite.name
        while name in names:
            name += "_"
        names.add(name)
        _check_float32(abs(scale), type(composite).__name__)
        term = PythonTerm(name, composite, tuple(children), scale)
        try:
            _check_split(term, model, rng)
        except L.LossError:
            if strict:
                raise
            # kept whole: it carries its objectives' loss and h-gradient
            term.muted = ()
            plan.output_only.update(NATIVE_OBJECTIVES[type(child)] for child in children)
        plan.python.append(term)
    return plan


def _probe(model, rng, n=6):
    """Random targets, hidden vectors and example batch of the sizes training uses."""
    vocab, size = len(model.wv.index_to_key), L.hidden_size(model)
    target = rng.integers(0, vocab, n)
    output = L.as_output(rng.normal(0.0, 0.5, (n, size)).astype(np.float32))
    batch = L.ExampleBatch.of(input_ids=[rng.integers(0, vocab, 1 + e % 3) for e in range(n)],
                              weight=rng.uniform(0.5, 2.0, n),
                              context=[rng.integers(0, vocab, e % 2) for e in range(n)])
    return target, output, batch


def _randomised_output_layers(model, objectives, rng):
    """Output layers are zero on a fresh model, where a product with the
    objective would look additive; probe with random ones."""
    saved = {}
    for obj in objectives:
        name = obj.weights_name
        if name not in saved and getattr(model, name, None) is not None:
            saved[name] = getattr(model, name)
            setattr(model, name, rng.normal(0, 0.3, saved[name].shape).astype(np.float32))
    return saved


def _check_split(term, model, rng):
    """``composite == sum(children) + rest``, in forward and backward, on random probes."""
    composite, children = term.loss, term.muted
    saved = _randomised_output_layers(model, children, rng)
    try:
        for _ in range(SPLIT_CHECKS):
            target, output, batch = _probe(model, rng)
            whole_f = L.call_forward(composite, target, output.copy(), batch)
            whole_b = L.call_backward(composite, target, output.copy(), batch)
            part_f = term.forward(target, output.copy(), batch) / term.scale
            part_b = term.backward(target, output.copy(), batch).astype(np.float64) / term.scale
            for child in children:
                part_f = part_f + L.call_forward(child, target, output.copy(), batch)
                part_b = part_b + L.call_backward(child, target, output.copy(), batch)
            # equal NaNs agree: a term undefined at some probes (a log, a square root) is still a sum
            if not (np.allclose(whole_f, part_f, rtol=SPLIT_RTOL, atol=1e-5, equal_nan=True)
                    and np.allclose(whole_b, part_b, rtol=SPLIT_RTOL, atol=1e-5, equal_nan=True)):
                kids = ", ".join(type(c).__name__ for c in children) or "none"
                raise L.LossError(
                    f"{type(composite).__name__} is not its objective ({kids}) plus separate terms: its "
                    f"forward/backward differ from the sum of the parts (max forward difference "
                    f"{np.max(np.abs(whole_f - part_f)):.3g}), so the kernels cannot train the objective "
                    f"natively. Train it with backend='reference' (exact, pure numpy, slow).")
    finally:
        for name, value in saved.items():
            setattr(model, name, value)


def plan_from_settings(model):
    """The plan of a model without ``loss=``: gensim's hs/negative flags."""
    plan = LossPlan()
    if model.negative:
        _add_native(plan, L.NEGSamplingLoss(), "ns", 1.0)
    if model.hs:
        _add_native(plan, L.HierarchicalSoftmaxLoss(), "hs", 1.0)
    for objective in plan.objectives:  # the reference backend calls them
        objective.bind(model)
    return plan
