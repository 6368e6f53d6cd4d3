#!/usr/bin/python3
"""kstream-app benchmarks (issue 5): the limit, the job and its peers on one data set.

For every contender, in turn, on the local broker:
  throughput  read the whole input topic, write its own output topic; wall time from start
              to all output committed, records/s, CPU seconds and peak RSS of the process tree;
              then the output is read back (read_committed) and checked against the manifest:
              total, per-category records and distinct hotels, per-partition counts where the
              contender keeps partitions; with --deep (default for small sets) every record is
              compared field by field with its input and with bench/contract.py.
  latency     a fresh input topic fed at a fixed rate while the contender runs, each record
              carrying its produce time (microseconds since the epoch) in "id"; a read_committed
              consumer of the output measures now - id; p50 / p99.
Writes a markdown report, a JSON file and a PNG chart (gnuplot) to --out.

  bench.py [--records N] [--contenders a,b,...] [--no-latency] [--out DIR] [--smoke]
  bench.py --list                       the contenders and whether each can run here
"""
import sys

from kbench.cli import main  # the package in this script's folder (the first entry of sys.path)

if __name__ == "__main__":
    sys.exit(main(__doc__))
