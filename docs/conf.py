"""Sphinx configuration: the documentation site, built from the docstrings.

Build it (warnings are errors, as in CI)::

    python -m sphinx -W --keep-going -n -b html docs docs/_build/html

Sphinx with autodoc and numpydoc, as gensim and scikit-learn use, and the furo theme: the
docstrings are numpy style already, the API pages of the libraries this one
extends read the same way, and the prose pages stay Markdown (MyST).
"""

import importlib
import inspect
import re
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

# Broken references to this package's own names are errors (-n with -W). gensim's and numpy's names
# link to their sites (``external_url``: intersphinx would need their inventories, and the build runs
# offline); a name of theirs that does not import is an error too. Other libraries' names stay text.
nitpicky = True
nitpick_ignore_regex = [(r"py:.*", r"(?!gensim_losses\b|gensim\b|numpy\b).*")]

def _resolve(target):
    """``(module, the names after it)`` of a dotted name that imports, else None."""
    parts = target.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = module = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return module, parts[cut:]
    return None


def external_url(target):
    """The page documenting ``target`` (``gensim.models.Word2Vec``, ``numpy.random.Generator``) on its
    project's site, or None if it is not gensim's or numpy's, or does not import.

    gensim documents a name on the page of the module that defines it (``gensim.models.Word2Vec`` is
    ``models/word2vec.html#gensim.models.word2vec.Word2Vec``); numpy's pages follow no one pattern, so
    its names link to its site's search for them."""
    package = target.partition(".")[0]
    found = _resolve(target) if package in ("gensim", "numpy") else None
    if found is None:
        return None
    if package == "numpy":
        return f"https://numpy.org/doc/stable/search.html?q={target}"
    module, rest = found
    if rest:  # a re-exported class or function: where it is defined
        module = importlib.import_module(getattr(getattr(module, rest[0]), "__module__", module.__name__))
    name = module.__name__
    page = name.partition(".")[2].replace(".", "/") or "apiref"
    anchor = ".".join([name, *rest]) if rest else f"module-{name}"
    return f"https://radimrehurek.com/gensim/{page}.html#{anchor}"


def _link_external(app, env, node, contnode):
    """A ``:class:``/``:meth:``/... reference to gensim or numpy becomes a link to its page."""
    from docutils import nodes

    if node.get("refdomain") != "py":
        return None
    url = external_url(node.get("reftarget", ""))
    if url is None:
        return None
    link = nodes.reference("", "", internal=False, refuri=url, reftitle=node["reftarget"])
    link += contnode
    return link


# A docstring's "docs/losses.md" (plain or as a literal) links to that page of the site.
_DOC_PATH = re.compile(r"``docs/((?:examples/)?[a-z_]+)\.md``|docs/((?:examples/)?[a-z_]+)\.md")


def _link_doc_pages(app, what, name, obj, options, lines):
    def link(match):
        page = match.group(1) or match.group(2)
        return f":doc:`docs/{page}.md </{page}>`"

    lines[:] = [_DOC_PATH.sub(link, line) for line in lines]

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
    app.connect("autodoc-process-docstring", _link_doc_pages)
    app.connect("missing-reference", _link_external)
    app.connect("env-updated", _check_complete)
