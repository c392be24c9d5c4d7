// storegate C++ SDK: header-only, compiled into each plugin, over the C ABI of plugin.h.
//
// A plugin is a class derived from storegate::sdk::Plugin, constructed from a Host and a
// Config, plus one STOREGATE_PLUGIN(...) line that exports the descriptor. The SDK's
// trampolines catch every exception at the boundary and turn it into a status and a
// message (set_error), so nothing C++ ever crosses into the host.
//
// Threading: the host calls start/stop/deliver/reconfigure/command on its own threads,
// never two at once for one instance (health excepted). Host methods are thread-safe.
// Lifetime: the object lives from create to destroy; the Host handle is valid for the
// same span, but calls through it fail with SG_ERR_CLOSED once stop has returned.
#ifndef STOREGATE_SDK_HPP
#define STOREGATE_SDK_HPP

#include <storegate/plugin.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace storegate::sdk {

constexpr sg_str str(std::string_view s) noexcept {
  return sg_str{s.data(), s.size()};
}
constexpr std::string_view view(sg_str s) noexcept {
  return s.ptr == nullptr ? std::string_view{} : std::string_view{s.ptr, s.len};
}
inline std::string_view view(sg_bytes b) noexcept {
  return b.ptr == nullptr ? std::string_view{}
                          : std::string_view{reinterpret_cast<const char*>(b.ptr), b.len};
}
inline sg_bytes bytes(std::string_view s) noexcept {
  return sg_bytes{reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Drops a status on purpose: `because` says why the plugin may go on either way, so every
// ignored status is greppable and reasoned (never a bare cast to void).
template <typename T>
constexpr void ignore(T&& status, std::string_view because) noexcept {
  static_cast<void>(status);
  static_cast<void>(because);
}

// The deepest nesting of objects and arrays in `text`, read as JSON (strings and escapes
// skipped), in one pass without allocating: check it before handing input from outside to a
// recursive parser or to nlohmann::json (whose copy and dump recurse, so a 200 KB body of
// brackets overflows the stack). Malformed text is not refused here; the parser does that.
constexpr size_t kMaxJsonDepth = 64;  // what the bundled plugins accept
constexpr size_t jsonNesting(std::string_view text) noexcept {
  size_t depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

// Throw from any plugin method to fail it with a specific status; the message reaches the
// host's logs and the admin API. Any other exception fails with SG_ERR_FAILED.
class Error : public std::runtime_error {
 public:
  explicit Error(std::string message, sg_status status = SG_ERR_FAILED)
      : std::runtime_error(std::move(message)), status_(status) {}
  [[nodiscard]] sg_status status() const noexcept { return status_; }

 private:
  sg_status status_;
};

// ---- Properties: a constexpr builder for the static property table ----------------------

class Property {
 public:
  static constexpr Property String(std::string_view name, std::string_view description) {
    return Property(SG_PROP_STRING, name, description);
  }
  static constexpr Property Int(std::string_view name, std::string_view description) {
    return Property(SG_PROP_INT, name, description);
  }
  static constexpr Property Double(std::string_view name, std::string_view description) {
    return Property(SG_PROP_DOUBLE, name, description);
  }
  static constexpr Property Bool(std::string_view name, std::string_view description) {
    return Property(SG_PROP_BOOL, name, description);
  }
  static constexpr Property Duration(std::string_view name, std::string_view description) {
    return Property(SG_PROP_DURATION, name, description);
  }
  static constexpr Property Size(std::string_view name, std::string_view description) {
    return Property(SG_PROP_SIZE, name, description);
  }
  static constexpr Property Enum(std::string_view name, std::string_view description,
                                 const sg_str* allowed, size_t allowed_count) {
    Property p(SG_PROP_ENUM, name, description);
    p.p_.allowed = allowed;
    p.p_.allowed_count = allowed_count;
    return p;
  }
  static constexpr Property List(std::string_view name, std::string_view description) {
    return Property(SG_PROP_LIST, name, description);
  }
  static constexpr Property Object(std::string_view name, std::string_view description) {
    return Property(SG_PROP_OBJECT, name, description);
  }

  constexpr Property defaultValue(std::string_view text) const {
    Property c = *this;
    c.p_.default_value = str(text);
    return c;
  }
  constexpr Property required() const { return with(SG_PROP_REQUIRED); }
  constexpr Property secret() const { return with(SG_PROP_SECRET); }
  constexpr Property reloadable() const { return with(SG_PROP_RELOADABLE); }
  // A file or directory; the host makes a relative value absolute (config file's dir).
  constexpr Property path() const { return with(SG_PROP_PATH); }
  constexpr Property min(double v) const {
    Property c = with(SG_PROP_HAS_MIN);
    c.p_.min = v;
    return c;
  }
  constexpr Property max(double v) const {
    Property c = with(SG_PROP_HAS_MAX);
    c.p_.max = v;
    return c;
  }
  constexpr Property range(double lo, double hi) const { return min(lo).max(hi); }

  constexpr operator sg_property() const { return p_; }  // NOLINT: implicit by design

 private:
  constexpr Property(sg_prop_type type, std::string_view name, std::string_view description)
      : p_{sizeof(sg_property),
           type,
           str(name),
           str(description),
           sg_str{nullptr, 0},
           0,
           0,
           0.0,
           0.0,
           nullptr,
           0} {}
  constexpr Property with(sg_prop_flags f) const {
    Property c = *this;
    c.p_.flags |= f;
    return c;
  }
  sg_property p_;
};

// ---- Config: typed read access to the validated values ----------------------------------

// Borrowed view of the config handed to the constructor or reconfigure: copy what you keep.
class Config {
 public:
  explicit Config(const sg_config* c) : c_(c) {}

  [[nodiscard]] bool isSet(std::string_view name) const {
    const sg_config_value* v = find(name);
    return v != nullptr && v->is_set != 0;
  }
  [[nodiscard]] std::string getString(std::string_view name) const {
    return std::string(view(need(name).text));
  }
  [[nodiscard]] int64_t getInt(std::string_view name) const { return need(name).int_value; }
  [[nodiscard]] double getDouble(std::string_view name) const { return need(name).double_value; }
  [[nodiscard]] bool getBool(std::string_view name) const { return need(name).int_value != 0; }
  [[nodiscard]] std::chrono::milliseconds getDuration(std::string_view name) const {
    return std::chrono::milliseconds(need(name).int_value);
  }
  [[nodiscard]] uint64_t getSize(std::string_view name) const {
    return static_cast<uint64_t>(need(name).int_value);
  }
  // LIST and OBJECT properties, as JSON text.
  [[nodiscard]] std::string getJson(std::string_view name) const {
    return std::string(view(need(name).text));
  }

 private:
  const sg_config_value* find(std::string_view name) const {
    if (c_ == nullptr) return nullptr;
    for (size_t i = 0; i < c_->count; ++i) {
      if (view(c_->values[i].name) == name) return &c_->values[i];
    }
    return nullptr;
  }
  const sg_config_value& need(std::string_view name) const {
    const sg_config_value* v = find(name);
    if (v == nullptr || v->is_set == 0) {
      throw Error("config property '" + std::string(name) + "' is not set", SG_ERR_INVALID);
    }
    return *v;
  }
  const sg_config* c_;
};

// ---- Events -------------------------------------------------------------------------------

// An event a plugin builds and emits. Empty fields are filled by the host (see sg_event).
struct Event {
  std::string type;
  std::string data;
  std::string subject;
  std::string dedupkey;
  std::string id;
  std::string source;
  std::string datacontenttype;
  int64_t time_unix_ns = 0;

  // A view valid while this Event is alive and unchanged.
  [[nodiscard]] sg_event toView() const {
    sg_event e{};
    e.struct_size = sizeof(sg_event);
    e.id = str(id);
    e.source = str(source);
    e.type = str(type);
    e.subject = str(subject);
    e.datacontenttype = str(datacontenttype);
    e.dedupkey = str(dedupkey);
    e.time_unix_ns = time_unix_ns;
    e.data = bytes(data);
    return e;
  }
};

// Renders a delivered event as one CloudEvents 1.0 structured-mode JSON object. JSON data
// is embedded as is (the host validated it on emit); anything else goes as data_base64.
std::string toCloudEventJson(const sg_event& e);

// ---- Host: what the plugin may call --------------------------------------------------------

class Host {
 public:
  Host(const sg_host* host, sg_host_ctx* ctx, std::string instance_name, std::string store_id)
      : host_(host),
        ctx_(ctx),
        instance_name_(std::move(instance_name)),
        store_id_(std::move(store_id)) {}

  [[nodiscard]] const std::string& instanceName() const noexcept { return instance_name_; }
  [[nodiscard]] const std::string& storeId() const noexcept { return store_id_; }

  void log(sg_log_level level, std::string_view message) const {
    host_->log(ctx_, level, str(message));
  }
  void debug(std::string_view m) const { log(SG_LOG_DEBUG, m); }
  void info(std::string_view m) const { log(SG_LOG_INFO, m); }
  void warn(std::string_view m) const { log(SG_LOG_WARN, m); }
  void error(std::string_view m) const { log(SG_LOG_ERROR, m); }
  void setError(std::string_view m) const { host_->set_error(ctx_, str(m)); }

  // Returns the host's status: SG_OK once durable, or BACKPRESSURE / INVALID / CLOSED.
  [[nodiscard]] sg_status emit(const Event& e) const {
    const sg_event v = e.toView();
    return host_->emit(ctx_, &v);
  }
  [[nodiscard]] sg_status emitBatch(std::span<const Event> events) const {
    std::vector<sg_event> views;
    views.reserve(events.size());
    for (const Event& e : events) views.push_back(e.toView());
    return host_->emit_batch(ctx_, views.data(), views.size());
  }

  [[nodiscard]] std::optional<std::string> stateGet(std::string_view key) const {
    std::string out;
    const sg_status s = host_->state_get(
        ctx_, str(key),
        [](void* user, sg_bytes value) { static_cast<std::string*>(user)->assign(view(value)); },
        &out);
    if (s == SG_OK) return out;
    if (s == SG_ERR_NOT_FOUND) return std::nullopt;
    throw Error("state_get('" + std::string(key) + "') failed with status " + std::to_string(s), s);
  }
  [[nodiscard]] sg_status statePut(std::string_view key, std::string_view value) const {
    return host_->state_put(ctx_, str(key), bytes(value));
  }
  [[nodiscard]] sg_status stateDelete(std::string_view key) const {
    return host_->state_delete(ctx_, str(key));
  }

  void counterAdd(std::string_view name, double v = 1) const {
    host_->metric(ctx_, str(name), SG_METRIC_COUNTER_ADD, v);
  }
  void gaugeSet(std::string_view name, double v) const {
    host_->metric(ctx_, str(name), SG_METRIC_GAUGE_SET, v);
  }
  [[nodiscard]] int64_t nowUnixNs() const { return host_->now_unix_ns(ctx_); }

 private:
  const sg_host* host_;
  sg_host_ctx* ctx_;
  std::string instance_name_;
  std::string store_id_;
};

// ---- Plugin base class ----------------------------------------------------------------------

// A query's answer: its media type (e.g. "image/png") and the bytes.
struct QueryReply {
  std::string media_type;
  std::string body;
};

struct DeliveryOutcome {
  sg_status status = SG_OK;  // SG_OK, SG_ERR_RETRY or SG_ERR_REJECTED
  size_t accepted = 0;
  std::chrono::milliseconds retry_after{0};

  static DeliveryOutcome all(size_t n) { return {SG_OK, n, {}}; }
  static DeliveryOutcome retry(size_t accepted, std::chrono::milliseconds after = {}) {
    return {SG_ERR_RETRY, accepted, after};
  }
  static DeliveryOutcome reject(size_t accepted) { return {SG_ERR_REJECTED, accepted, {}}; }
};

class Plugin {
 public:
  explicit Plugin(Host host) : host_(std::move(host)) {}
  Plugin(const Plugin&) = delete;
  Plugin& operator=(const Plugin&) = delete;
  virtual ~Plugin() = default;

  // Start work: spawn threads, open sockets. Throw to fail the start.
  virtual void start() {}
  // Stop work and join every thread before returning (see sg_plugin_vtable.stop).
  virtual void stop(std::chrono::milliseconds /*deadline*/) {}
  // Sinks override this. Events are borrowed for the call.
  virtual DeliveryOutcome deliver(std::span<const sg_event> /*events*/) {
    throw Error("this plugin is not a sink", SG_ERR_UNSUPPORTED);
  }
  // Apply a config whose changes are all reloadable; throw to keep the old one.
  virtual void reconfigure(const Config& /*config*/) {
    throw Error("reconfigure is not supported", SG_ERR_UNSUPPORTED);
  }
  virtual void command(std::string_view name, std::string_view /*payload*/) {
    throw Error("unknown command '" + std::string(name) + "'", SG_ERR_UNSUPPORTED);
  }
  [[nodiscard]] virtual sg_health_level health() { return SG_HEALTH_OK; }
  // Answers an operator's question with data (see sg_plugin_vtable.query): called from
  // a host thread while the plugin runs, concurrently with its own threads. Throw
  // Error(…, SG_ERR_UNSUPPORTED) for an unknown name, SG_ERR_TIMEOUT when it cannot answer.
  virtual QueryReply query(std::string_view name, std::string_view /*payload*/) {
    throw Error("unknown query '" + std::string(name) + "'", SG_ERR_UNSUPPORTED);
  }

  [[nodiscard]] const Host& host() const noexcept { return host_; }

 private:
  Host host_;
};

// ---- Registration -----------------------------------------------------------------------------

// A JSON Schema for a LIST or OBJECT property (ABI 1.2): what --plugin-schema, the docs
// and the console show for it.
constexpr sg_property_schema propertySchema(std::string_view property, std::string_view schema) {
  return sg_property_schema{{property.data(), property.size()}, {schema.data(), schema.size()}};
}

struct PluginInfo {
  std::string_view name;
  std::string_view version;
  std::string_view vendor;
  std::string_view description;
  sg_plugin_kind kinds = SG_KIND_UNSPECIFIED;
  sg_plugin_flags flags = 0;
  std::span<const sg_property> properties{};
  std::span<const sg_property_schema> schemas{};
};

// What a plugin's static validateConfig reports (ABI 1.2): each problem with its path in
// the instance's config. A plugin class opts in by declaring
//   static void validateConfig(const sdk::Config& config, sdk::ConfigIssues& issues);
// the host then calls it for --check-config, reloads and the API's validation, with no
// instance created; it must not do I/O or start anything. Throwing sdk::Error counts as one
// issue for the config as a whole.
class ConfigIssues {
 public:
  void add(std::string path, std::string message) {
    issues_.emplace_back(std::move(path), std::move(message));
  }
  [[nodiscard]] bool empty() const { return issues_.empty(); }
  [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& all() const {
    return issues_;
  }

 private:
  std::vector<std::pair<std::string, std::string>> issues_;
};

namespace detail {

inline sg_instance* toHandle(Plugin* p) noexcept {
  return reinterpret_cast<sg_instance*>(p);
}
inline Plugin* fromHandle(sg_instance* i) noexcept {
  return reinterpret_cast<Plugin*>(i);
}

// Runs `fn`, turning any exception into a status and a message for the host.
template <typename Fn>
sg_status guarded(const Host* host, Fn&& fn) noexcept {
  try {
    fn();
    return SG_OK;
  } catch (const Error& e) {
    if (host != nullptr) host->setError(e.what());
    return e.status() == SG_OK ? SG_ERR_FAILED : e.status();
  } catch (const std::exception& e) {
    if (host != nullptr) host->setError(e.what());
    return SG_ERR_FAILED;
  } catch (...) {
    if (host != nullptr) host->setError("unknown exception");
    return SG_ERR_FAILED;
  }
}

template <typename T>
struct Trampolines {
  static sg_status create(const sg_host* host, sg_host_ctx* ctx, const sg_create_args* args,
                          sg_instance** out) noexcept {
    Host h(host, ctx, std::string(view(args->instance_name)), std::string(view(args->store_id)));
    return guarded(&h, [&] {
      Config cfg(args->config);
      *out = toHandle(new T(h, cfg));
    });
  }
  static sg_status start(sg_instance* i) noexcept {
    Plugin* p = fromHandle(i);
    return guarded(&p->host(), [&] { p->start(); });
  }
  static sg_status reconfigure(sg_instance* i, const sg_config* c) noexcept {
    Plugin* p = fromHandle(i);
    return guarded(&p->host(), [&] { p->reconfigure(Config(c)); });
  }
  static sg_status deliver(sg_instance* i, const sg_event* events, size_t n,
                           sg_delivery_result* result) noexcept {
    Plugin* p = fromHandle(i);
    DeliveryOutcome o;
    const sg_status s = guarded(&p->host(), [&] { o = p->deliver({events, n}); });
    if (s != SG_OK) {
      result->accepted = 0;
      result->retry_after_ms = 0;
      return s;
    }
    result->accepted = o.accepted > n ? n : o.accepted;
    result->retry_after_ms = o.retry_after.count();
    return o.status;
  }
  static sg_status command(sg_instance* i, sg_str name, sg_bytes payload) noexcept {
    Plugin* p = fromHandle(i);
    return guarded(&p->host(), [&] { p->command(view(name), view(payload)); });
  }
  static sg_health_level health(sg_instance* i) noexcept {
    Plugin* p = fromHandle(i);
    sg_health_level level = SG_HEALTH_UNSPECIFIED;
    if (guarded(&p->host(), [&] { level = p->health(); }) != SG_OK) return SG_HEALTH_FAILING;
    return level;
  }
  static sg_status query(sg_instance* i, sg_str name, sg_bytes payload, sg_reply_fn reply,
                         void* user) noexcept {
    Plugin* p = fromHandle(i);
    return guarded(&p->host(), [&] {
      const QueryReply r = p->query(view(name), view(payload));
      reply(user, sg_str{r.media_type.data(), r.media_type.size()},
            sg_bytes{reinterpret_cast<const uint8_t*>(r.body.data()), r.body.size()});
    });
  }
  static sg_status stop(sg_instance* i, int64_t deadline_ms) noexcept {
    Plugin* p = fromHandle(i);
    return guarded(&p->host(), [&] { p->stop(std::chrono::milliseconds(deadline_ms)); });
  }
  static void destroy(sg_instance* i) noexcept {
    try {
      delete fromHandle(i);
    } catch (...) {  // a throwing destructor must not cross the boundary
    }
  }
  static constexpr bool kValidates = requires(const Config& c, ConfigIssues& i) {
    T::validateConfig(c, i);
  };
  static sg_status validate(const sg_config* c, sg_issue_fn report, void* user) noexcept {
    ConfigIssues issues;
    try {
      if constexpr (kValidates) T::validateConfig(Config(c), issues);
    } catch (const std::exception& e) {
      issues.add("", e.what());
    } catch (...) {
      issues.add("", "unknown exception");
    }
    for (const auto& [path, message] : issues.all())
      report(user, sg_str{path.data(), path.size()}, sg_str{message.data(), message.size()});
    return issues.empty() ? SG_OK : SG_ERR_INVALID;
  }

  // The table as each minor version of ABI 1 knows it: a host of an older minor gets a
  // struct_size that ends where its version's table ends (see negotiate).
  static constexpr sg_plugin_vtable tableFor(uint32_t minor) {
    return sg_plugin_vtable{
        static_cast<uint32_t>(minor >= 2   ? sizeof(sg_plugin_vtable)
                              : minor == 1 ? offsetof(sg_plugin_vtable, validate)
                                           : offsetof(sg_plugin_vtable, query)),
        0,
        &create,
        &start,
        &reconfigure,
        &deliver,
        &command,
        &health,
        &stop,
        &destroy,
        minor >= 1 ? &query : nullptr,
        minor >= 2 && kValidates ? &validate : nullptr};
  }
};

template <typename T>
inline constexpr sg_plugin_vtable kVtables[SG_ABI_MINOR + 1] = {
    Trampolines<T>::tableFor(0), Trampolines<T>::tableFor(1), Trampolines<T>::tableFor(2)};
// A new minor needs its entry here and in STOREGATE_PLUGIN's kByMinor.
static_assert(SG_ABI_MINOR == 2, "add the new minor's tables to kVtables and kByMinor");

constexpr sg_plugin_descriptor describe(const PluginInfo& info, const sg_plugin_vtable* vt,
                                        uint32_t minor) {
  return sg_plugin_descriptor{
      static_cast<uint32_t>(minor >= 2 ? sizeof(sg_plugin_descriptor)
                                       : offsetof(sg_plugin_descriptor, schemas)),
      SG_ABI_VERSION(SG_ABI_MAJOR, minor),
      str(info.name),
      str(info.version),
      str(info.vendor),
      str(info.description),
      info.kinds,
      info.flags,
      info.properties.data(),
      info.properties.size(),
      vt,
      minor >= 2 ? info.schemas.data() : nullptr,
      minor >= 2 ? info.schemas.size() : 0};
}

// This SDK speaks 1.0 up to its own minor; it answers with the newest of those inside the
// host's range [lo, hi], or nullptr when none is (another major).
constexpr const sg_plugin_descriptor* negotiate(const sg_plugin_descriptor* by_minor, uint32_t lo,
                                                uint32_t hi) {
  const uint32_t ours = SG_ABI_VERSION(SG_ABI_MAJOR, SG_ABI_MINOR);
  const uint32_t pick = hi < ours ? hi : ours;
  if (SG_ABI_VERSION_MAJOR(pick) != SG_ABI_MAJOR || pick < lo) return nullptr;
  return &by_minor[SG_ABI_VERSION_MINOR(pick)];
}

// Appends `s` escaped for the inside of a JSON string (no quotes added).
inline void appendJsonEscaped(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xF]);
        } else {
          out.push_back(ch);
        }
    }
  }
}

