#pragma once

#include "messages/interfaces.hpp"

namespace kstream {

/// One per partition: stay days and category of every record, and the enriched output
/// value (the original bytes plus stay_duration and stay_category).
classifier_actor::behavior_type classifier(classifier_actor::pointer self, batch_sink_actor sink);

} // namespace kstream
