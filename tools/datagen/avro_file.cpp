// Avro object container files, deterministic bytes (avro_file.hpp).
#include "avro_file.hpp"

#include <avro.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace datagen {

namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + avro_strerror());
}

void check(int rc, const char* what) {
  if (rc != 0)
    fail(what);
}

} // namespace

struct AvroFileWriter::Impl {
  std::string path;
  avro_schema_t schema = nullptr;
  avro_value_iface_t* iface = nullptr;
  avro_value_t value{};
  bool value_made = false;
  avro_file_writer_t writer = nullptr;

  ~Impl() {
    if (writer)
      avro_file_writer_close(writer);
    if (value_made)
      avro_value_decref(&value);
    if (iface)
      avro_value_iface_decref(iface);
    if (schema)
      avro_schema_decref(schema);
  }

  avro_value_t branch(std::size_t field, bool null) {
    avro_value_t union_value;
    avro_value_t out;
    check(avro_value_get_by_index(&value, field, &union_value, nullptr), "avro field");
    // every field is [type, "null"]: branch 0 is the value, branch 1 is null
    check(avro_value_set_branch(&union_value, null ? 1 : 0, &out), "avro union branch");
    if (null)
      check(avro_value_set_null(&out), "avro null");
    return out;
  }

  void put(std::size_t field, const std::optional<std::int64_t>& v) {
    avro_value_t b = branch(field, !v);
    if (v)
      check(avro_value_set_long(&b, *v), "avro long");
  }
  void put(std::size_t field, const std::optional<std::int32_t>& v) {
    avro_value_t b = branch(field, !v);
    if (v)
      check(avro_value_set_int(&b, *v), "avro int");
  }
  void put(std::size_t field, const std::optional<double>& v) {
    avro_value_t b = branch(field, !v);
    if (v)
      check(avro_value_set_double(&b, *v), "avro double");
  }
  void put(std::size_t field, const std::optional<std::string>& v) {
    avro_value_t b = branch(field, !v);
    // the size given to avro includes the terminating NUL
    if (v)
      check(avro_value_set_string_len(&b, v->c_str(), v->size() + 1), "avro string");
  }
};

AvroFileWriter::AvroFileWriter(const std::string& path, const std::string& schema_json) : impl_(new Impl) {
  impl_->path = path;
  try {
    check(avro_schema_from_json_length(schema_json.data(), schema_json.size(), &impl_->schema), "avro schema");
    impl_->iface = avro_generic_class_from_schema(impl_->schema);
    if (!impl_->iface)
      fail("avro value class");
    check(avro_generic_value_new(impl_->iface, &impl_->value), "avro value");
    impl_->value_made = true;
    std::remove(path.c_str()); // avro refuses to create over an existing file
    check(avro_file_writer_create_with_codec(path.c_str(), impl_->schema, &impl_->writer, "deflate", 64 * 1024),
          ("cannot create Avro file " + path).c_str());
  } catch (...) {
    delete impl_;
    throw;
  }
}

AvroFileWriter::~AvroFileWriter() {
  delete impl_;
}

void AvroFileWriter::append(const Record& r) {
  Impl& m = *impl_;
  m.put(0, r.id);
  m.put(1, r.date_time);
  m.put(2, r.site_name);
  m.put(3, r.posa_container);
  m.put(4, r.user_location_country);
  m.put(5, r.user_location_region);
  m.put(6, r.user_location_city);
  m.put(7, r.orig_destination_distance);
  m.put(8, r.user_id);
  m.put(9, r.is_mobile);
  m.put(10, r.is_package);
  m.put(11, r.channel);
  m.put(12, r.srch_ci);
  m.put(13, r.srch_co);
  m.put(14, r.srch_adults_cnt);
  m.put(15, r.srch_children_cnt);
  m.put(16, r.srch_rm_cnt);
  m.put(17, r.srch_destination_id);
  m.put(18, r.srch_destination_type_id);
  m.put(19, r.hotel_id);
  check(avro_file_writer_append_value(m.writer, &m.value), ("cannot append to " + m.path).c_str());
}

void AvroFileWriter::close() {
  if (impl_->writer) {
    const int rc = avro_file_writer_close(impl_->writer);
    impl_->writer = nullptr;
    check(rc, ("cannot close " + impl_->path).c_str());
  }
}

