#include "crypto/secure_pool.h"

#include <sodium.h>
#include <sys/mman.h>

#include <mutex>
#include <vector>

namespace brankas::internal {
namespace {

constexpr size_t kSlabSize = 256 * 1024;
constexpr size_t kMaxSlabs = 1024;  // 256 MiB, 4 M keys: far beyond any cache

struct Pool {
  std::mutex mu;
  std::vector<unsigned char*> free_slots;  // guarded by mu
  size_t slabs = 0;                        // guarded by mu
  size_t in_use = 0;                       // guarded by mu

  bool Grow() {
    if (slabs >= kMaxSlabs) return false;
    void* p = mmap(nullptr, kSlabSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return false;
    (void)mlock(p, kSlabSize);
#ifdef MADV_DONTDUMP
    (void)madvise(p, kSlabSize, MADV_DONTDUMP);
#endif
#ifdef MADV_DONTFORK
    (void)madvise(p, kSlabSize, MADV_DONTFORK);
#endif
    auto* base = static_cast<unsigned char*>(p);
    for (size_t off = kSlabSize; off >= kPoolSlotSize; off -= kPoolSlotSize) {
      free_slots.push_back(base + off - kPoolSlotSize);
    }
    ++slabs;
    return true;
  }
};

Pool& TheePool() {
  static Pool* pool = new Pool();  // never destroyed: keys may outlive statics
  return *pool;
}

}  // namespace

unsigned char* PoolAllocate() {
  Pool& pool = TheePool();
  std::lock_guard<std::mutex> lock(pool.mu);
  if (pool.free_slots.empty() && !pool.Grow()) return nullptr;
  unsigned char* p = pool.free_slots.back();
  pool.free_slots.pop_back();
  ++pool.in_use;
  return p;
}

void PoolRelease(unsigned char* p) {
  sodium_memzero(p, kPoolSlotSize);
  Pool& pool = TheePool();
  std::lock_guard<std::mutex> lock(pool.mu);
  pool.free_slots.push_back(p);
  --pool.in_use;
}

size_t PoolSlotsInUse() {
  Pool& pool = TheePool();
  std::lock_guard<std::mutex> lock(pool.mu);
  return pool.in_use;
}

}  // namespace brankas::internal
