"""Python reference for `./scripts/bench ingest`: the same files parsed line by line in
plain CPython, the way a quick script would do it: `json.loads` per JSON line, one compiled
regular expression per line for the other formats (logfmt pairs with `findall`), lines
joined into records for the Java log. No sniffing and no redaction: the reference does less
work than the Rust side. Prints one tab-separated line: records, CPU seconds, MB/s and
lines/s per CPU second, peak RSS bytes."""

import json
import re
import resource
import sys
import time

SYSLOG = re.compile(rb"^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (-|\[.*?\]) ?(.*)$")
ACCESS = re.compile(
    rb'^(\S+) \S+ (\S+) \[([^\]]+)\] "([^"]*)" (\d{3}) (\S+) "([^"]*)" "([^"]*)"$'
)
JAVA = re.compile(
    rb"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}) (\w+) +\[([^\]]+)\] (\S+): (.*)$"
)
LOGFMT = re.compile(rb'(\w+)=("(?:[^"\\]|\\.)*"|\S*)')


def parse(kind, handle):
    records = lines = 0
    if kind == "json":
        for line in handle:
            lines += 1
            try:
                json.loads(line)
                records += 1
            except ValueError:
                pass
    elif kind == "logfmt":
        for line in handle:
            lines += 1
            if LOGFMT.findall(line):
                records += 1
    elif kind == "java":
        for line in handle:
            lines += 1
            # A header starts a record; anything else continues the previous one.
            if JAVA.match(line):
                records += 1
    else:
        pattern = SYSLOG if kind == "syslog" else ACCESS
        for line in handle:
            lines += 1
            if pattern.match(line):
                records += 1
    return records, lines


def main():
    kind, path = sys.argv[1], sys.argv[2]
    start = time.process_time()
    with open(path, "rb", buffering=1 << 20) as handle:
        records, lines = parse(kind, handle)
        size = handle.tell()
    cpu = time.process_time() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"{records}\t{lines}\t{cpu:.3f}\t{size / 1e6 / cpu:.1f}\t{lines / cpu:.0f}\t{peak}")


if __name__ == "__main__":
    main()