namespace {

class Reader {
public:
  explicit Reader(const std::vector<unsigned char>& bytes) : b_(bytes) {
  }
  std::int64_t varlong() {
    std::uint64_t n = 0;
    int shift = 0;
    for (;;) {
      if (pos_ >= b_.size() || shift > 63)
        throw std::runtime_error("truncated Avro varint");
      const unsigned char byte = b_[pos_++];
      n |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
      if (!(byte & 0x80))
        break;
      shift += 7;
    }
    return static_cast<std::int64_t>(n >> 1) ^ -static_cast<std::int64_t>(n & 1);
  }
  void skip(std::int64_t n) {
    if (n < 0 || static_cast<std::uint64_t>(n) > b_.size() - pos_)
      throw std::runtime_error("truncated Avro data");
    pos_ += static_cast<std::size_t>(n);
  }
  std::size_t pos() const {
    return pos_;
  }
  bool at_end() const {
    return pos_ == b_.size();
  }

private:
  const std::vector<unsigned char>& b_;
  std::size_t pos_ = 0;
};

} // namespace

namespace {

void put_varlong(std::vector<unsigned char>& out, std::int64_t v) {
  auto n = (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
  while (n & ~0x7FULL) {
    out.push_back(static_cast<unsigned char>((n & 0x7F) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<unsigned char>(n));
}

void put_bytes(std::vector<unsigned char>& out, const unsigned char* data, std::size_t size) {
  put_varlong(out, static_cast<std::int64_t>(size));
  out.insert(out.end(), data, data + size);
}

} // namespace

void finish_container(const std::string& path, const std::string& schema_json,
                      const std::array<unsigned char, 16>& marker) {
  std::vector<unsigned char> bytes;
  {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f)
      throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
    unsigned char buf[1 << 16];
    std::size_t got;
    while ((got = std::fread(buf, 1, sizeof buf, f)) > 0)
      bytes.insert(bytes.end(), buf, buf + got);
    std::fclose(f);
  }
  if (bytes.size() < 4 || std::memcmp(bytes.data(), "Obj\x01", 4) != 0)
    throw std::runtime_error(path + " is not an Avro container file");

  // Header: magic, metadata map (string -> bytes), sync marker.
  Reader in(bytes);
  in.skip(4);
  std::vector<std::pair<std::string, std::vector<unsigned char>>> meta;
  for (std::int64_t count; (count = in.varlong()) != 0;) {
    if (count < 0) {
      count = -count;
      in.varlong(); // block size in bytes
    }
    for (std::int64_t i = 0; i < count; ++i) {
      const std::int64_t key_size = in.varlong();
      const std::size_t key_at = in.pos();
      in.skip(key_size);
      const std::int64_t value_size = in.varlong();
      const std::size_t value_at = in.pos();
      in.skip(value_size);
      meta.emplace_back(
        std::string(bytes.begin() + static_cast<std::ptrdiff_t>(key_at),
                    bytes.begin() + static_cast<std::ptrdiff_t>(key_at + static_cast<std::size_t>(key_size))),
        std::vector<unsigned char>(bytes.begin() + static_cast<std::ptrdiff_t>(value_at),
                                   bytes.begin()
                                     + static_cast<std::ptrdiff_t>(value_at + static_cast<std::size_t>(value_size))));
    }
  }
  const std::size_t header_sync = in.pos();
  in.skip(16);
  const std::size_t blocks_at = in.pos();
  std::vector<std::size_t> block_syncs;
  while (!in.at_end()) {
    in.varlong();          // records in the block
    in.skip(in.varlong()); // the block's (compressed) bytes
    if (bytes.size() - in.pos() < 16 || std::memcmp(bytes.data() + in.pos(), bytes.data() + header_sync, 16) != 0)
      throw std::runtime_error(path + ": a block's sync marker does not match the header's");
    block_syncs.push_back(in.pos());
    in.skip(16);
  }

  // The schema as written by the writer is equivalent but spelled in long form
  // ([{"type":"long"},...]); the real files carry the short form. Write the header anew.
  std::vector<unsigned char> out(bytes.begin(), bytes.begin() + 4);
  put_varlong(out, static_cast<std::int64_t>(meta.size()));
  for (auto& [key, value] : meta) {
    if (key == "avro.schema")
      value.assign(schema_json.begin(), schema_json.end());
    put_bytes(out, reinterpret_cast<const unsigned char*>(key.data()), key.size());
    put_bytes(out, value.data(), value.size());
  }
  put_varlong(out, 0);
  out.insert(out.end(), marker.begin(), marker.end());
  const std::size_t shift = out.size() - blocks_at; // new header length minus old (may be "negative": wraps)
  out.insert(out.end(), bytes.begin() + static_cast<std::ptrdiff_t>(blocks_at), bytes.end());
  for (std::size_t p : block_syncs)
    std::memcpy(out.data() + (p + shift), marker.data(), 16);

  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f)
    throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
  const bool ok = std::fwrite(out.data(), 1, out.size(), f) == out.size();
  if (std::fclose(f) != 0 || !ok)
    throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
}

} // namespace datagen
