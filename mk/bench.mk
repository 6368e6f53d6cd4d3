# Benchmarks (issue 5): bench/README.md.
#   make bench                 every contender on the small set (BENCH_RECORDS, 200,000 records)
#   make bench FULL=1          the full 2,189,130-record set
#   make bench BENCH_CONTENDERS=limit-cpp,kstream-app-eos BENCH_ARGS="--no-latency"
#   make bench-smoke           a tiny end-to-end run that only checks the counts (also in `make test`)
# Results: bench/results/<stamp>-<records>.{md,json,png} and bench/results/latest.{md,png}.
.PHONY: bench bench-smoke bench-setup bench-list bench-micro

BENCH_FULL_RECORDS := 2189130
BENCH_RECORDS ?= $(if $(FULL),$(BENCH_FULL_RECORDS),200000)
BENCH_CONTENDERS ?= all
BENCH_ARGS ?=
# faust does a few hundred records/s here: on the full set it runs 10 minutes and is rated on what it committed
BENCH_PARTIAL ?= $(if $(FULL),--partial faust=600,)

bench-setup:
	bash scripts/setup.d/50-bench.sh

bench: bench-setup build kafka-start ## benchmarks: limit, kstream-app, Kafka Streams, faust (FULL=1: full set)
	/usr/bin/python3 bench/bench.py --records $(BENCH_RECORDS) --contenders $(BENCH_CONTENDERS) \
	  --build-dir $(BUILD_DIR) $(BENCH_PARTIAL) $(BENCH_ARGS)

bench-smoke: bench-setup build kafka-start ## a tiny bench run: works end to end, counts agree (no timings)
	bash bench/smoke.sh $(BUILD_DIR)

bench-list: ## the bench contenders and whether each can run here
	/usr/bin/python3 bench/bench.py --list --build-dir $(BUILD_DIR)

bench-micro: ## CPU per record of parse + classify + serialize (Google Benchmark)
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD_DIR) --target bench-micro -j$(JOBS)
	$(BUILD_DIR)/bench/micro/bench-micro
