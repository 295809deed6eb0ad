#!/bin/sh
# Container HEALTHCHECK for brankasd: asks GET /v1/health over TLS on the
# loopback address and is healthy when the answer is "ok" or "sealed".
#
# Why "sealed" counts as healthy: every start is sealed until an administrator
# unseals it. An orchestrator that restarts unhealthy containers would restart
# a sealed one forever, and each restart is sealed again. "degraded" (the audit
# or the disk cannot be written) and no answer at all are unhealthy. Whether
# the node is sealed is in the health body: `curl -k https://HOST:8443/v1/health`.
#
# openssl s_client rather than curl: the image needs libssl3 anyway and the
# openssl tool adds nothing else, while curl brings libcurl and a dozen
# libraries. Like `curl -k`, it does not check the certificate: it talks to
# 127.0.0.1 inside the container, and the check is liveness, not identity.
#
# BRANKAS_HEALTH_ADDR overrides the address (default 127.0.0.1:8443) when
# api.listen uses another port.
set -eu
addr=${BRANKAS_HEALTH_ADDR:-127.0.0.1:8443}
# -quiet implies -ign_eof: keep reading after the request is sent until the
# server closes (Connection: close). HEALTHCHECK --timeout bounds the wait.
printf 'GET /v1/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' |
  openssl s_client -quiet -tls1_3 -connect "$addr" 2>/dev/null |
  grep -Eq '"status": *"(ok|sealed)"'
