// The one translation unit of kstream-stats-tests with Catch2's main and CAF's unit-test
// engine symbols (test_coordinator_fixture needs them; see docs in toolchain facts).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#define CAF_SUITE kstream_stats
#define CAF_TEST_NO_MAIN
#include <caf/test/unit_test_impl.hpp>
