#pragma once

// The classifier actor: stay days and category of each record, and its enriched value.

#include "core/refused_records.hpp"
#include "domain/record_size_budget.hpp"
#include "messages/interfaces.hpp"

#include <memory>

namespace kstream {

/// One per partition: stay days and category of every record, and the enriched output
/// value (the original bytes plus stay_duration and stay_category). A record whose enriched
/// form (key, value, headers) would not fit `output_budget` (the output topic's, with the
/// enrichment as its reserve), which the output topic would refuse, becomes a dead letter
/// with its original bytes instead; so does a
/// record the output topic's broker refused before (`refused`, which the producer keeps; may
/// be null), with the broker's reason.
classifier_actor::behavior_type classifier(classifier_actor::pointer self, batch_sink_actor sink,
                                           domain::record_size_budget output_budget,
                                           std::shared_ptr<const refused_records> refused);

} // namespace kstream
