#pragma once

// What the actor tests share: a collector for the stage after the one under test, and the
// test coordinator fixture with a way to run a consumer that re-schedules itself.

#include "domain/record_size_budget.hpp"
#include "messages/interfaces.hpp"

#include <caf/test/dsl.hpp>

#include <memory>
#include <vector>

namespace kstream::testing {

/// An output budget every test record fits (no limit known).
inline constexpr domain::record_size_budget unlimited_output{};

/// Collects what reaches the end of a pipeline, in arrival order.
template <class Batch>
struct collected {
  std::vector<Batch> batches;
};

/// A stand-in for the stage after the one under test: records every batch it receives.
template <class Handle, class Batch>
typename Handle::behavior_type collector(typename Handle::pointer, std::shared_ptr<collected<Batch>> sink) {
  return {
    [=](Batch& batch) { sink->batches.push_back(std::move(batch)); },
  };
}

struct actor_fixture : test_coordinator_fixture<> {
  /// Runs `rounds` polls of the consumer, letting every other actor run until idle in
  /// between. The consumer re-schedules itself after every poll, so an unbounded run()
  /// would never return, and a plain bounded one can starve the other actors.
  void run_steps(std::size_t rounds) {
    auto not_consumer = [](caf::resumable* job) {
      auto actor = dynamic_cast<caf::local_actor*>(job);
      return actor == nullptr || std::string{actor->name()} != "consumer";
    };
    for (std::size_t i = 0; i < rounds; ++i) {
      sched.run_jobs_filtered(not_consumer);
      if (!sched.try_run_once())
        return;
    }
    sched.run_jobs_filtered(not_consumer);
  }
};

} // namespace kstream::testing
