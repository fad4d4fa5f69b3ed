"""Times Drain3 (PyPI `drain3`, default configuration) on the first N lines of a file.

Usage: drain3_bench.py PATH N  -> prints `RESULT drain3 lines seconds lines_per_s clusters`.
"""
import logging
import sys
import time

from drain3 import TemplateMiner

logging.disable(logging.CRITICAL)


def main():
    path, limit = sys.argv[1], int(sys.argv[2])
    with open(path, encoding="utf-8", errors="replace") as handle:
        lines = [line.rstrip("\n") for _, line in zip(range(limit), handle)]
    miner = TemplateMiner()
    started = time.perf_counter()
    for line in lines:
        miner.add_log_message(line)
    seconds = time.perf_counter() - started
    print(f"RESULT drain3 {len(lines)} {seconds:.3f} {len(lines) / seconds:.0f} {len(miner.drain.clusters)}")


if __name__ == "__main__":
    main()
