"""Plain text files cut into line-aligned byte ranges, one per thread or replica.

``corpus_file`` training gives each thread its own range of the file, the
vocabulary scan counts ranges in parallel, and a distributed run deals
ranges out to replicas: a range always starts at a line start, so no line is
read twice or cut in two.
"""

import os


def line_ranges(path, parts):
    """Split a file into ``parts`` byte ranges that each start at a line start."""
    size = os.path.getsize(path)
    bounds = [0]
    with open(path, "rb") as fh:
        for i in range(1, parts):
            nominal = size * i // parts
            if nominal <= bounds[-1]:
                bounds.append(bounds[-1])
                continue
            fh.seek(nominal - 1)
            fh.readline()  # finish the line that straddles the cut
            bounds.append(max(fh.tell(), bounds[-1]))
    bounds.append(size)
    return list(zip(bounds[:-1], bounds[1:]))


def first_lines(path, ranges):
    """The number of the first line of each byte range (lines counted from 0), and the
    number of lines in the file (a last line without a newline counts, as the reader reads it)."""
    numbers, count, pos = [], 0, 0
    with open(path, "rb") as fh:
        for start, _ in ranges:
            while pos < start:
                chunk = fh.read(min(1 << 20, start - pos))
                count += chunk.count(b"\n")
                pos += len(chunk)
            numbers.append(count)
        while chunk := fh.read(1 << 20):
            count += chunk.count(b"\n")
            pos += len(chunk)
        if pos:
            fh.seek(pos - 1)
            count += fh.read(1) != b"\n"
    return numbers, count
