// Internal to the keys module: what a KeyRing holds while unsealed, and small
// helpers shared by its source files.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <utility>

#include "brankas/crypto.h"
#include "brankas/keys.h"
#include "brankas/store.h"
#include "brankas/types.h"

namespace brankas {

struct KeyRing::Unsealed {
  SecretKey root;
  SecretKey sign_secret;  // Ed25519, 64 bytes
  SecretKey index_key;
  SecretKey statistics_key;  // derived from the root (StatisticsKeyInput), never stored
  // Every KEK version of every class (old versions still unwrap data keys
  // created before a rotation committed).
  std::map<std::pair<FieldClass, uint32_t>, std::shared_ptr<const SecretKey>> keks;
  std::array<uint32_t, kFieldClassCount> current{};  // current KEK version per class
};

namespace keys_internal {

// The stored value, kCorruption("missing stored <what>") when absent.
Result<std::string> GetRequired(Store& store, Column column, std::string_view key,
                                std::string_view what);

}  // namespace keys_internal
}  // namespace brankas
