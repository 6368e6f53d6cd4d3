#pragma once

// The parser actor: a partition's consumed values into records with their dates, or dead letters.

#include "domain/expedia_json.hpp"
#include "messages/interfaces.hpp"

namespace kstream {

struct parser_state {
  domain::expedia_value_parser json; // reused buffers: one per actor
  static inline const char* name = "parser";
};

/// One per partition: JSON bytes to typed records. A value that is not a JSON object
/// becomes a dead letter with the reason, in the same batch, so that nothing is lost.
batch_stage_actor::behavior_type parser(batch_stage_actor::stateful_pointer<parser_state> self, classifier_actor next);

} // namespace kstream
