// Conversions between the core's Event and the ABI's borrowed sg_event view.
#include "event/event.hpp"

#include <cstddef>
#include <string_view>

namespace storegate {
namespace {

sg_str toStr(const std::string& s) {
  return sg_str{s.data(), s.size()};
}

std::string fromStr(sg_str s) {
  return s.ptr == nullptr ? std::string() : std::string(s.ptr, s.len);
}

// True when the plugin's sg_event (possibly from an older minor ABI) holds `field`.
#define SG_EVENT_HAS(e, field) ((e).struct_size >= offsetof(sg_event, field) + sizeof((e).field))

}  // namespace

sg_event Event::view() const {
  sg_event e{};
  e.struct_size = sizeof(sg_event);
  e.id = toStr(id);
  e.source = toStr(source);
  e.type = toStr(type);
  e.subject = toStr(subject);
  e.datacontenttype = toStr(datacontenttype);
  e.dedupkey = toStr(dedupkey);
  e.storeid = toStr(storeid);
  e.time_unix_ns = time_unix_ns;
  e.sequence = sequence;
  e.data = sg_bytes{reinterpret_cast<const uint8_t*>(data.data()), data.size()};
  return e;
}

Event Event::fromView(const sg_event& e) {
  Event out;
  if (SG_EVENT_HAS(e, id)) out.id = fromStr(e.id);
  if (SG_EVENT_HAS(e, source)) out.source = fromStr(e.source);
  if (SG_EVENT_HAS(e, type)) out.type = fromStr(e.type);
  if (SG_EVENT_HAS(e, subject)) out.subject = fromStr(e.subject);
  if (SG_EVENT_HAS(e, datacontenttype)) out.datacontenttype = fromStr(e.datacontenttype);
  if (SG_EVENT_HAS(e, dedupkey)) out.dedupkey = fromStr(e.dedupkey);
  if (SG_EVENT_HAS(e, time_unix_ns)) out.time_unix_ns = e.time_unix_ns;
  if (SG_EVENT_HAS(e, data) && e.data.ptr != nullptr) {
    out.data.assign(reinterpret_cast<const char*>(e.data.ptr), e.data.len);
  }
  return out;
}

size_t Event::approximateSize() const {
  return id.size() + source.size() + type.size() + subject.size() + datacontenttype.size() +
         storeid.size() + dedupkey.size() + data.size() + 24;
}

}  // namespace storegate
