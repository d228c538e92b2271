"""Sphinx configuration: the documentation site, built from the docstrings.

Build it (warnings are errors, as in CI)::

    python -m sphinx -W --keep-going -n -b html docs docs/_build/html

Sphinx with autodoc and numpydoc, as gensim and scikit-learn use, and the furo theme: the
docstrings are numpy style already, the API pages of the libraries this one
extends read the same way, and the prose pages stay Markdown (MyST).
"""

import inspect
import sys
from pathlib import Path

from sphinx.util import logging as sphinx_logging

ROOT = Path(__file__).resolve().parent.parent


def _kernels_built(package):
    """Whether a source tree's package holds its compiled kernels (``pip install -e`` or
    ``setup.py build_ext --inplace`` put them there; ``pip install .`` builds them elsewhere)."""
    return any(package.glob("_kernels_baseline*.so")) or any(package.glob("_kernels_baseline*.pyd"))


# The docs describe the package that imports: this checkout when its kernels are built here, else the
# installed one (``pip install ".[docs]"``), which the checkout's sources would otherwise shadow: ``python
# -m sphinx`` run from the checkout puts it first on sys.path, and its kernels are not compiled there.
if _kernels_built(ROOT / "gensim_losses"):
    sys.path.insert(0, str(ROOT))
else:
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT]

import gensim_losses  # noqa: E402

project = "gensim-losses"
author = "the gensim-losses developers"
release = version = gensim_losses.__version__
copyright = "2026, the gensim-losses developers"

extensions = ["sphinx.ext.autodoc", "sphinx.ext.mathjax", "numpydoc", "myst_parser"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]
html_theme = "furo"  # readable at any width, code blocks scroll instead of being cut (alabaster cut them)
html_title = f"gensim-losses {release}"

myst_heading_anchors = 3  # the prose pages link to each other's sections: losses.md#shared-negatives-...
myst_enable_extensions = ["dollarmath"]

autodoc_default_options = {"member-order": "bysource"}
autodoc_inherit_docstrings = True
numpydoc_show_class_members = False  # autodoc lists the members; numpydoc only formats the sections
numpydoc_xref_param_type = False

# Broken references to this package's own names are errors (-n with -W); names
# of other libraries are not resolved here (no network for their inventories).
nitpicky = True
nitpick_ignore_regex = [(r"py:.*", r"(?!gensim_losses\b).*")]

_documented = set()


def _record(app, what, name, obj, options, lines):
    _documented.add(name)


def _public_members(cls):
    """``(names it may be documented under, member)`` of the public members that gensim_losses
    classes define on ``cls``: under ``cls``, or under the public class that defines it (a
    loss's ``name`` is documented once, on ``BaseLoss``)."""
    seen = set()
    for klass in cls.__mro__:
        if not klass.__module__.startswith("gensim_losses"):
            continue
        for key, value in vars(klass).items():
            if key.startswith("_") or key in seen:
                continue
            seen.add(key)
            if callable(value) or isinstance(value, (property, staticmethod, classmethod)):
                names = [f"gensim_losses.{cls.__name__}.{key}"]
                if klass.__name__ in gensim_losses.__all__:
                    names.append(f"gensim_losses.{klass.__name__}.{key}")
                yield names, getattr(cls, key)


def gaps(documented):
    """What is missing from the API reference, given the names autodoc ``documented``:
    every public name of ``gensim_losses`` and every public member its classes define
    must have a docstring and be shown."""
    out = []
    for name in gensim_losses.__all__:
        if name.startswith("__"):
            continue
        obj = getattr(gensim_losses, name)
        entries = [([f"gensim_losses.{name}"], obj)]
        if inspect.isclass(obj):
            entries += list(_public_members(obj))
        for names, member in entries:
            if not inspect.getdoc(member):
                out.append(f"{names[0]} has no docstring")
            elif not documented.intersection(names):
                out.append(f"{names[0]} is public but not in the API reference (docs/api.rst)")
    return out


def _check_complete(app, env):
    """A gap in the API reference is a warning: an error with -W, as CI builds."""
    log = sphinx_logging.getLogger("gensim_losses.docs")
    for gap in gaps(_documented):
        log.warning(gap)


def setup(app):
    app.connect("autodoc-process-docstring", _record)
    app.connect("env-updated", _check_complete)