inline void appendJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  appendJsonEscaped(out, s);
  out.push_back('"');
}

inline std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t n =
        (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8) | uint8_t(in[i + 2]);
    out += {kAlphabet[n >> 18], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63],
            kAlphabet[n & 63]};
  }
  if (i + 1 == in.size()) {
    const uint32_t n = uint32_t(uint8_t(in[i])) << 16;
    out += {kAlphabet[n >> 18], kAlphabet[(n >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const uint32_t n = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8);
    out += {kAlphabet[n >> 18], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63], '='};
  }
  return out;
}

inline std::string rfc3339(int64_t unix_ns) {
  const int64_t secs = unix_ns >= 0 ? unix_ns / 1000000000 : (unix_ns - 999999999) / 1000000000;
  const auto ms = static_cast<int>((unix_ns - secs * 1000000000) / 1000000);
  const std::chrono::sys_days day{
      std::chrono::floor<std::chrono::days>(std::chrono::seconds(secs))};
  const std::chrono::year_month_day ymd{day};
  const int64_t sod = secs - std::chrono::sys_seconds(day).time_since_epoch().count();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), int(sod / 3600), int(sod / 60 % 60),
                int(sod % 60), ms);
  return buf;
}

}  // namespace detail

inline std::string toCloudEventJson(const sg_event& e) {
  using detail::appendJsonString;
  std::string out;
  out.reserve(192 + e.data.len);
  out += "{\"specversion\":\"1.0\",\"id\":";
  appendJsonString(out, view(e.id));
  out += ",\"source\":";
  appendJsonString(out, view(e.source));
  out += ",\"type\":";
  appendJsonString(out, view(e.type));
  out += ",\"time\":";
  appendJsonString(out, detail::rfc3339(e.time_unix_ns));
  if (e.subject.len > 0) {
    out += ",\"subject\":";
    appendJsonString(out, view(e.subject));
  }
  out += ",\"storeid\":";
  appendJsonString(out, view(e.storeid));
  if (e.dedupkey.len > 0) {
    out += ",\"dedupkey\":";
    appendJsonString(out, view(e.dedupkey));
  }
  out += ",\"sequence\":" + std::to_string(e.sequence);
  const std::string_view ct = view(e.datacontenttype);
  out += ",\"datacontenttype\":";
  appendJsonString(out, ct);
  if (e.data.len > 0) {
    if (ct == "application/json" || (ct.size() > 5 && ct.substr(ct.size() - 5) == "+json")) {
      out += ",\"data\":";
      out += view(e.data);
    } else {
      out += ",\"data_base64\":\"" + detail::base64(view(e.data)) + "\"";
    }
  }
  out += "}";
  return out;
}

}  // namespace storegate::sdk

// Exports the plugin: STOREGATE_PLUGIN(MyPlugin, (storegate::sdk::PluginInfo{...})).
// MyPlugin must be constructible from (storegate::sdk::Host, const storegate::sdk::Config&).
#define STOREGATE_PLUGIN(PluginClass, info)                                                      \
  extern "C" SG_PLUGIN_EXPORT const sg_plugin_descriptor* storegate_plugin_query(                \
      uint32_t host_min_version, uint32_t host_max_version) {                                    \
    constexpr const sg_plugin_vtable* kTables = ::storegate::sdk::detail::kVtables<PluginClass>; \
    static constexpr sg_plugin_descriptor kByMinor[] = {                                         \
        ::storegate::sdk::detail::describe(info, &kTables[0], 0),                                \
        ::storegate::sdk::detail::describe(info, &kTables[1], 1),                                \
        ::storegate::sdk::detail::describe(info, &kTables[2], 2)};                               \
    return ::storegate::sdk::detail::negotiate(kByMinor, host_min_version, host_max_version);    \
  }

#endif  // STOREGATE_SDK_HPP
