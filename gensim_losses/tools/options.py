"""What the commands check in what they are asked, before any work: argparse types and the paths
to read and write. A problem is a :class:`CLIError`: one line, exit code 2."""

import argparse
import math
import os
import stat
import tempfile
from pathlib import Path

from gensim_losses.training.settings import C_INT_MAX


class CLIError(Exception):
    """A problem with what the user asked for: reported in one line, exit code 2."""


def _int_option(lowest=1, highest=C_INT_MAX):
    """An argparse type: an integer in ``[lowest, highest]`` (``highest`` None: no bound)."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < lowest:
            raise argparse.ArgumentTypeError(f"must be at least {lowest}, got {value}")
        if highest is not None and value > highest:
            raise argparse.ArgumentTypeError(f"must be at most {highest}, got {value}")
        return value
    return parse


_positive_int = _int_option(1)


def _learning_rate(text):
    """An argparse type: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"the learning rate must be a finite number > 0 (gensim's default is "
                                         f"0.025), got {text}")
    return value


def _unreachable(path):
    """Why ``path`` cannot be reached: the first directory on it that cannot be searched, or None."""
    for parent in reversed(Path(path).parents):
        if parent.is_dir() and not os.access(parent, os.X_OK):
            return f"permission denied on directory {parent}"
    return None


def check_readable_file(path, what=""):
    """Fail with what is really wrong unless ``path`` is a readable, non-empty file."""
    what = f"{what} " if what else ""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise CLIError(f"{what}{path}: no such file") from None
    except PermissionError:
        raise CLIError(f"{what}{path}: {_unreachable(path) or 'permission denied'}") from None
    except OSError as exc:
        raise CLIError(f"{what}{path}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise CLIError(f"{what}{path}: is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise CLIError(f"{what}{path}: not a regular file")
    if not os.access(path, os.R_OK):
        raise CLIError(f"{what}{path}: not readable (permission denied)")
    if info.st_size == 0:
        raise CLIError(f"{what}{path}: the file is empty")


def check_writable(path, option):
    """Fail now, before training, if ``path`` cannot be written later."""
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    try:
        if target.is_dir():
            raise CLIError(f"{option} {path}: is a directory")
        if not parent.is_dir():
            raise CLIError(f"{option} {path}: directory {parent} does not exist")
    except PermissionError:
        raise CLIError(f"{option} {path}: {_unreachable(target) or 'permission denied'}") from None
    if not os.access(parent, os.W_OK | os.X_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise CLIError(f"{option} {path}: not writable")
    problem = cannot_create_in(parent)
    if problem:
        raise CLIError(f"{option} {path}: not writable ({problem})")


def cannot_create_in(directory):
    """Why no file can be made in ``directory``, found by making one (and removing it), or None.

    ``os.access`` says yes to root on a directory without write permission, and
    on file systems that refuse new files anyway (sysfs, some network mounts):
    the outputs are written to a temporary file beside the target, so that is
    what is tried."""
    try:
        fd, probe = tempfile.mkstemp(dir=directory, prefix=".gensim-losses-probe-")
    except OSError as exc:
        return exc.strerror or str(exc)
    os.close(fd)
    os.unlink(probe)
    return None


def writable_directory(path, option):
    """``path`` as a directory files can be made in (created, with its parents, if missing); else CLIError."""
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise CLIError(f"{option} {path}: not a directory") from None
    except OSError as exc:
        raise CLIError(f"{option} {path}: cannot create it ({exc.strerror or exc})") from None
    problem = cannot_create_in(path)
    if problem:
        raise CLIError(f"{option} {path}: not writable ({problem})")
    return Path(path)
