#pragma once

// The stream job's Kafka clients, set up from its settings and checked against the brokers
// before any actor runs: the topics' partition counts and size limits read, the producer's
// limits set from them, the transactions initialised.

#include "adapters/kafka_broker_watch.hpp"
#include "adapters/kafka_record_sink.hpp"
#include "adapters/kafka_record_source.hpp"
#include "core/pipeline_metrics.hpp"
#include "domain/record_size_budget.hpp"
#include "wiring/settings.hpp"

#include <caf/expected.hpp>

#include <cstddef>
#include <memory>

namespace kstream {

/// The job's clients, connected.
struct job_clients {
  std::shared_ptr<kafka_record_source> source;
  std::shared_ptr<kafka_record_sink> sink;
  std::shared_ptr<kafka_broker_watch> watch; // for /readyz
  domain::record_size_budget output_budget;  // what the classifier lets through to the output topic
};

/// Connects the job's consumer and producer; the error names the option, topic or broker (a
/// job_error::invalid_option for a refused property: exit code 2).
caf::expected<job_clients> connect_job_clients(const job_settings& settings, metrics_registry& metrics);

} // namespace kstream
