// DataKeyCache: a bounded LRU of unwrapped data keys, keyed by (case, class).
//
// Not thread-safe: KeyRing guards it with its mutex. Entries are shared_ptrs,
// so evicting one does not invalidate a key a caller still holds.
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "brankas/crypto.h"
#include "brankas/types.h"

namespace brankas {

class DataKeyCache {
 public:
  // capacity 0 disables caching.
  explicit DataKeyCache(size_t capacity) : capacity_(capacity) {}

  // nullptr on a miss; a hit becomes the most recently used.
  std::shared_ptr<const SecretKey> Find(std::string_view case_id, FieldClass cls);
  void Insert(std::string_view case_id, FieldClass cls, std::shared_ptr<const SecretKey> key);
  void EraseCase(std::string_view case_id);
  void Clear();
  size_t size() const { return map_.size(); }

 private:
  using Entry = std::pair<std::string, std::shared_ptr<const SecretKey>>;  // (map key, value)
  static std::string MapKey(std::string_view case_id, FieldClass cls);

  size_t capacity_;
  std::list<Entry> lru_;  // front = most recently used
  std::unordered_map<std::string, std::list<Entry>::iterator> map_;
  std::string lookup_;  // Find's scratch key (the cache is used under one lock)
};

}  // namespace brankas
