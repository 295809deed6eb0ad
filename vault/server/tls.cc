#include "server/tls.h"

#include <fcntl.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "brankas/replication.h"
#include "brankas/server.h"

namespace brankas {
namespace server {

Result<std::unique_ptr<boost::asio::ssl::context>> MakeServerTlsContext(const std::string& cert_file,
                                                                         const std::string& key_file) {
  return MakeTlsContext(boost::asio::ssl::context::tls_server, cert_file, key_file);
}

Result<std::unique_ptr<boost::asio::ssl::context>> MakeTlsContext(boost::asio::ssl::context::method method,
                                                                   const std::string& cert_file,
                                                                   const std::string& key_file) {
  namespace ssl = boost::asio::ssl;
  auto ctx = std::make_unique<ssl::context>(method);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_3_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET);
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
  if (SSL_CTX_use_certificate_chain_file(native, cert_file.c_str()) != 1) {
    return InvalidArgument("cannot load the TLS certificate chain from " + cert_file);
  }
  if (SSL_CTX_use_PrivateKey_file(native, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return InvalidArgument("cannot load the TLS private key from " + key_file);
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    return InvalidArgument("the TLS private key " + key_file + " does not match " + cert_file);
  }
  return ctx;
}

std::string PinOfCertificate(X509* cert) {
  if (cert == nullptr) return {};
  unsigned char* der = nullptr;
  int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  if (len <= 0) return {};
  unsigned char digest[32];
  unsigned int digest_len = 0;
  const bool ok = EVP_Digest(der, static_cast<size_t>(len), digest, &digest_len, EVP_sha256(), nullptr) == 1;
  OPENSSL_free(der);
  if (!ok || digest_len != sizeof(digest)) return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string pin = "sha256:";
  for (unsigned char c : digest) {
    pin.push_back(kHex[c >> 4]);
    pin.push_back(kHex[c & 15]);
  }
  return pin;
}

}  // namespace server

Result<std::string> PinOfCertificateFile(const std::string& cert_pem_path) {
  FILE* f = fopen(cert_pem_path.c_str(), "r");
  if (f == nullptr) return InvalidArgument("cannot read the certificate " + cert_pem_path);
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  fclose(f);
  if (cert == nullptr) return InvalidArgument(cert_pem_path + " holds no PEM certificate");
  std::string pin = server::PinOfCertificate(cert);
  X509_free(cert);
  if (pin.empty()) return Internal("cannot hash the public key of " + cert_pem_path);
  return pin;
}

Status ValidatePin(std::string_view pin) {
  constexpr std::string_view kPrefix = "sha256:";
  bool ok = pin.size() == kPrefix.size() + 64 && pin.substr(0, kPrefix.size()) == kPrefix;
  for (size_t i = kPrefix.size(); ok && i < pin.size(); ++i) {
    ok = (pin[i] >= '0' && pin[i] <= '9') || (pin[i] >= 'a' && pin[i] <= 'f');
  }
  if (!ok) return InvalidArgument("a pin is \"sha256:\" followed by 64 lowercase hex digits");
  return Status::Ok();
}

namespace {

struct PkeyFree { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct X509Free { void operator()(X509* p) const { X509_free(p); } };

bool AddExtension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

}  // namespace

Status GenerateSelfSignedIdentity(const std::string& cert_path, const std::string& key_path,
                                  const std::string& common_name) {
  std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_EC_gen("P-256"));
  if (!key) return Internal("cannot generate a TLS key");
  std::unique_ptr<X509, X509Free> cert(X509_new());
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof(serial)) != 1) return Internal("no randomness for the certificate serial");
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof(serial), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  if (!AddExtension(cert.get(), NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost") ||
      !AddExtension(cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
      !AddExtension(cert.get(), NID_key_usage, "critical,digitalSignature,keyCertSign") ||
      !AddExtension(cert.get(), NID_ext_key_usage, "serverAuth,clientAuth")) {
    return Internal("cannot build the certificate extensions");
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) return Internal("cannot sign the certificate");

  // The key first, created exclusively with mode 0600: an existing key is never replaced.
  int fd = open(key_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Unavailable("cannot create " + key_path + " (it may already exist)");
  FILE* kf = fdopen(fd, "w");
  bool ok = kf != nullptr && PEM_write_PrivateKey(kf, key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1 &&
            fflush(kf) == 0 && fsync(fd) == 0;
  if (kf != nullptr) fclose(kf); else close(fd);
  if (!ok) return Unavailable("cannot write " + key_path);

  const std::string tmp = cert_path + ".tmp";
  FILE* cf = fopen(tmp.c_str(), "w");
  if (cf == nullptr) return Unavailable("cannot create " + tmp);
  ok = PEM_write_X509(cf, cert.get()) == 1 && fflush(cf) == 0 && fsync(fileno(cf)) == 0;
  fclose(cf);
  if (!ok || rename(tmp.c_str(), cert_path.c_str()) != 0) return Unavailable("cannot write " + cert_path);
  chmod(cert_path.c_str(), 0644);
  return Status::Ok();
}

}  // namespace brankas
