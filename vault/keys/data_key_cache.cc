#include "keys/data_key_cache.h"

namespace brankas {

std::string DataKeyCache::MapKey(std::string_view case_id, FieldClass cls) {
  // The class byte first, so the key is unambiguous for any case id.
  std::string k(1, static_cast<char>(cls));
  k.append(case_id);
  return k;
}

std::shared_ptr<const SecretKey> DataKeyCache::Find(std::string_view case_id, FieldClass cls) {
  // Lookups are the hot path (every field of every read): the key is built in
  // a reused buffer rather than a new string each time.
  lookup_.assign(1, static_cast<char>(cls));
  lookup_.append(case_id);
  auto it = map_.find(lookup_);
  if (it == map_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->second;
}

void DataKeyCache::Insert(std::string_view case_id, FieldClass cls,
                          std::shared_ptr<const SecretKey> key) {
  if (capacity_ == 0) return;
  std::string k = MapKey(case_id, cls);
  auto it = map_.find(k);
  if (it != map_.end()) {
    it->second->second = std::move(key);
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  while (map_.size() >= capacity_) {
    map_.erase(lru_.back().first);
    lru_.pop_back();
  }
  lru_.emplace_front(k, std::move(key));
  map_.emplace(std::move(k), lru_.begin());
}

void DataKeyCache::EraseCase(std::string_view case_id) {
  for (FieldClass cls : kAllFieldClasses) {
    auto it = map_.find(MapKey(case_id, cls));
    if (it == map_.end()) continue;
    lru_.erase(it->second);
    map_.erase(it);
  }
}

void DataKeyCache::Clear() {
  map_.clear();
  lru_.clear();
}

}  // namespace brankas
