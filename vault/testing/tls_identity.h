// A self-signed TLS identity in a test's temporary directory, with its pin:
// what the replication tests give a central node and its units.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "brankas/replication.h"
#include "brankas/server.h"
#include "testing/temp_dir.h"

namespace brankas::testing {

struct Identity {
  std::string cert, key, pin;
};

// NAME-cert.pem and NAME-key.pem in `dir`.
inline Identity MakeIdentity(const TempDir& dir, const std::string& name) {
  Identity id{dir.Sub(name + "-cert.pem"), dir.Sub(name + "-key.pem"), ""};
  EXPECT_TRUE(GenerateSelfSignedIdentity(id.cert, id.key, name).ok());
  auto pin = PinOfCertificateFile(id.cert);
  EXPECT_TRUE(pin.ok());
  id.pin = pin.ok() ? *pin : "";
  return id;
}

}  // namespace brankas::testing
