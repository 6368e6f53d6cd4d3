# kstream-app: the two front-door commands are `make demo` and `make test`.
# Areas of the project add their own targets in mk/*.mk (data in, deploy, bench, ...);
# `make test` runs every test through ctest, so one runner reports everything.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
JOBS ?= 2
BUILD_DIR ?= build
ASAN_BUILD_DIR ?= build-asan
TSAN_BUILD_DIR ?= build-tsan
FUZZ_BUILD_DIR ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_CXX ?= clang++-14
# ThreadSanitizer: a report fails the test. Suppressions (none needed so far) may only cover
# CAF's or librdkafka's own internals, each justified in the file.
TSAN_RUN_OPTIONS := halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan/suppressions.txt
CTEST_ARGS ?=

.PHONY: all setup setup-demo build build-demo build-asan build-tsan build-fuzz test test-unit test-asan test-tsan test-faults fuzz demo \
        kafka-start kafka-stop clean help

all: build

help:
	@echo "make demo   - set up, start local Kafka, load sample data, run the job, print the table"
	@echo "make test   - set up, build (normal + ASan/UBSan), run every test through ctest"
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t- /' | sort

setup: ## install every dependency (Debian packages, Maven jars, Go tools, npm)
	bash scripts/setup.sh

setup-demo: ## install only what `make demo` uses (scripts/setup.sh, SETUP_PROFILE=demo)
	SETUP_PROFILE=demo bash scripts/setup.sh

build: ## release build (RelWithDebInfo) in build/
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD_DIR) -j$(JOBS)

build-asan: ## ASan+UBSan build in build-asan/
	cmake -S . -B $(ASAN_BUILD_DIR) -DCMAKE_BUILD_TYPE=Debug -DKSTREAM_SANITIZE=ON >/dev/null
	cmake --build $(ASAN_BUILD_DIR) -j$(JOBS)

build-tsan: ## ThreadSanitizer build in build-tsan/ (the unit and actor tests run under it)
	cmake -S . -B $(TSAN_BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKSTREAM_TSAN=ON >/dev/null
	cmake --build $(TSAN_BUILD_DIR) --target kstream-unit-tests kstream-stats-tests kstream-datagen -j$(JOBS)

build-fuzz: ## the libFuzzer target (clang) in build-fuzz/
	cmake -S tests/fuzz -B $(FUZZ_BUILD_DIR) -DKSTREAM_FUZZ=ON -DCMAKE_CXX_COMPILER=$(FUZZ_CXX) \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(FUZZ_BUILD_DIR) -j$(JOBS)

fuzz: build-fuzz ## fuzz the JSON reader + enrichment for FUZZ_SECONDS (60) against boost::json::parse
	bash tests/fuzz/run.sh $(FUZZ_BUILD_DIR)/kstream-fuzz-json $(FUZZ_SECONDS)

test-asan: build-asan ## the unit, actor and integration tests under ASan+UBSan
	ctest --test-dir $(ASAN_BUILD_DIR) --output-on-failure -L '^(unit|integration)$$' $(CTEST_ARGS)

test-tsan: build-tsan ## the unit and actor tests under ThreadSanitizer
	TSAN_OPTIONS="$(TSAN_RUN_OPTIONS)" ctest --test-dir $(TSAN_BUILD_DIR) --output-on-failure -L unit $(CTEST_ARGS)

test-faults: build ## fault tests on a broker of their own (127.0.0.1:19092): kill -9, outages, zombies, hostile input
	ctest --test-dir $(BUILD_DIR) --output-on-failure -L faults $(CTEST_ARGS)

# The ASan+UBSan build runs the broker-free tests and the stream job's integration tests;
# the TSan build the broker-free tests; the release build runs everything, every area's
# tests against the local broker included (the fuzzer's 60 s run and the fault tests too).
test: setup build build-asan build-tsan build-fuzz ## everything: unit, actor, integration, fuzz, faults, data, deploy
	$(MAKE) --no-print-directory test-asan
	TSAN_OPTIONS="$(TSAN_RUN_OPTIONS)" ctest --test-dir $(TSAN_BUILD_DIR) --output-on-failure -L unit $(CTEST_ARGS)
	ctest --test-dir $(BUILD_DIR) --output-on-failure $(CTEST_ARGS)

test-quick: build ## every test not labelled long (minutes: no faults, image, k8s, fuzz, data loads, security broker)
	ctest --test-dir $(BUILD_DIR) --output-on-failure -LE long $(CTEST_ARGS)

test-unit: build ## broker-free tests only (fast)
	ctest --test-dir $(BUILD_DIR) --output-on-failure -L unit $(CTEST_ARGS)

build-demo: ## only the three programs `make demo` runs (kstream-app, kstream-stats, kstream-datagen)
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD_DIR) -j$(JOBS) --target kstream-app kstream-stats kstream-datagen

demo: setup-demo build-demo ## the whole job end to end on local Kafka, ending with the per-category table
	bash scripts/demo.sh

.PHONY: format
format: ## rewrite the C++ sources in .clang-format's style (clang-format-14; ctest unit.format checks it)
	bash tools/check_format.sh --fix

kafka-start: ## start the local single-node Kafka on 127.0.0.1:9092
	bash scripts/local-kafka.sh start

kafka-stop:
	bash scripts/local-kafka.sh stop

clean:
	rm -rf $(BUILD_DIR) $(ASAN_BUILD_DIR) $(TSAN_BUILD_DIR) $(FUZZ_BUILD_DIR)

-include $(sort $(wildcard mk/*.mk))
