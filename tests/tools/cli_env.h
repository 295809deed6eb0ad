// Helpers the command-line tests share: the environment a `brankas` child
// runs with, and its --json output parsed.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "testing/run_process.h"

namespace brankas::testing {

// The inherited environment without anything that would point `brankas` at
// another server, token or login cache, plus `extra` ("NAME=VALUE").
inline std::vector<std::string> CliEnvironment(const std::vector<std::string>& extra) {
  static const char* kDropped[] = {"BRANKAS_SERVER=", "BRANKAS_CA=", "BRANKAS_TOKEN=", "HOME=", "XDG_CONFIG_HOME="};
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    bool drop = false;
    for (const char* d : kDropped) drop = drop || entry.rfind(d, 0) == 0;
    if (!drop) env.push_back(entry);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

// The child's stdout as one JSON object (a failed expectation otherwise).
inline nlohmann::json ParseCliJson(const RunResult& r) {
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_TRUE(j.is_object()) << "not one JSON object: " << r.out << r.err;
  return j;
}

}  // namespace brankas::testing
