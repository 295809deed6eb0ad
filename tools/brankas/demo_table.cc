// Text helpers of `brankas demo`: aligned tables, truncation, times.
#include <algorithm>
#include <ctime>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "demo.h"

namespace brankas::tools::demo {
namespace {

// UTF-8 characters in s (continuation bytes are not counted).
size_t Width(std::string_view s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

}  // namespace

RequestContext DemoContext::As(std::string_view user, Role role) {
  return RequestContext{Principal{std::string(user), role, vault.unit()},
                        "demo-" + std::to_string(++next_request), "brankas-demo"};
}

Table::Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void Table::Add(std::vector<std::string> row) {
  row.resize(headers_.size());
  rows_.push_back(std::move(row));
}

void Table::Print(std::ostream& out, std::string_view indent) const {
  std::vector<size_t> widths(headers_.size());
  for (size_t i = 0; i < headers_.size(); ++i) widths[i] = Width(headers_[i]);
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], Width(row[i]));
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text(indent);
    for (size_t i = 0; i < cells.size(); ++i) {
      text += cells[i];
      if (i + 1 < cells.size()) text.append(widths[i] - Width(cells[i]) + 2, ' ');
    }
    out << text << "\n";
  };
  line(headers_);
  std::vector<std::string> rule;
  for (size_t w : widths) rule.emplace_back(w, '-');
  line(rule);
  for (const auto& row : rows_) line(row);
}

std::string Truncate(std::string_view value, size_t max_chars) {
  std::string out;
  size_t chars = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(value[i]);
    bool starts_char = (c & 0xC0) != 0x80;
    if (starts_char && chars == max_chars) {
      out += "…";
      return out;
    }
    if (starts_char) ++chars;
    out.push_back(c == '\n' || c == '\t' || c == '\r' ? ' ' : static_cast<char>(c));
  }
  return out;
}

std::string Cell(std::string_view text, size_t width) {
  std::string cut = Truncate(text, width);
  size_t chars = 0;
  for (unsigned char c : cut) chars += (c & 0xC0) != 0x80;
  return cut + std::string(chars < width ? width - chars : 0, ' ') + "  ";
}

std::string ClockTime(int64_t time_us) {
  std::time_t seconds = static_cast<std::time_t>(time_us / 1'000'000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  std::ostringstream s;
  s << std::put_time(&tm, "%H:%M:%S") << '.' << std::setw(3) << std::setfill('0')
    << (time_us / 1000) % 1000;
  return s.str();
}

void Heading(std::ostream& out, int step, std::string_view title) {
  out << "\n== " << step << ". " << title << " ==\n";
}

Status Context(const Status& status, std::string_view what) {
  return Status(status.code(), std::string(what) + ": " + status.message());
}

std::string JoinOrNone(const std::vector<std::string>& items) {
  if (items.empty()) return "(none)";
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

void PrintList(std::ostream& out, std::string_view label, const std::vector<std::string>& items) {
  constexpr size_t kColumns = 100;
  std::string line = "  " + std::string(label) + ":";
  if (items.empty()) line += " (none)";
  for (size_t i = 0; i < items.size(); ++i) {
    std::string item = items[i] + (i + 1 < items.size() ? "," : "");
    if (line.size() + 1 + item.size() > kColumns) {
      out << line << "\n";
      line = "   ";
    }
    line += " " + item;
  }
  out << line << "\n";
}

}  // namespace brankas::tools::demo
