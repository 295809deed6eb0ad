// Where the tools find the configuration when no flag says: $BRANKAS_CONFIG_DIR,
// else the directory chosen at build time (the source tree's config/ for a
// development build, /etc/brankas for an installed one).
#pragma once

#include <cstdlib>
#include <string>

namespace brankas::tools {

inline std::string ConfigDir() {
  const char* env = std::getenv("BRANKAS_CONFIG_DIR");
  if (env != nullptr && *env != '\0') return env;
  return BRANKAS_DEFAULT_CONFIG_DIR;
}

inline std::string DefaultSchemaPath() { return ConfigDir() + "/schema.toml"; }

}  // namespace brankas::tools
