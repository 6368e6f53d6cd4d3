#include "actors/classifier.hpp"

#include "domain/expedia_json.hpp"
#include "domain/stay.hpp"

namespace kstream {

namespace {

std::optional<std::string_view> present(bool has, const std::string& text) {
  return has ? std::optional<std::string_view>{text} : std::nullopt;
}

} // namespace

classifier_actor::behavior_type classifier(classifier_actor::pointer self, batch_sink_actor sink) {
  return {
    [=](parsed_batch& batch) {
      enriched_batch out;
      out.partition = batch.partition;
      out.epoch = batch.epoch;
      out.last_offset = batch.last_offset;
      out.dead_letters = std::move(batch.dead_letters);
      out.records.reserve(batch.records.size());
      for (auto& record : batch.records) {
        auto days = domain::stay_days(present(record.has_check_in, record.check_in),
                                      present(record.has_check_out, record.check_out));
        auto category = domain::classify_stay(days);
        // A negative day count is still reported as computed; only its category says "Erroneous".
        output_record output;
        output.offset = record.source.offset;
        output.timestamp = record.source.timestamp;
        output.has_key = record.source.has_key;
        output.key = std::move(record.source.key);
        output.value = std::move(record.source.value);
        domain::enrich_in_place(output.value, days, category);
        out.records.push_back(std::move(output));
      }
      self->send(sink, std::move(out));
    },
  };
}

} // namespace kstream
