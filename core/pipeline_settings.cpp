// Names of the pipeline's settings (core/pipeline_settings.hpp).
#include "core/pipeline_settings.hpp"

namespace kstream {

const char* to_string(delivery_guarantee guarantee) noexcept {
  return guarantee == delivery_guarantee::exactly_once ? "exactly_once" : "at_least_once";
}

} // namespace kstream
