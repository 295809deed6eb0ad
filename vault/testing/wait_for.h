// Bounded waiting in tests: polls a condition until it holds or time runs out.
#pragma once

#include <chrono>
#include <thread>

namespace brankas::testing {

// True once pred() holds; false if it still does not after `limit`.
template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(30)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

}  // namespace brankas::testing
