"""Peak memory of reading a Parquet corpus with ParquetCorpus, against reading the table whole.

A generated session table (``--rows`` rows of 5 to 35 integer item ids,
``--row-group`` rows a row group) is written once; then, each in a fresh
process, (a) ``ParquetCorpus`` iterates it, counting the tokens, and (b)
``pyarrow.parquet.read_table(...).column(...).to_pylist()`` reads it whole,
the way a script without a streaming corpus would. Peak RSS is
``ru_maxrss`` of that process, and a baseline process that only imports
pyarrow and gensim_losses is subtracted::

    python benchmarks/parquet_memory.py --rows 2000000
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

WORKDIR = Path("/tmp/gensim_losses_peers")

CHILD = """
import json, resource, sys
import pyarrow.parquet as pq
import gensim_losses as G
path, how = sys.argv[1], sys.argv[2]
tokens = rows = 0
if how == "stream":
    for row in G.ParquetCorpus(path, "items"):
        rows += 1
        tokens += len(row)
elif how == "whole":
    table = pq.read_table(path).column("items").to_pylist()
    rows, tokens = len(table), sum(len(r) for r in table)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(dict(rows=rows, tokens=tokens, peak_mb=peak)))
"""


def make(rows, row_group):
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = WORKDIR / f"sessions_{rows}_{row_group}.parquet"
    if not path.exists():
        WORKDIR.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng(0)
        lengths = rng.integers(5, 36, rows)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
        values = rng.zipf(1.3, int(offsets[-1])) % 200_000
        items = pa.ListArray.from_arrays(pa.array(offsets), pa.array(values.astype(np.int64)))
        pq.write_table(pa.table({"items": items}), str(path), row_group_size=row_group)
    return path


def measure(path, how):
    # in WORKDIR, not the checkout: its uncompiled sources would shadow a package installed without -e
    proc = subprocess.run([sys.executable, "-c", CHILD, str(path), how], capture_output=True, text=True,
                          check=True, cwd=WORKDIR)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--row-group", type=int, default=65_536)
    args = parser.parse_args(argv)
    sizes = {}
    for rows in (args.rows // 4, args.rows):
        path = make(rows, args.row_group)
        base = measure(path, "none")["peak_mb"]
        stream, whole = measure(path, "stream"), measure(path, "whole")
        sizes[rows] = (path.stat().st_size / 1e6, stream, whole, base)
    print(f"Parquet session tables of 5 to 35 int64 ids a row, {args.row_group} rows a row group; peak RSS above "
          f"a process that only imports (MB)")
    print("| rows | tokens | file MB | imports only (peak MB) | ParquetCorpus, streamed: above that | "
          "read_table().to_pylist(), whole: above that |")
    print("|---|---|---|---|---|---|")
    for rows, (mb, stream, whole, base) in sizes.items():
        assert stream["tokens"] == whole["tokens"]
        print(f"| {rows:,} | {stream['tokens']:,} | {mb:.0f} | {base:.0f} | {stream['peak_mb'] - base:+.0f} | "
              f"{whole['peak_mb'] - base:+.0f} |")


if __name__ == "__main__":
    main()
