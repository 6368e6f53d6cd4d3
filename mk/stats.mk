# The answer table (records and distinct hotels per stay category of expedia_ext), live:
#   make stats         the live view against the local broker: the table redrawn in place in
#                      the terminal, the page at http://localhost:8090/ (Ctrl-C stops it)
#   make stats-once    read expedia_ext to its end, print the table, exit
#   make ksql-submit   submit ksql/stay_counts.sql to ksqlDB (KSQLDB_URL, default localhost:8088)
#   make ksql-watch    the same, then stream the table's changes
KSQLDB_URL ?= http://localhost:8088
STATS_CONFIG ?= app/kstream-stats.ini
STATS_ARGS ?=

.PHONY: stats stats-once ksql-submit ksql-watch

stats: build ## live per-category table of expedia_ext: terminal + http://localhost:8090/
	bash scripts/local-kafka.sh start
	$(BUILD_DIR)/app/kstream-stats --config-file=$(STATS_CONFIG) $(STATS_ARGS)

stats-once: build ## print the per-category table of expedia_ext once and exit
	bash scripts/local-kafka.sh start
	$(BUILD_DIR)/app/kstream-stats --config-file=$(STATS_CONFIG) --job.drain --http.port=0 --view.terminal="plain" $(STATS_ARGS)

ksql-submit: ## submit ksql/stay_counts.sql to ksqlDB's REST API at KSQLDB_URL (safe to repeat)
	bash scripts/ksql-submit.sh --url $(KSQLDB_URL)

ksql-watch: ## submit, then stream SELECT * FROM stay_counts EMIT CHANGES from KSQLDB_URL
	bash scripts/ksql-submit.sh --url $(KSQLDB_URL) --watch
