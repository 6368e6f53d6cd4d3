// The classifier actor (actors/classifier.hpp).
#include "actors/classifier.hpp"

#include "domain/expedia_json.hpp"
#include "domain/stay.hpp"

#include <algorithm>

namespace kstream {

namespace {

std::optional<std::string_view> present(bool has, const std::string& text) {
  return has ? std::optional<std::string_view>{text} : std::nullopt;
}

} // namespace

classifier_actor::behavior_type classifier(classifier_actor::pointer self, batch_sink_actor sink,
                                           domain::record_size_budget output_budget,
                                           std::shared_ptr<const refused_records> refused) {
  return {
    [=](parsed_batch& batch) {
      enriched_batch out;
      out.partition = batch.partition;
      out.epoch = batch.epoch;
      out.last_offset = batch.last_offset;
      out.bytes = batch.bytes;
      out.dead_letters = std::move(batch.dead_letters);
      const auto parser_dead_letters = out.dead_letters.size();
      out.records.reserve(batch.records.size());
      for (auto& record : batch.records) {
        auto days = domain::stay_days(present(record.has_check_in, record.check_in),
                                      present(record.has_check_out, record.check_out));
        auto category = domain::classify_stay(days);
        const auto& source = record.source;
        const auto bytes = payload_bytes(source.key, source.value, source.headers);
        if (!output_budget.fits(bytes)) {
          auto sizes = "up to " + std::to_string(bytes + output_budget.reserve + output_budget.framing)
                       + " bytes, the limit is " + std::to_string(output_budget.limit);
          out.dead_letters.push_back(
            dead_letter{std::move(record.source), domain::dead_letter_reason::too_large, std::move(sizes)});
          continue;
        }
        if (auto known = refused ? refused->find(batch.partition, source.offset) : std::nullopt;
            known && known->state != refused_records::verdict::suspect) {
          out.dead_letters.push_back(
            dead_letter{std::move(record.source), domain::dead_letter_reason::refused_by_broker, known->reason});
          continue;
        }
        // A negative day count is still reported as computed; only its category says "Erroneous".
        output_record output;
        output.offset = record.source.offset;
        output.timestamp = record.source.timestamp;
        output.has_key = record.source.has_key;
        output.key = std::move(record.source.key);
        output.value = std::move(record.source.value);
        output.headers = std::move(record.source.headers);
        domain::enrich_in_place(output.value, days, category);
        out.records.push_back(std::move(output));
      }
      if (out.dead_letters.size() > parser_dead_letters)
        // Dead letters reach their topic in input order, the parser's and these alike.
        std::sort(out.dead_letters.begin(), out.dead_letters.end(),
                  [](const dead_letter& a, const dead_letter& b) { return a.source.offset < b.source.offset; });
      self->send(sink, std::move(out));
    },
  };
}

} // namespace kstream
