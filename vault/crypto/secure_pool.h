// SecurePool: small key material (<= 64 bytes) in locked, never-dumped slabs.
//
// sodium_malloc gives every key its own guard pages: four mappings and five
// system calls per key, which made creating a case (ten data keys) cost more
// in mprotect/mlock than everything else together. The pool mmaps 256 KiB
// slabs once, mlocks them (best effort: RLIMIT_MEMLOCK may refuse), marks them
// MADV_DONTDUMP and MADV_DONTFORK, and hands out 64-byte slots. A released
// slot is zeroed (sodium_memzero) before it is reused. The trade: no guard
// page between two keys. Larger secrets still go to sodium_malloc.
//
// Thread-safe (one mutex around the free list).
#pragma once

#include <cstddef>

namespace brankas::internal {

inline constexpr size_t kPoolSlotSize = 64;

// nullptr when the pool cannot grow (the caller falls back to sodium_malloc).
unsigned char* PoolAllocate();
// REQUIRES: p came from PoolAllocate. Zeroes the slot.
void PoolRelease(unsigned char* p);
// Slots in use (for tests).
size_t PoolSlotsInUse();

}  // namespace brankas::internal
