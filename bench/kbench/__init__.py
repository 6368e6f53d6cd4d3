"""The benchmark harness behind bench/bench.py, bench/latency_sweep.py, bench/scale.py,
bench/throttle.py and bench/timeline.py, one concern per module:

  common      where things are (the bench folder, the cache), the log line, a run's stamp
  contenders  who is measured: each contender's command line, settings and availability
  kafka_io    topics, offsets and reading a topic back
  processes   starting and stopping a contender, metering its process tree (CPU, RSS)
  data        the input topic and its manifest (loaded once, reused)
  checks      a contender's output against the manifest and the contract oracle
  runs        throughput and latency runs, repeated runs combined into one row
  reports     the markdown report, its JSON and the chart
  cli         bench.py's command line
  pipeline    the whole pipeline's stages (bench/pipeline.py): upload, Connect, the job, the table
  answer      time to the final table: kstream-stats against the Kafka Streams topology (bench/answer.py)

The entry scripts live in bench/ and import it as `kbench` (their folder is on sys.path),
as they import bench/contract.py. The tests' shared modules (tests/lib: stay_rules,
kafka_testlib) come from PYTHONPATH, which the make targets and bench/smoke.sh set.
"""
import importlib.util

if importlib.util.find_spec("stay_rules") is None:
    raise SystemExit("bench: the tests' shared modules are not importable: run the bench scripts with "
                     "PYTHONPATH=<repository>/tests/lib (make bench and its siblings set it)")
