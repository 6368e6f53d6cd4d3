# Data in (issue 6): the Expedia data set generator, Azurite, the Kafka Connect worker and the
# blob source connector. README section "Data in".
#   make generate              the data set (DATA_RECORDS, DATA_SEED) into the cache, with its manifest
#   make load-data             generate, upload to Azurite with az, Connect + connector, wait for all records
#   make azurite-start|azurite-stop, connect-start|connect-stop|connect-status
# Size: DATA_RECORDS defaults to a 200,000-record set with the real proportions; FULL=1 makes it the
# real size (2,189,130 records, the published table). scripts/demo.sh reads DATA_RECORDS and
# DATA_SEED from the environment (exported here) and passes them to scripts/load-expedia.sh.
.PHONY: generate load-data azurite-start azurite-stop connect-start connect-stop connect-status

DATA_FULL_RECORDS := 2189130
DATA_RECORDS ?= $(if $(filter 1 yes true,$(FULL)),$(DATA_FULL_RECORDS),200000)
DATA_SEED ?= 42
DATA_TOPIC ?= expedia
export DATA_RECORDS DATA_SEED

generate: ## write the Expedia data set (DATA_RECORDS, FULL=1: real size) into the cache
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD_DIR) --target kstream-datagen -j$(JOBS)
	$(BUILD_DIR)/tools/kstream-datagen --records $(DATA_RECORDS) --seed $(DATA_SEED)

load-data: ## data set -> Azurite (az) -> Kafka Connect -> topic DATA_TOPIC; prints the manifest path
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD_DIR) --target kstream-datagen -j$(JOBS)
	KSTREAM_DATAGEN=$(BUILD_DIR)/tools/kstream-datagen bash scripts/load-expedia.sh \
	  --records $(DATA_RECORDS) --seed $(DATA_SEED) --topic $(DATA_TOPIC) $(DATA_LOAD_ARGS)

azurite-start: ## start the local Azurite blob service on 127.0.0.1:10000
	bash scripts/local-azurite.sh start

azurite-stop:
	bash scripts/local-azurite.sh stop

connect-start: kafka-start ## start the local Kafka Connect worker on 127.0.0.1:8083
	bash scripts/local-connect.sh start

connect-stop:
	bash scripts/local-connect.sh stop

connect-status:
	bash scripts/local-connect.sh status
