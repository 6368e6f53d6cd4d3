#pragma once

// kstream-stats' actors, spawned and wired to each other (one spawn_* per assembled
// component, as tenzir/vast keeps them):
//
//   consumer (own group, read_committed, commits nothing: every start re-reads the topic
//             from the beginning or from a restored checkpoint, so the table is exact)
//     -> aggregator (one actor for every partition; acks each batch at once)
//          -> stats_board (the latest table) <- HTTP (app/routes.hpp), terminal view,
//                                                 changelog publisher (compacted topic)

#include "actors/aggregator.hpp"
#include "actors/consumer.hpp"
#include "actors/stats_publisher.hpp"
#include "actors/terminal_view.hpp"
#include "core/pipeline_metrics.hpp"
#include "core/ports/changelog_sink.hpp"
#include "core/ports/record_source.hpp"
#include "domain/stay_table.hpp"
#include "wiring/job_pipeline.hpp"
#include "wiring/settings.hpp"

#include <caf/actor_system.hpp>

#include <atomic>
#include <memory>
#include <optional>

namespace kstream {

/// What the view knows about its progress, beside the table.
struct view_status {
  int partitions = 0; // of the input topic, set before the HTTP routes answer
  std::atomic<bool> done{false};
  std::atomic<bool> drained{false}; // --job.drain ended with every partition at its end

  /// Every partition read to an end it had after the start (read_committed: its last stable
  /// offset, so also while a producer keeps a transaction open) and every record before it
  /// counted (none in flight to the aggregator): the table covers the input up to that end.
  bool caught_up(metrics_registry& registry) const;
};

/// What the view's actors, its HTTP routes and main() share; it outlives the actor system.
struct view_shared {
  metrics_registry metrics;
  stats_board board;
  view_status status;
};

/// What the view's actors read from and write to (wiring/stats_clients.hpp in the binary).
struct stats_ports {
  std::shared_ptr<record_source> source;
  std::shared_ptr<changelog_sink> changelog; // null: no changelog
  std::shared_ptr<changelog_sink> state;     // null: no checkpoints
  std::optional<domain::stay_checkpoint> restored;
};

struct stats_pipeline {
  consumer_actor consumer;
  aggregator_actor aggregator;
  stats_publisher_actor publisher; // null without changelog and state topic
  terminal_view_actor view;        // null without the live view
};

/// Spawns the consumer, the aggregator, the publisher (with a changelog or a state topic) and
/// the terminal view (`live_view`), wired as above. The consumer waits for its first
/// poll_atom. `shared` must outlive the actor system.
stats_pipeline spawn_stats_pipeline(caf::actor_system& sys, const stats_settings& settings, stats_ports ports,
                                    view_shared& shared, bool live_view, port_threads threads = port_threads::own);

} // namespace kstream
