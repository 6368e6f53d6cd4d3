#pragma once

// The template part of app/service.hpp.

#include <caf/io/middleman.hpp>

#include <iostream>

namespace kstream {

template <class Config, class Settings>
std::optional<int> prepare_service(Config& cfg, int argc, char** argv, const char* program, const char* default_file,
                                   Settings& out) {
  cfg.template load<caf::io::middleman>();
  if (auto code = parse_command_line(cfg, argc, argv, program, default_file))
    return *code;
  auto settings = cfg.validate();
  if (!settings) {
    std::cerr << program << ": " << describe_error(settings.error()) << "\nRun " << program
              << " --help for the options.\n";
    return exit_usage;
  }
  out = std::move(*settings);
  install_stop_signals();
  return std::nullopt;
}

} // namespace kstream
