# kstream-app: the two front-door commands are `make demo` and `make test`.
# Areas of the project add their own targets in mk/*.mk (data in, deploy, bench, ...);
# `make test` runs every test through ctest, so one runner reports everything.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
JOBS ?= 2
BUILD_DIR ?= build
ASAN_BUILD_DIR ?= build-asan
CTEST_ARGS ?=

.PHONY: all setup build build-asan test test-unit test-asan demo kafka-start kafka-stop clean help

all: build

help:
	@echo "make demo   - set up, start local Kafka, load sample data, run the job, print the table"
	@echo "make test   - set up, build (normal + ASan/UBSan), run every test through ctest"
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t- /' | sort

setup: ## install every dependency (Debian packages, Maven jars, Go tools, npm)
	bash scripts/setup.sh

build: ## release build (RelWithDebInfo) in build/
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD_DIR) -j$(JOBS)

build-asan: ## ASan+UBSan build in build-asan/
	cmake -S . -B $(ASAN_BUILD_DIR) -DCMAKE_BUILD_TYPE=Debug -DKSTREAM_SANITIZE=ON >/dev/null
	cmake --build $(ASAN_BUILD_DIR) -j$(JOBS)

# The ASan+UBSan build runs the broker-free tests and the stream job's integration tests;
# the release build runs everything, every area's tests against the local broker included.
test: setup build build-asan ## everything: unit, actor, integration, data, deploy validation
	ctest --test-dir $(ASAN_BUILD_DIR) --output-on-failure -L '^(unit|integration)$$' $(CTEST_ARGS)
	ctest --test-dir $(BUILD_DIR) --output-on-failure $(CTEST_ARGS)

test-unit: build ## broker-free tests only (fast)
	ctest --test-dir $(BUILD_DIR) --output-on-failure -L unit $(CTEST_ARGS)

demo: setup build ## the whole job end to end on local Kafka, ending with the per-category table
	bash scripts/demo.sh

kafka-start: ## start the local single-node Kafka on 127.0.0.1:9092
	bash scripts/local-kafka.sh start

kafka-stop:
	bash scripts/local-kafka.sh stop

clean:
	rm -rf $(BUILD_DIR) $(ASAN_BUILD_DIR)

-include $(sort $(wildcard mk/*.mk))
