"""Run gensim's own test modules against our model classes.

Our classes replace gensim's training internals, so gensim's tests are the
reference for "still behaves like gensim". :func:`load` executes a private
copy of a gensim test module and points the module globals through which its
tests reach the model class at our class: either the class itself
(``FT_gensim``) or a copy of the model's gensim module whose class is ours
(``word2vec.Word2Vec``, ``doc2vec.Doc2Vec``).

The real gensim modules and classes are left alone: gensim's methods resolve
``super(Word2Vec, self)`` through them, and rebinding them to our subclasses
makes ``save`` recurse forever. The stock test modules in sys.modules are
left alone too, for anyone else importing them.

Not routed, so these run stock gensim code whatever we do: tests that load
Facebook binaries (``load_facebook_model`` builds stock instances) and those
that run gensim's scripts in a subprocess. Tests that load old pickles do
reach our classes: our ``load`` gives a stock model as ours.
"""

import importlib.util
import inspect
import types
import unittest

import pytest


def ours(module, **classes):
    """A copy of gensim module ``module``'s namespace with ``classes`` replaced."""
    copy = types.ModuleType(module.__name__, module.__doc__)
    copy.__dict__.update(vars(module))
    copy.__dict__.update(classes)
    return copy


def load(test_module, **globals_):
    """A private copy of gensim's ``test_module`` with ``globals_`` set in it."""
    spec = importlib.util.spec_from_file_location(
        "_gensim_losses_" + test_module.replace(".", "_"), importlib.util.find_spec(test_module).origin)
    suite = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(suite)
    vars(suite).update(globals_)  # looked up at call time by every test
    return suite


def suite_tests(suite):
    """The suite's own TestCase classes and test functions (not those it imports), for a test
    module to collect: gensim's tests are statistical where they call ``model_sanity`` (with
    workers > 1 the result depends on thread timing, stock gensim's too), so those may run up
    to three times; every other test must pass at once."""
    found = {}
    for name, obj in vars(suite).items():
        if getattr(obj, "__module__", None) != suite.__name__:
            continue
        if inspect.isclass(obj) and issubclass(obj, unittest.TestCase):
            for attr, method in list(vars(obj).items()):
                if attr.startswith("test") and "model_sanity(" in inspect.getsource(method):
                    pytest.mark.flaky(reruns=2)(method)
            found[name] = obj
        elif name.startswith("test") and inspect.isfunction(obj):
            found[name] = obj
    return found


def expect_refusal(suite, tests, reason, raises):
    """Mark ``tests`` (``"Class.method"``) as strict expected failures raising ``raises``."""
    for path in tests:
        cls, method = path.split(".")
        owner = getattr(suite, cls)
        mark = pytest.mark.xfail(strict=True, raises=raises, reason=reason)
        setattr(owner, method, mark(getattr(owner, method)))


@pytest.fixture(autouse=True)
def in_tmp_dir(tmp_path, monkeypatch):
    """gensim's suites write files (vec.txt, saved models) into the working directory:
    give each test a fresh one. Imported by each suite's module, where it applies."""
    monkeypatch.chdir(tmp_path)
