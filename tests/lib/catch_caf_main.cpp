// The one translation unit of every Catch2 test binary with Catch2's main() and the symbols
// of CAF's unit-test engine, which CAF's deterministic test coordinator needs (without CAF's
// main()): see the toolchain facts on CAF's test coordinator under Catch2.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#define CAF_SUITE kstream
#define CAF_TEST_NO_MAIN
#include <caf/test/unit_test_impl.hpp>
