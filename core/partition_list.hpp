#pragma once

// Partition numbers as log lines show them: "0,1,2".

#include <string>

namespace kstream {

template <class Partitions>
std::string partition_list(const Partitions& partitions) {
  std::string out;
  for (auto p : partitions)
    out += (out.empty() ? "" : ",") + std::to_string(p);
  return out;
}

} // namespace kstream
