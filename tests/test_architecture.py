"""The package's shape, read from its own imports (``ast``, every import including those inside
functions): one folder per layer, each importing only from itself and the layers below, no import
cycle between modules, nothing inside importing the package's facade (``gensim_losses/__init__.py``).
docs/architecture.md describes the layers."""

import ast
import textwrap
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "gensim_losses"
#: bottom to top; a module may import from its own layer and those before it
LAYERS = ["text", "kernels", "losses", "training", "models", "callbacks", "distributed", "tools"]
#: the facade: the public names, ``python -m gensim_losses`` and the finder of release 0.1.0's paths
TOP = {"gensim_losses", "gensim_losses.__main__", "gensim_losses._moved"}


def modules(root):
    """``{dotted name: path or None}`` of a package's Python modules and its Cython extensions (None)."""
    found = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    for path in root.rglob("*.pyx"):
        found[".".join(path.relative_to(root.parent).with_suffix("").parts)] = None
    return found


def imports(root):
    """``{module: {module it imports}}`` among a package's own modules. ``from p import x`` counts as
    an import of ``p.x`` where that is a module, else of ``p``."""
    found = modules(root)
    graph = {}
    for name, path in found.items():
        graph[name] = set()
        if path is None:
            continue
        here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(here[:len(here) - node.level + 1] + ([base] if base else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in found else base for a in node.names]
            else:
                continue
            for target in targets:
                parts = target.split(".")
                prefixes = (".".join(parts[:k]) for k in range(len(parts), 0, -1))
                owner = next((p for p in prefixes if p in found), None)
                if owner is not None and owner != name:
                    graph[name].add(owner)
    return graph


def cycles(graph):
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index, low, on_stack, stack, out, counter = {}, {}, set(), [], [], 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    out.append(sorted(component))
    return out


def layer_of(name):
    if name in TOP:
        return len(LAYERS)
    folder = name.split(".")[1]
    return LAYERS.index(folder) if folder in LAYERS else None


def test_no_import_cycles():
    assert cycles(imports(PACKAGE)) == []


def test_every_module_sits_in_a_layer_folder():
    assert {name for name in modules(PACKAGE) if layer_of(name) is None} == set()
    assert sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__") == sorted(LAYERS)


def test_each_layer_imports_only_from_itself_and_the_layers_below():
    upward = [f"{a} (layer {LAYERS[layer_of(a)] if layer_of(a) < len(LAYERS) else 'top'}) imports {b}"
              for a, targets in imports(PACKAGE).items() for b in targets if layer_of(b) > layer_of(a)]
    assert upward == []


def test_nothing_inside_imports_the_facade():
    """``from gensim_losses import Word2Vec`` inside the package would run the whole facade from a
    lower layer: code inside imports from the module that defines the name."""
    assert sorted(a for a, targets in imports(PACKAGE).items() if "gensim_losses" in targets and a not in TOP) \
        == []


@pytest.fixture
def tangled(tmp_path):
    """A package with the two kinds of cycle the package once had: a module-level one (a <-> b) and
    one closed by an import inside a function (c -> d -> e -> c), and a relative import."""
    root = tmp_path / "pkg"
    (root / "sub").mkdir(parents=True)
    files = {
        "__init__.py": "",
        "a.py": "from pkg.b import thing\n",
        "b.py": "from pkg import a\nthing = 1\n",
        "sub/__init__.py": "",
        "sub/c.py": "from . import d\n",
        "sub/d.py": "import pkg.sub.e\n",
        "sub/e.py": "def late():\n    from pkg.sub.c import x\n    return x\n",
        "f.py": "import os\nfrom pkg.a import thing\n",
    }
    for name, text in files.items():
        (root / name).write_text(textwrap.dedent(text))
    return root


def test_the_checker_finds_cycles_through_function_local_and_relative_imports(tangled):
    graph = imports(tangled)
    assert graph["pkg.sub.c"] == {"pkg.sub.d"} and graph["pkg.sub.e"] == {"pkg.sub.c"}
    assert sorted(cycles(graph)) == [["pkg.a", "pkg.b"], ["pkg.sub.c", "pkg.sub.d", "pkg.sub.e"]]
    assert graph["pkg.f"] == {"pkg.a"}  # os is not the package's
