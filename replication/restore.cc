#include "replication/restore.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>

#include "brankas/changelog.h"
#include "brankas/crypto.h"
#include "brankas/types.h"
#include "brankas/keys.h"
#include "brankas/replication.h"
#include "replication/channel.h"

namespace brankas::repl {
namespace {

namespace fs = std::filesystem;
constexpr size_t kMaxChunkFrame = 64u << 20;


Status RefusalFrom(const Frame& frame) {
  auto err = DecodeError(frame.payload);
  if (!err.ok()) return Unavailable("the central node sent an undecodable error");
  return FailedPrecondition(std::string("the central node refused: ") + ErrorCodeName(err->code) + ": " + err->text);
}

Status SyncDirectory(const fs::path& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Unavailable("cannot open " + dir.string());
  int rc = fsync(fd);
  close(fd);
  return rc == 0 ? Status::Ok() : Unavailable("cannot sync " + dir.string());
}

}  // namespace

Result<RestoreReport> RestoreFromCentral(const RestoreOptions& options) {
  BRANKAS_RETURN_IF_ERROR(InitCrypto());
  const auto start = std::chrono::steady_clock::now();
  std::string host;
  uint16_t port = 0;
  if (!ParseHostPort(options.central, 1, &host, &port)) return InvalidArgument("--from must be HOST:PORT");
  BRANKAS_RETURN_IF_ERROR(ValidatePin(options.central_pin));
  std::string expected_key;
  if (!options.node_key_hex.empty() &&
      (!FromHex(options.node_key_hex, &expected_key) || expected_key.size() != kSignPublicKeySize)) {
    return InvalidArgument("the node key must be 64 hex digits");
  }
  const fs::path target = fs::absolute(options.data_dir).lexically_normal();
  if (target.filename().empty()) return InvalidArgument("the data directory needs a name");
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  const fs::path temp = target.parent_path() / (target.filename().string() + ".restore-" + ToHex(RandomBytes(4)));

  BRANKAS_ASSIGN_OR_RETURN(auto tls, MakeChannelContext(/*server=*/false, options.tls_cert, options.tls_key));
  RestoreReport report;
  {
    BRANKAS_ASSIGN_OR_RETURN(auto ch, TlsChannel::Connect(tls, host, port, options.central_pin,
                                                          options.connect_timeout_ms));
    BRANKAS_RETURN_IF_ERROR(ch->WriteFrame(MsgType::kPull, Encode(Pull{options.unit}), options.io_timeout_ms));
    StoreOptions so;
    so.create_if_missing = true;
    BRANKAS_ASSIGN_OR_RETURN(auto store, OpenRocksStore(temp.string(), so));
    auto fail = [&](Status s) {
      store.reset();
      fs::remove_all(temp, ec);
      return s;
    };
    DigestBuilder digest;
    for (;;) {
      auto frame = ch->ReadFrame(kMaxChunkFrame, options.io_timeout_ms);
      if (!frame.ok()) return fail(frame.status());
      if (frame->type == MsgType::kError) return fail(RefusalFrom(*frame));
      if (frame->type == MsgType::kEnd) {
        auto end = DecodeEnd(frame->payload);
        if (!end.ok()) return fail(end.status());
        report.central_cursor = end->cursor;
        if (end->count != digest.count() || end->digest != digest.Finish()) {
          return fail(Corruption("what arrived does not match the central node's digest"));
        }
        break;
      }
      if (frame->type != MsgType::kChunk) return fail(Unavailable("unexpected message during the pull"));
      report.bytes += frame->payload.size();
      auto chunk = DecodeChunk(frame->payload);
      if (!chunk.ok()) return fail(chunk.status());
      Batch b;
      for (Record& r : chunk->records) {
        if (!IsReplicated(r.column, r.key)) return fail(Corruption("the pull carried node-local state"));
        digest.Add(r.column, r.key, r.value);
        b.Put(r.column, std::move(r.key), std::move(r.value));
      }
      report.records += chunk->records.size();
      Status s = store->Write(b, Durability::kNoSync);
      if (!s.ok()) return fail(s);
      if (options.progress) options.progress(report.records, report.bytes);
    }
    ch->Close();

    // Verify before anything is swapped in or fenced.
    auto generation = store->Get(Column::kMeta, kGenerationKey);
    if (!generation.ok() || !*generation || (*generation)->size() != 16) {
      return fail(Corruption("the restored data has no generation"));
    }
    report.old_generation = **generation;
    if (report.old_generation != report.central_cursor.generation) {
      return fail(Corruption("the restored generation differs from the central node's cursor"));
    }
    auto node_key = LoadNodePublicKey(*store);
    if (!node_key.ok()) return fail(Corruption("the restored data has no node key"));
    if (!expected_key.empty() && *node_key != expected_key) {
      return fail(Corruption("the restored data belongs to another node key"));
    }
    auto audit = VerifyAuditChain(*store, *node_key);
    if (!audit.ok()) return fail(audit.status());
    report.audit = *audit;
    if (!audit->intact) {
      return fail(Corruption("the restored audit trail does not verify at seq " +
                             std::to_string(audit->first_bad_seq) + ": " + audit->problem));
    }
    report.new_generation = RandomBytes(16);
    Batch gen;
    gen.Put(Column::kMeta, kGenerationKey, report.new_generation);
    Status s = store->Write(gen, Durability::kSync);
    if (s.ok()) s = store->Flush();
    if (!s.ok()) return fail(s);
  }

  // Retire the old generation at the central node, then swap in. On any
  // failure here the temporary directory goes; a new restore starts afresh.
  auto fence = [&]() -> Status {
    BRANKAS_ASSIGN_OR_RETURN(auto ch, TlsChannel::Connect(tls, host, port, options.central_pin,
                                                          options.connect_timeout_ms));
    BRANKAS_RETURN_IF_ERROR(ch->WriteFrame(MsgType::kFence, Encode(Fence{report.old_generation, report.new_generation}),
                                           options.io_timeout_ms));
    BRANKAS_ASSIGN_OR_RETURN(Frame reply, ch->ReadFrame(1 << 16, options.io_timeout_ms));
    if (reply.type == MsgType::kError) return RefusalFrom(reply);
    if (reply.type != MsgType::kFenced) return Unavailable("unexpected reply to the fence");
    ch->Close();
    return Status::Ok();
  };
  if (Status s = fence(); !s.ok()) {
    fs::remove_all(temp, ec);
    return s;
  }
  if (fs::exists(target, ec)) {
    char stamp[32];
    std::time_t now = std::time(nullptr);
    std::strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", std::gmtime(&now));
    fs::path aside = target.parent_path() / (target.filename().string() + ".replaced-" + stamp);
    fs::rename(target, aside, ec);
    if (ec) return Unavailable("cannot move the existing data directory aside: " + ec.message());
    report.moved_aside = aside.string();
  }
  fs::rename(temp, target, ec);
  if (ec) return Unavailable("cannot move the restored directory into place: " + ec.message());
  BRANKAS_RETURN_IF_ERROR(SyncDirectory(target.parent_path()));
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace brankas::repl
