#pragma once

// The stream job's actors, spawned and wired to each other (one spawn_* per assembled
// component, as tenzir/vast keeps them):
//
//   consumer (reads through a record_source)
//     -> per partition, spawned on assignment: parser -> classifier
//     -> producer (writes through a record_sink, owns the transactions)
//     -> credit back to the consumer; rewinds of failed partitions too
//
// app/main.cpp passes the Kafka ports (wiring/job_clients.hpp); the actor tests pass
// in-memory ones, so that they run the hooks the job runs.

#include "actors/consumer.hpp"
#include "actors/producer.hpp"
#include "actors/progress_reporter.hpp"
#include "core/pipeline_metrics.hpp"
#include "core/ports/record_sink.hpp"
#include "core/ports/record_source.hpp"
#include "domain/record_size_budget.hpp"
#include "wiring/settings.hpp"

#include <caf/actor_system.hpp>

#include <cstddef>
#include <memory>

namespace kstream {

/// What the job's actors read from and write to.
struct job_ports {
  std::shared_ptr<record_source> source;
  std::shared_ptr<record_sink> sink;
  /// What the output topic takes (job_clients::output_budget).
  domain::record_size_budget output_budget;
};

/// Where the actors that own a port run: on threads of their own in the binaries (the ports
/// block), on the actor system's scheduler in the actor tests (CAF's test coordinator).
enum class port_threads { own, scheduler };

/// The job's long-lived actors; the per-partition stages come and go with the assignment.
struct job_pipeline {
  consumer_actor consumer;
  producer_actor producer;
  progress_reporter_actor progress; // null when log.progress-interval-ms is 0
};

/// Spawns the consumer, the producer and the progress reporter, wired as above. The consumer
/// waits for its first poll_atom, so that the caller can watch the actors first. `metrics`
/// must outlive the actor system.
job_pipeline spawn_job_pipeline(caf::actor_system& sys, const job_settings& settings, job_ports ports,
                                metrics_registry& metrics, port_threads threads = port_threads::own);

} // namespace kstream
