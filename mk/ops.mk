# Operating the job (docs/operations.md):
#   make run           the job long-running against the local broker (expedia -> expedia_ext),
#                      /metrics, /healthz, /readyz on http://localhost:8080 ; Ctrl-C stops it
#   make dlq-list      the DLQ grouped by kstream.error.code (scripts/dlq.py; replay: see docs/operations.md)
#   make test-ops      the ops tests (ctest -L ops): alert rules (promtool), chart, DLQ tools,
#                      a real Prometheus scraping a live job
RUN_CONFIG ?= app/caf-application.ini
RUN_ARGS ?=

.PHONY: run setup-run dlq-list test-ops

setup-run: ## install only what `make run` uses (SETUP_PROFILE=run)
	SETUP_PROFILE=run bash scripts/setup.sh

run: build ## the job long-running on the local broker, HTTP on :8080 (Ctrl-C stops it gracefully)
	bash scripts/local-kafka.sh start
	$(BUILD_DIR)/app/kstream-app --config-file=$(RUN_CONFIG) $(RUN_ARGS)

dlq-list: ## the local DLQ (expedia_dlq) grouped by kstream.error.code
	/usr/bin/python3 scripts/dlq.py list --show 2

test-ops: build ## alert rules, chart monitoring, DLQ tools, live Prometheus (ctest -L ops)
	ctest --test-dir $(BUILD_DIR) --output-on-failure -L '^ops$$' $(CTEST_ARGS)
