// Writes records to an Avro object container file with the Avro C library (libavro-dev),
// deflate codec, and makes the file's bytes deterministic.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "record.hpp"

namespace datagen {

class AvroFileWriter {
public:
  AvroFileWriter(const std::string& path, const std::string& schema_json);
  ~AvroFileWriter();
  AvroFileWriter(const AvroFileWriter&) = delete;
  AvroFileWriter& operator=(const AvroFileWriter&) = delete;

  void append(const Record& record);
  void close();

private:
  struct Impl;
  Impl* impl_;
};

// Finishes a file the Avro C writer wrote: the header gets `schema_json` verbatim (the writer
// spells it in an equivalent long form) and the writer's random 16-byte sync marker is replaced
// by `marker` after the header and after every block (walking the container's framing), so that
// a seed gives the same bytes every time.
void finish_container(const std::string& path, const std::string& schema_json,
                      const std::array<unsigned char, 16>& marker);

} // namespace datagen
