// Catch2 provides main(); CAF's deterministic test coordinator needs the symbols of CAF's own
// unit-test engine, which this one translation unit supplies (without its main()).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#define CAF_SUITE kstream_unit
#define CAF_TEST_NO_MAIN
#include <caf/test/unit_test_impl.hpp>
