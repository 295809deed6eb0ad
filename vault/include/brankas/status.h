// Status and Result<T>: errors as values across module boundaries.
//
// A Status is a code plus a human message. Messages must never contain a field
// value, a key, a password or a token: they end up in logs and API answers.
// Result<T> holds either a T or a non-OK Status. Both are cheap to move and
// [[nodiscard]]: a dropped error is a compile warning (an error in CI).
//
// Thread-safety: plain values; no shared state.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace brankas {

enum class Code {
  kOk = 0,
  kInvalidArgument,    // the caller's input is wrong; fix it, do not retry
  kUnauthenticated,    // who you are is not established
  kPermissionDenied,   // you are known, and not allowed
  kNotFound,
  kConflict,           // stale version or already exists
  kSealed,             // the vault has no keys in memory
  kTooLarge,           // a size limit was exceeded
  kRateLimited,
  kUnavailable,        // transient: retry with backoff
  kFailedPrecondition, // the system is not in a state to do this; fix first
  kCorruption,         // a MAC, hash or format check failed on stored data
  kInternal,
};

const char* CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "code: message", for logs and test output.
  std::string ToString() const;

  // Marks a status as deliberately ignored.
  void IgnoreError() const {}

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return Status(Code::kInvalidArgument, std::move(m)); }
inline Status Unauthenticated(std::string m) { return Status(Code::kUnauthenticated, std::move(m)); }
inline Status PermissionDenied(std::string m) { return Status(Code::kPermissionDenied, std::move(m)); }
inline Status NotFound(std::string m) { return Status(Code::kNotFound, std::move(m)); }
inline Status Conflict(std::string m) { return Status(Code::kConflict, std::move(m)); }
inline Status Sealed(std::string m) { return Status(Code::kSealed, std::move(m)); }
inline Status TooLarge(std::string m) { return Status(Code::kTooLarge, std::move(m)); }
inline Status Unavailable(std::string m) { return Status(Code::kUnavailable, std::move(m)); }
inline Status FailedPrecondition(std::string m) { return Status(Code::kFailedPrecondition, std::move(m)); }
inline Status Corruption(std::string m) { return Status(Code::kCorruption, std::move(m)); }
inline Status Internal(std::string m) { return Status(Code::kInternal, std::move(m)); }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    assert(!status_.ok() && "Result from an OK status needs a value");
    if (status_.ok()) status_ = Internal("Result constructed from OK status");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  // REQUIRES: ok()
  T& value() & { assert(ok()); return *value_; }
  const T& value() const& { assert(ok()); return *value_; }
  T&& value() && { assert(ok()); return std::move(*value_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace brankas

// Returns early with the status if it is not OK.
#define BRANKAS_RETURN_IF_ERROR(expr)          \
  do {                                         \
    ::brankas::Status brankas_status_ = (expr); \
    if (!brankas_status_.ok()) return brankas_status_; \
  } while (0)

#define BRANKAS_CONCAT_INNER(a, b) a##b
#define BRANKAS_CONCAT(a, b) BRANKAS_CONCAT_INNER(a, b)
// Declares `lhs` from a Result, or returns its status.
#define BRANKAS_ASSIGN_OR_RETURN(lhs, expr) \
  BRANKAS_ASSIGN_OR_RETURN_IMPL(BRANKAS_CONCAT(brankas_result_, __LINE__), lhs, expr)
#define BRANKAS_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()
