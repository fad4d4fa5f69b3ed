"""Runs Drain3 (PyPI `drain3`, default configuration) over files of messages.

Usage: drain3_run.py IN_DIR OUT_DIR
Each IN_DIR/<System>.txt holds one message per line (empty = unparsed line); writes
OUT_DIR/<System>.tsv with `cluster_id<TAB>final template` per line, for loghub_eval.
"""
import logging
import os
import sys

from drain3 import TemplateMiner

logging.disable(logging.CRITICAL)


def main():
    in_dir, out_dir = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    for name in sorted(os.listdir(in_dir)):
        if not name.endswith(".txt"):
            continue
        with open(os.path.join(in_dir, name), encoding="utf-8", errors="replace") as handle:
            lines = handle.read().split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        miner = TemplateMiner()
        ids = []
        for line in lines:
            if line == "":
                ids.append(None)
                continue
            ids.append(miner.add_log_message(line)["cluster_id"])
        templates = {c.cluster_id: c.get_template() for c in miner.drain.clusters}
        out = os.path.join(out_dir, name[:-4] + ".tsv")
        with open(out, "w", encoding="utf-8") as handle:
            for cluster in ids:
                if cluster is None:
                    handle.write("\t\n")
                else:
                    handle.write(f"{cluster}\t{templates[cluster]}\n")


if __name__ == "__main__":
    main()
