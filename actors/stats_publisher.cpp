#include "actors/stats_publisher.hpp"

#include "messages/control.hpp"

#include <spdlog/spdlog.h>

namespace kstream {

void stats_publisher_resources::dr_cb(RdKafka::Message& message) {
  if (message.err() == RdKafka::ERR_NO_ERROR) {
    delivered.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  failed.fetch_add(1, std::memory_order_relaxed);
  spdlog::warn("stats publisher: a changelog record to {} failed: {}", topic, message.errstr());
}

caf::behavior stats_publisher(caf::event_based_actor* self, const stats_board* board,
                              std::shared_ptr<stats_publisher_resources> resources,
                              stats_publisher_settings settings) {
  using published_rows = std::array<std::optional<domain::stay_row>, domain::all_stay_categories.size()>;
  auto last = std::make_shared<published_rows>();
  auto publish = [=]() {
    auto view = board->latest();
    for (std::size_t i = 0; i < view->table.rows.size(); ++i) {
      const auto& row = view->table.rows[i];
      if (row.records == 0 || (*last)[i] == row)
        continue;
      auto key = std::string{domain::to_string(row.category)};
      auto value = domain::changelog_value(row);
      auto code = resources->producer->produce(resources->topic, RdKafka::Topic::PARTITION_UA,
                                               RdKafka::Producer::RK_MSG_COPY, value.data(), value.size(),
                                               key.data(), key.size(), 0, nullptr);
      if (code != RdKafka::ERR_NO_ERROR) {
        // Not remembered as published: the next round tries again.
        spdlog::warn("stats publisher: cannot produce to {}: {}", resources->topic, RdKafka::err2str(code));
        continue;
      }
      (*last)[i] = row;
    }
    resources->producer->poll(0);
  };
  self->send(self, tick_atom::value);
  return {
    [=](tick_atom) {
      publish();
      self->delayed_send(self, settings.interval, tick_atom::value);
    },
    [=](stop_atom) {
      publish();
      auto code = resources->producer->flush(static_cast<int>(settings.flush_timeout.count()));
      if (code != RdKafka::ERR_NO_ERROR)
        spdlog::warn("stats publisher: {} changelog records not acknowledged within {} ms ({})",
                     resources->producer->outq_len(), settings.flush_timeout.count(), RdKafka::err2str(code));
      spdlog::info("stats publisher: {} changelog records delivered to {}, {} failed", resources->delivered.load(),
                   resources->topic, resources->failed.load());
      self->quit();
    },
  };
}

} // namespace kstream
