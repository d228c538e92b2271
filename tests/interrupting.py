"""Ctrl-C on a training driver in a child process, for the engine tests (tests/ray_checks.py, the Dask
tests of tests/test_distributed_engines.py)."""

import signal
import subprocess
import sys
import time


def start(script, *args):
    """Run ``script`` (Python source) in a child process; return it and the words of its first line,
    which it prints once training runs."""
    # a shell ignores SIGINT for what it starts in the background (nohup ... &), and a child inherits that:
    # the driver gets Ctrl-C as it would from a terminal
    driver = subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True,
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    return driver, driver.stdout.readline().split()


def interrupt(driver, after=1.0, timeout=30):
    """SIGINT to ``driver`` ``after`` seconds on; ``{seconds, returncode, keyboard_interrupt}`` once it ends
    (killed if it has not after ``timeout`` seconds)."""
    time.sleep(after)
    sent = time.perf_counter()
    driver.send_signal(signal.SIGINT)
    try:
        _, err = driver.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        driver.kill()
        _, err = driver.communicate()
    return dict(seconds=time.perf_counter() - sent, returncode=driver.returncode,
                keyboard_interrupt="KeyboardInterrupt" in err)
