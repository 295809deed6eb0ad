// The project's source directory, for tests that read config/ files:
// $BRANKAS_SOURCE_DIR (CTest sets it), else the directory the test was built
// from (brankas_test() defines BRANKAS_SOURCE_DIR_FALLBACK for every test).
#pragma once

#include <cstdlib>
#include <string>

namespace brankas::testing {

inline std::string SourceDir() {
  const char* dir = std::getenv("BRANKAS_SOURCE_DIR");
  if (dir != nullptr && *dir != '\0') return dir;
  return BRANKAS_SOURCE_DIR_FALLBACK;
}

}  // namespace brankas::testing
