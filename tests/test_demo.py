"""``gensim-losses demo``: every figure it prints is above chance, and it draws its PNG."""

import contextlib
import io
import sys

import pytest

from gensim_losses.tools import demo
from gensim_losses.tools.cli import main


def results_table(stdout):
    """``{model label: [type_share@10, booking_hit@10]}`` and the chance row, from the demo's table."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("model ") and "booking_hit@10" in line)
    rows = {}
    for line in lines[start + 1:]:
        if not line.strip() or line.startswith(("type_share", "booking_hit")):
            break
        label = line.split()[0]
        figures = line[len(label):].split()
        rows[label] = [float(x) for x in (figures[-3:-1] if label != "chance" else figures[-2:])]
    return rows


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    """The demo exactly as the README runs it (default options), once for the module."""
    png = tmp_path_factory.mktemp("demo") / "demo.png"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["demo", "--png", str(png)])
    return code, out.getvalue(), png


def test_every_figure_is_above_chance(default_run):
    code, stdout, png = default_run
    assert code == 0, stdout
    rows = results_table(stdout)
    assert set(rows) == {"stock", "ours", "ours+custom", "chance"}
    chance = rows.pop("chance")
    for label, figures in rows.items():
        for value, floor in zip(figures, chance):
            assert value > 2 * floor, (label, figures, chance)


def test_the_custom_losses_move_the_metrics(default_run):
    rows = results_table(default_run[1])
    # in-group negatives pull each market's types apart: far above plain NS (0.33 against 0.93 measured)
    assert rows["ours+custom"][0] > rows["ours"][0] + 0.3
    # the booked listing as global context: more booked listings near the last click
    assert rows["ours+custom"][1] > rows["ours"][1] + 0.02
    # our plain NS is the same objective as stock's: same level
    assert rows["ours"][0] == pytest.approx(rows["stock"][0], abs=0.1)


def test_it_shows_the_loss_of_every_term(default_run):
    stdout = default_run[1]
    header = next(line for line in stdout.splitlines() if line.startswith("epoch "))
    for column in ("stock total", "ours loss/ex", "ours+custom: ns", "ours+custom: group_negative",
                   "ours+custom: global_context", "ours held-out/ex", "ours+custom held-out/ex"):
        assert column in header
    assert "stock held-out/ex" not in header  # a held-out loss needs our kernels


def test_the_held_out_loss_is_beside_the_training_loss(default_run):
    lines = default_run[1].splitlines()
    header = next(line for line in lines if line.startswith("epoch "))
    columns = header.split("  ")
    columns = [c.strip() for c in columns if c.strip()]
    rows = [line.split() for line in lines[lines.index(header) + 1:] if line[:1].isdigit()][:5]
    train, held = columns.index("ours loss/ex"), columns.index("ours held-out/ex")
    values = [(float(r[train]), float(r[held])) for r in rows]
    assert len(values) == 5
    # the held-out sessions come from the same marketplace: their loss is near the training loss and falls too
    assert all(abs(h - t) < 0.5 * t for t, h in values)
    assert values[-1][1] < values[0][1]


def test_it_ends_saying_what_the_figures_show(default_run):
    stdout = default_run[1]
    rows = results_table(stdout)
    line = next(line for line in stdout.splitlines() if line.startswith("What it shows:"))
    assert f"booking_hit@10 from {rows['ours'][1]:.3f} to {rows['ours+custom'][1]:.3f}" in line


def test_the_last_line_names_the_png(default_run):
    pytest.importorskip("matplotlib")
    _, stdout, png = default_run
    assert stdout.splitlines()[-1].startswith(f"wrote {png}")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000


def test_without_matplotlib_it_says_so_in_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib... raises ImportError
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    png = tmp_path / "demo.png"
    assert main(["demo", "--sessions", "3000", "--epochs", "1", "--workers", "1", "--png", str(png)]) == 0
    stdout = capsys.readouterr().out
    assert stdout.splitlines()[-1] == demo.PLOT_HINT
    assert not png.exists() and not list(tmp_path.iterdir())  # no temporary file left behind
    assert "booking_hit@10" in stdout


def test_an_unwritable_png_fails_before_training(tmp_path, capsys):
    code = main(["demo", "--png", str(tmp_path / "missing" / "demo.png")])
    err = capsys.readouterr().err
    assert code == 2 and "--png" in err and "does not exist" in err
