// The parser actor (actors/parser.hpp).
#include "actors/parser.hpp"

namespace kstream {

batch_stage_actor::behavior_type parser(batch_stage_actor::stateful_pointer<parser_state> self, classifier_actor next) {
  return {
    [=](consumed_batch& batch) {
      parsed_batch out;
      out.partition = batch.partition;
      out.epoch = batch.epoch;
      out.bytes = batch.bytes;
      out.records.reserve(batch.records.size());
      for (auto& record : batch.records) {
        out.last_offset = std::max(out.last_offset, record.offset);
        if (!record.has_value) {
          // A tombstone (null value) is kept as it came: null, not "" (the sink writes it so).
          out.dead_letters.push_back(dead_letter{std::move(record), domain::dead_letter_reason::tombstone, {}});
          continue;
        }
        auto result = self->state.json.parse(record.value);
        if (auto error = std::get_if<domain::value_error>(&result)) {
          out.dead_letters.push_back(dead_letter{std::move(record), error->reason, std::move(error->detail)});
          continue;
        }
        auto& fields = std::get<domain::expedia_fields>(result);
        parsed_record parsed;
        parsed.has_check_in = fields.check_in.has_value();
        parsed.check_in = fields.check_in.value_or("");
        parsed.has_check_out = fields.check_out.has_value();
        parsed.check_out = fields.check_out.value_or("");
        parsed.source = std::move(record);
        out.records.push_back(std::move(parsed));
      }
      self->send(next, std::move(out));
    },
  };
}

} // namespace kstream
