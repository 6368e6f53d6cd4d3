// What the bench's small librdkafka tools (bench/passthrough, bench/loadlat) share: failing with
// a message named after the program, and setting a configuration property or failing.
#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace bench_tool {

[[noreturn]] inline void die(const std::string& what) {
  std::fprintf(stderr, "%s: %s\n", program_invocation_short_name, what.c_str());
  std::exit(1);
}

inline void set(RdKafka::Conf& conf, const std::string& name, const std::string& value) {
  std::string err;
  if (conf.set(name, value, err) != RdKafka::Conf::CONF_OK)
    die("config " + name + ": " + err);
}

} // namespace bench_tool
