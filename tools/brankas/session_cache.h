// The login cache of `brankas`: the server, CA file, user and bearer token of
// the last `brankas login`, kept for the next commands.
//
// Where: $XDG_CONFIG_HOME/brankas/session.json (an absolute XDG_CONFIG_HOME),
// else ~/.config/brankas/session.json. The directory is 0700 and the file 0600
// from the moment it exists: it is written under a fresh name opened with
// O_CREAT|O_EXCL and mode 0600, fsync'd, then renamed over the old one. A cache
// that another user owns, that is group- or world-accessible or that is a
// symbolic link is refused, not used.
//
// Not thread-safe (a command line runs one command).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "brankas/status.h"

namespace brankas::tools {

struct CachedSession {
  std::string server;       // https://host:port
  std::string ca;           // absolute path of the CA file, or empty: the system's roots
  std::string user;
  std::string token;        // secret: never printed
  int64_t expires_at = 0;   // unix seconds
};

// The cache file's path; kFailedPrecondition when neither XDG_CONFIG_HOME nor
// HOME gives a place for it.
Result<std::string> SessionCachePath();

// The cached session, or std::nullopt when there is none. kFailedPrecondition
// (naming the file, never its content) when the file is unsafe or damaged.
Result<std::optional<CachedSession>> LoadSessionCache();

// Replaces the cache atomically (see above).
Status SaveSessionCache(const CachedSession& session);

// Removes the cache; OK when there was none.
Status RemoveSessionCache();

}  // namespace brankas::tools
