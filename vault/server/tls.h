// TLS for the API: a server context that speaks TLS 1.3 only.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "brankas/status.h"

namespace brankas::server {

// Loads a PEM certificate chain and private key. kInvalidArgument naming the
// file when either cannot be read or they do not match.
Result<std::unique_ptr<boost::asio::ssl::context>> MakeServerTlsContext(const std::string& cert_file,
                                                                         const std::string& key_file);

}  // namespace brankas::server
