// Encoding and bounds-checked decoding of the binary event envelope.
#include "event/codec.hpp"

#include <cstdint>

namespace storegate {
namespace {

void putVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void putString(std::string& out, std::string_view s) {
  putVarint(out, s.size());
  out.append(s);
}

uint64_t zigzag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t unzigzag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  bool varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return false;
      const auto byte = static_cast<uint8_t>(in_[pos_++]);
      if (shift == 63 && byte > 1) return false;  // overflows 64 bits
      v |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;
  }
  bool string(std::string& s) {
    uint64_t len = 0;
    if (!varint(len) || len > in_.size() - pos_) return false;
    s.assign(in_.substr(pos_, len));
    pos_ += len;
    return true;
  }
  bool byte(uint8_t& b) {
    if (pos_ >= in_.size()) return false;
    b = static_cast<uint8_t>(in_[pos_++]);
    return true;
  }
  [[nodiscard]] bool atEnd() const { return pos_ == in_.size(); }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

bool fail(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
  return false;
}

}  // namespace

void encodeEvent(const Event& e, std::string& out) {
  out.reserve(out.size() + e.approximateSize() + 16);
  out.push_back(static_cast<char>(kEnvelopeMagic));
  out.push_back(static_cast<char>(kEnvelopeVersion));
  putString(out, e.id);
  putString(out, e.source);
  putString(out, e.type);
  putString(out, e.subject);
  putString(out, e.datacontenttype);
  putString(out, e.storeid);
  putString(out, e.dedupkey);
  putVarint(out, zigzag(e.time_unix_ns));
  putString(out, e.data);
}

std::string encodeEvent(const Event& e) {
  std::string out;
  encodeEvent(e, out);
  return out;
}

std::optional<Event> decodeEvent(std::string_view bytes, std::string* error) {
  Reader r(bytes);
  uint8_t magic = 0;
  uint8_t version = 0;
  if (!r.byte(magic) || magic != kEnvelopeMagic) {
    fail(error, "not an event envelope (bad magic byte)");
    return std::nullopt;
  }
  if (!r.byte(version)) {
    fail(error, "truncated before the version byte");
    return std::nullopt;
  }
  if (version != kEnvelopeVersion) {
    fail(error, "unknown envelope version " + std::to_string(version));
    return std::nullopt;
  }
  Event e;
  struct Field {
    const char* name;
    std::string* target;
  };
  const Field fields[] = {{"id", &e.id},
                          {"source", &e.source},
                          {"type", &e.type},
                          {"subject", &e.subject},
                          {"datacontenttype", &e.datacontenttype},
                          {"storeid", &e.storeid},
                          {"dedupkey", &e.dedupkey}};
  for (const Field& f : fields) {
    if (!r.string(*f.target)) {
      fail(error, std::string("truncated in field '") + f.name + "'");
      return std::nullopt;
    }
  }
  uint64_t time = 0;
  if (!r.varint(time)) {
    fail(error, "truncated in field 'time'");
    return std::nullopt;
  }
  e.time_unix_ns = unzigzag(time);
  if (!r.string(e.data)) {
    fail(error, "truncated in field 'data'");
    return std::nullopt;
  }
  if (!r.atEnd()) {
    fail(error, "trailing bytes after the envelope");
    return std::nullopt;
  }
  return e;
}

}  // namespace storegate
