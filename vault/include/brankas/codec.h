// Binary encoding for everything the engine stores: records, keys, audit
// entries, changelog entries. Little-endian fixed-width integers and
// length-prefixed byte strings (u32 length).
//
// Every stored format starts with its own version byte, written by the caller.
// Reader never reads past its input and never allocates more than the input
// holds: hostile or corrupt bytes give an error, never a crash or a huge
// allocation. (This is why stored formats do not use cereal: its archives
// resize a string to an untrusted length before checking the input has it.)
//
// Thread-safety: none needed; plain values.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "brankas/status.h"

namespace brankas {

class Writer {
 public:
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U32(uint32_t v) {
    char b[4];
    for (int i = 0; i < 4; ++i) b[i] = static_cast<char>(v >> (8 * i));
    out_.append(b, 4);
  }
  void U64(uint64_t v) {
    char b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
    out_.append(b, 8);
  }
  void I64(int64_t v) { U64(static_cast<uint64_t>(v)); }
  void Bool(bool v) { U8(v ? 1 : 0); }
  void Bytes(std::string_view s) {
    U32(static_cast<uint32_t>(s.size()));
    out_.append(s.data(), s.size());
  }
  void StringList(const std::vector<std::string>& list) {
    U32(static_cast<uint32_t>(list.size()));
    for (const auto& s : list) Bytes(s);
  }
  void Reserve(size_t bytes) { out_.reserve(bytes); }
  std::string& str() { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// Reads in order; after the first failure every call fails and ok() is false.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  bool U8(uint8_t* v) {
    if (!Need(1)) return false;
    *v = static_cast<uint8_t>(in_[pos_]);
    pos_ += 1;
    return true;
  }
  bool U32(uint32_t* v) {
    if (!Need(4)) return false;
    uint32_t r = 0;
    for (int i = 0; i < 4; ++i) r |= static_cast<uint32_t>(static_cast<uint8_t>(in_[pos_ + i])) << (8 * i);
    *v = r;
    pos_ += 4;
    return true;
  }
  bool U64(uint64_t* v) {
    if (!Need(8)) return false;
    uint64_t r = 0;
    for (int i = 0; i < 8; ++i) r |= static_cast<uint64_t>(static_cast<uint8_t>(in_[pos_ + i])) << (8 * i);
    *v = r;
    pos_ += 8;
    return true;
  }
  bool I64(int64_t* v) {
    uint64_t u;
    if (!U64(&u)) return false;
    *v = static_cast<int64_t>(u);
    return true;
  }
  bool Bool(bool* v) {
    uint8_t b;
    if (!U8(&b)) return false;
    if (b > 1) return Fail();
    *v = b == 1;
    return true;
  }
  bool Bytes(std::string* s) {
    uint32_t n;
    if (!U32(&n) || !Need(n)) return false;
    s->assign(in_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  // A view into the input (which must outlive it): no copy.
  bool BytesView(std::string_view* s) {
    uint32_t n;
    if (!U32(&n) || !Need(n)) return false;
    *s = in_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  // max_items bounds the list independently of the input size.
  bool StringList(std::vector<std::string>* list, uint32_t max_items = 4096) {
    uint32_t n;
    if (!U32(&n)) return false;
    // Each item needs at least its 4-byte length.
    if (n > max_items || n > Remaining() / 4) return Fail();
    list->clear();
    list->reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      std::string s;
      if (!Bytes(&s)) return false;
      list->push_back(std::move(s));
    }
    return true;
  }
  size_t Remaining() const { return ok_ ? in_.size() - pos_ : 0; }
  bool ok() const { return ok_; }
  // True when everything was read and nothing is left over.
  bool Done() const { return ok_ && pos_ == in_.size(); }
  bool Fail() {
    ok_ = false;
    return false;
  }

 private:
  bool Need(size_t n) {
    if (!ok_ || in_.size() - pos_ < n) return Fail();
    return true;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace brankas
