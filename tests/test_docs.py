"""Every ```python block of README.md and docs/**/*.md runs.

The blocks of one file run in order in one fresh namespace (later blocks use
earlier names), with the working directory a temporary one and the checkout's
root on ``sys.path`` (for ``examples/``). A block preceded
by an HTML comment ``<!-- no-test: reason -->`` is left out.
"""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import gensim_losses

ROOT = Path(__file__).resolve().parent.parent
DOC_FILES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])

FENCE = re.compile(r"^```([\w+-]*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
NO_TEST = re.compile(r"<!--\s*no-test:[^>]*-->\s*$")


def python_blocks(path):
    """(line number, source) of each ```python block of `path` not marked no-test."""
    text = path.read_text()
    blocks = []
    for match in FENCE.finditer(text):
        if match.group(1) != "python":
            continue
        if NO_TEST.search(text[: match.start()].rstrip()):
            continue
        line = text.count("\n", 0, match.start()) + 1
        blocks.append((line, match.group(2)))
    return blocks


def test_blocks_are_found():
    found = {p.relative_to(ROOT).as_posix(): len(python_blocks(p)) for p in DOC_FILES}
    assert found["README.md"] >= 1
    assert found["docs/losses.md"] >= 3


def test_no_test_marker_skips_the_next_block(tmp_path):
    doc = tmp_path / "x.md"
    doc.write_text("```python\na = 1\n```\n\n<!-- no-test: shown only -->\n```python\nraise SystemExit\n```\n")
    assert [src for _, src in python_blocks(doc)] == ["a = 1\n"]


@pytest.mark.parametrize("path", DOC_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_doc_blocks_run(path, tmp_path, monkeypatch):
    blocks = python_blocks(path)
    if not blocks:
        pytest.skip("no python blocks")
    pytest.importorskip("matplotlib").use("Agg")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(ROOT))  # docs may import examples/ from the checkout
    monkeypatch.setattr("sys.argv", [str(path)])
    namespace = {"__name__": "__docs__"}
    for line, source in blocks:
        code = compile(source, f"{path.relative_to(ROOT)}:{line}", "exec")
        try:
            exec(code, namespace)
        except SystemExit as exc:  # an example's main() returning 0
            assert not exc.code, f"{path.name} line {line}: exit {exc.code}"


def load_conf():
    spec = importlib.util.spec_from_file_location("gensim_losses_docs_conf", ROOT / "docs" / "conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    return conf


def test_the_site_builds_with_warnings_as_errors(tmp_path):
    """The documentation site, from the docstrings, as the README builds it: any warning fails."""
    out = tmp_path / "html"
    result = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-n", "-q", "-b", "html",
                             str(ROOT / "docs"), str(out), "-d", str(tmp_path / "doctrees")],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-5000:]
    api = (out / "api.html").read_text()
    for name in gensim_losses.__all__:
        if not name.startswith("__"):
            assert f'id="gensim_losses.{name}"' in api, name
    assert (out / "index.html").is_file() and (out / "losses.html").is_file()
    for model in ("Word2Vec", "FastText", "Doc2Vec"):  # what a user calls first is on the page
        for method in ("train", "build_vocab", "evaluate_loss", "save", "to_gensim"):
            assert f'id="gensim_losses.{model}.{method}"' in api, (model, method)
    # as rendered: no power written 2**24 turned into bold text, and every link inside the site resolves
    for page in out.rglob("*.html"):
        html = page.read_text()
        assert not re.search(r"\d<strong>\d", html), page.name
        for target in re.findall(r'href="([^"#:]+\.html)(?:#[^"]*)?"', html):
            assert (page.parent / target).resolve().is_file(), (page.name, target)
    # a docstring's "see docs/losses.md" is a link to that page, and gensim's and numpy's names link to their sites
    assert '<a class="reference internal" href="losses.html"><span class="doc">docs/losses.md</span></a>' in api
    assert "docs/losses.md" not in re.sub(r"<a [^>]*>.*?</a>", "", api)
    assert 'href="https://radimrehurek.com/gensim/models/word2vec.html#gensim.models.word2vec.Word2Vec"' in api
    assert 'href="https://numpy.org/doc/stable/search.html?q=numpy.random.Generator"' in api


def test_an_undocumented_public_name_is_a_gap():
    conf = load_conf()
    everything = {"gensim_losses." + n for n in gensim_losses.__all__}
    gaps = conf.gaps(everything)  # every public member of the classes is missing
    assert "gensim_losses.Word2Vec.to_gensim is public but not in the API reference (docs/api.rst)" in gaps
    assert not any(g.startswith("gensim_losses.Word2Vec ") for g in gaps)
    assert "gensim_losses.LossTracker is public but not in the API reference (docs/api.rst)" in conf.gaps(set())


def readme_command(marker):
    """The README's shell command that contains ``marker``, as written there."""
    text = (ROOT / "README.md").read_text()
    lines = [line for block in re.findall(r"```bash\n(.*?)```", text, re.S) for line in block.splitlines()]
    return next(line for line in lines if marker in line)


def test_the_readmes_docs_command_works_on_a_fresh_clone(tmp_path):
    """The README's docs command exactly, on a clean clone of the last commit, in a new virtual environment:
    ``pip install ".[docs]"`` (not editable: the kernels compile into the environment, not the clone), then
    Sphinx from the clone, whose own uncompiled sources come first on sys.path."""
    command = readme_command("sphinx")
    assert command.startswith('pip install ".[docs]" && python -m sphinx')
    clone, venv = tmp_path / "clone", tmp_path / "venv"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=120)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    env = dict(os.environ, PATH=f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}", VIRTUAL_ENV=str(venv))
    env.pop("PYTHONPATH", None)
    result = subprocess.run(["bash", "-c", command.replace("pip install", "pip install --quiet", 1)], cwd=clone,
                            env=env, capture_output=True, text=True, timeout=1500)
    assert result.returncode == 0, (result.stdout[-3000:], result.stderr[-5000:])
    assert (clone / "docs" / "_build" / "html" / "index.html").is_file()
    assert not list((clone / "gensim_losses").glob("_kernels_*.so"))  # it built the installed package's
