// TLS for the API: a server context that speaks TLS 1.3 only.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "brankas/status.h"

typedef struct x509_st X509;

namespace brankas::server {

// Loads a PEM certificate chain and private key. kInvalidArgument naming the
// file when either cannot be read or they do not match.
Result<std::unique_ptr<boost::asio::ssl::context>> MakeServerTlsContext(const std::string& cert_file,
                                                                         const std::string& key_file);
// The same for either side (tls_server or tls_client): TLS 1.3 only, no
// renegotiation, compression or session tickets, and this identity.
Result<std::unique_ptr<boost::asio::ssl::context>> MakeTlsContext(boost::asio::ssl::context::method method,
                                                                   const std::string& cert_file,
                                                                   const std::string& key_file);

// The pin of a certificate's public key ("sha256:" + hex, see brankas/replication.h);
// empty if it cannot be computed.
std::string PinOfCertificate(X509* cert);

}  // namespace brankas::server
