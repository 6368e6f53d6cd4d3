// The stats publisher at actor level, on CAF's deterministic test coordinator: the changelog
// gets the table only once it has caught up; checkpoints go to the state sink regardless.
#include "actors/stats_publisher.hpp"

#include <caf/test/dsl.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <utility>
#include <vector>

using namespace kstream;
using domain::stay_category;

namespace {

/// Records what it is given; every value is delivered at once.
class recording_sink : public changelog_sink {
public:
  explicit recording_sink(std::string name) : name_(std::move(name)) {
  }
  bool publish(const std::string& key, const std::string& value, std::string&) override {
    records.emplace_back(key, value);
    return true;
  }
  void poll() override {
  }
  bool flush(std::chrono::milliseconds) override {
    return true;
  }
  std::uint64_t delivered() const override {
    return records.size();
  }
  std::uint64_t failed() const override {
    return 0;
  }
  std::string destination() const override {
    return name_;
  }
  std::vector<std::pair<std::string, std::string>> records;

private:
  std::string name_;
};

std::shared_ptr<const stats_view> view_with(std::uint64_t short_stays, std::shared_ptr<const std::string> checkpoint) {
  auto view = std::make_shared<stats_view>();
  view->table.rows[static_cast<std::size_t>(stay_category::short_stay)].records = short_stays;
  view->checkpoint = std::move(checkpoint);
  return view;
}

struct fixture : test_coordinator_fixture<> {
  stats_board board;
  std::shared_ptr<recording_sink> changelog = std::make_shared<recording_sink>("stats");
  std::shared_ptr<recording_sink> state = std::make_shared<recording_sink>("state");
  std::atomic<bool> caught_up{false};

  stats_publisher_actor spawn_publisher() {
    stats_publisher_settings settings;
    settings.caught_up = [this] { return caught_up.load(); };
    settings.state_sink = state;
    settings.state_key = "expedia_ext";
    auto publisher = sys.spawn(stats_publisher, &board, changelog, settings);
    sched.run();
    return publisher;
  }

  void tick() {
    sched.trigger_timeouts();
    sched.run();
  }
};

} // namespace

TEST_CASE_METHOD(fixture, "no changelog row before the table has caught up, checkpoints meanwhile") {
  auto first = std::make_shared<const std::string>("checkpoint-1");
  board.publish(view_with(10, first)); // a restarted view, part way through its input
  auto publisher = spawn_publisher();
  CHECK(changelog->records.empty());
  REQUIRE(state->records.size() == 1);
  CHECK(state->records[0] == std::pair<std::string, std::string>{"expedia_ext", "checkpoint-1"});
  tick();
  CHECK(state->records.size() == 1); // the same checkpoint is not written twice
  board.publish(view_with(20, std::make_shared<const std::string>("checkpoint-2")));
  tick();
  CHECK(changelog->records.empty());
  CHECK(state->records.size() == 2);
  caught_up = true;
  board.publish(view_with(30, nullptr));
  tick();
  REQUIRE(changelog->records.size() == 1);
  CHECK(changelog->records[0].first == "Short stay");
  CHECK(changelog->records[0].second == R"({"stay_category":"Short stay","records":30,"distinct_hotels":0})");
  // Once caught up it stays so: the table only grows from there.
  caught_up = false;
  board.publish(view_with(31, nullptr));
  tick();
  CHECK(changelog->records.size() == 2);
  caf::anon_send(publisher, stop_atom::value);
  sched.run();
}

TEST_CASE_METHOD(fixture, "a view stopped before it caught up publishes no row, only its last checkpoint") {
  board.publish(view_with(5, nullptr));
  auto publisher = spawn_publisher();
  board.publish(view_with(7, std::make_shared<const std::string>("last")));
  caf::anon_send(publisher, stop_atom::value);
  sched.run();
  CHECK(changelog->records.empty());
  REQUIRE(state->records.size() == 1);
  CHECK(state->records[0].second == "last");
}
