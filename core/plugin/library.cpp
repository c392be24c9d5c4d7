// Loading, ABI negotiation, descriptor checks and unloading of plugin libraries.
#include "plugin/library.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <fstream>

#include "event/json_check.hpp"

namespace storegate {

std::string abiVersionText(uint32_t v) {
  return std::to_string(SG_ABI_VERSION_MAJOR(v)) + "." + std::to_string(SG_ABI_VERSION_MINOR(v));
}

std::string kindsText(sg_plugin_kind kinds) {
  std::string out;
  if ((kinds & SG_KIND_SOURCE) != 0) out += "source";
  if ((kinds & SG_KIND_SINK) != 0) out += out.empty() ? "sink" : "+sink";
  return out.empty() ? "none" : out;
}

namespace {

std::string copy(sg_str s) {
  return s.ptr == nullptr ? std::string() : std::string(s.ptr, s.len);
}

bool validName(const std::string& n) {
  if (n.empty() || n.size() > 64) return false;
  for (char c : n) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// Smallest table sizes a v1.0 plugin may hand over: up to and including the last v1.0 field.
constexpr size_t kMinDescriptorSize = offsetof(sg_plugin_descriptor, vtable) + sizeof(void*);
constexpr size_t kMinVtableSize = offsetof(sg_plugin_vtable, destroy) + sizeof(void*);
constexpr size_t kSchemasEnd = offsetof(sg_plugin_descriptor, schema_count) + sizeof(size_t);
constexpr size_t kMaxSchemaBytes = 64 << 10;
constexpr size_t kMaxIssues = 100;  // per validate call

// Validates and copies the descriptor; returns the problem or empty.
std::string readDescriptor(const sg_plugin_descriptor* d, PluginInfo& info, sg_plugin_vtable& vt) {
  if (d->struct_size < kMinDescriptorSize) {
    return "descriptor struct_size " + std::to_string(d->struct_size) +
           " is smaller than ABI 1.0's " + std::to_string(kMinDescriptorSize);
  }
  if (SG_ABI_VERSION_MAJOR(d->abi_version) != SG_ABI_MAJOR) {
    return "descriptor claims ABI " + abiVersionText(d->abi_version) + "; this host speaks " +
           abiVersionText(kHostAbiMin) + ".." + abiVersionText(kHostAbiMax);
  }
  info.name = copy(d->name);
  info.version = copy(d->version);
  info.vendor = copy(d->vendor);
  info.description = copy(d->description);
  info.abi_version = d->abi_version;
  info.kinds = d->kinds;
  info.flags = d->flags;
  if (!validName(info.name)) {
    return "plugin name '" + info.name + "' is not 1-64 characters of a-z, 0-9 and _";
  }
  if (info.kinds == SG_KIND_UNSPECIFIED || (info.kinds & ~(SG_KIND_SOURCE | SG_KIND_SINK)) != 0) {
    return "plugin '" + info.name + "' declares kinds " + std::to_string(info.kinds) +
           "; expected source, sink or both";
  }
  if (d->vtable == nullptr) return "plugin '" + info.name + "' has no vtable";
  if (d->vtable->struct_size < kMinVtableSize) {
    return "plugin '" + info.name + "' vtable struct_size " +
           std::to_string(d->vtable->struct_size) + " is smaller than ABI 1.0's " +
           std::to_string(kMinVtableSize);
  }
  // Fields past the plugin's struct_size stay zero, i.e. absent.
  std::memset(&vt, 0, sizeof vt);
  std::memcpy(&vt, d->vtable, std::min<size_t>(d->vtable->struct_size, sizeof vt));
  vt.struct_size = sizeof vt;
  struct Required {
    const char* name;
    const void* fn;
    bool needed;
  };
  const Required required[] = {
      {"create", reinterpret_cast<const void*>(vt.create), true},
      {"start", reinterpret_cast<const void*>(vt.start), true},
      {"stop", reinterpret_cast<const void*>(vt.stop), true},
      {"destroy", reinterpret_cast<const void*>(vt.destroy), true},
      {"deliver", reinterpret_cast<const void*>(vt.deliver), info.isSink()},
  };
  for (const Required& r : required) {
    if (r.needed && r.fn == nullptr) {
      return "plugin '" + info.name + "' is missing required function '" + r.name + "'" +
             (std::strcmp(r.name, "deliver") == 0 ? " (it declares kind sink)" : "");
    }
  }
  if (d->property_count > 0 && d->properties == nullptr) {
    return "plugin '" + info.name + "' declares " + std::to_string(d->property_count) +
           " properties but no table";
  }
  if (d->property_count > 4096) {
    return "plugin '" + info.name + "' declares " + std::to_string(d->property_count) +
           " properties (at most 4096)";
  }
  for (size_t i = 0; i < d->property_count; ++i) {
    // An array: indexed with our sizeof, so each element must be exactly that (ABI 1 freezes
    // sg_property); checked before the next element is read at our stride.
    const sg_property& p = d->properties[i];
    if (p.struct_size != sizeof(sg_property)) {
      return "plugin '" + info.name + "' property " + std::to_string(i) + " struct_size " +
             std::to_string(p.struct_size) + " is not " + std::to_string(sizeof(sg_property)) +
             " (sg_property is frozen for all of ABI 1: rebuild against this SDK)";
    }
    PropertySpec spec;
    spec.name = copy(p.name);
    spec.description = copy(p.description);
    spec.default_value = copy(p.default_value);
    spec.type = p.type;
    spec.flags = p.flags;
    spec.min = p.min;
    spec.max = p.max;
    for (size_t k = 0; k < p.allowed_count && p.allowed != nullptr; ++k) {
      spec.allowed.push_back(copy(p.allowed[k]));
    }
    if (std::string why = checkPropertySpec(spec); !why.empty()) {
      return "plugin '" + info.name + "': " + why;
    }
    for (const PropertySpec& other : info.properties) {
      if (other.name == spec.name) {
        return "plugin '" + info.name + "' declares property '" + spec.name + "' twice";
      }
    }
    info.properties.push_back(std::move(spec));
  }
  if (d->struct_size >= kSchemasEnd && d->schema_count > 0) {
    if (d->schemas == nullptr || d->schema_count > d->property_count)
      return "plugin '" + info.name + "' declares " + std::to_string(d->schema_count) +
             " property schemas but no table, or more than it has properties";
    for (size_t i = 0; i < d->schema_count; ++i) {
      // Lengths checked before anything is copied: they come from the plugin.
      if (d->schemas[i].property.len > 256 || d->schemas[i].json_schema.len > kMaxSchemaBytes)
        return "plugin '" + info.name + "' schema " + std::to_string(i) +
               " is longer than 64 KiB (or its property name than 256 bytes)";
      const std::string name = copy(d->schemas[i].property);
      const std::string text = copy(d->schemas[i].json_schema);
      auto it = std::find_if(info.properties.begin(), info.properties.end(),
                             [&](const PropertySpec& s) { return s.name == name; });
      if (it == info.properties.end() || (it->type != SG_PROP_LIST && it->type != SG_PROP_OBJECT))
        return "plugin '" + info.name + "' has a schema for '" + name +
               "', which is not one of its list or object properties";
      nlohmann::json schema;
      if (text.size() <= kMaxSchemaBytes && isValidJson(text, 32))
        schema = nlohmann::json::parse(text, nullptr, false);
      if (!schema.is_object())
        return "plugin '" + info.name + "' schema of '" + name +
               "' is not a JSON object of at most 64 KiB";
      it->schema = std::move(schema);
    }
  }
  return {};
}

}  // namespace

namespace {
// The verified bytes in a memfd that nobody can change any more (sealed); -1 and `why`.
int sealedCopy(const std::string& bytes, const std::string& name, std::string& why) {
  const int fd =
      ::memfd_create(("storegate-plugin:" + name).c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) {
    why = std::string("cannot make the sealed copy to load (memfd_create: ") +
          std::strerror(errno) + ")";
    return -1;
  }
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      why = std::string("cannot write the sealed copy to load: ") + std::strerror(errno);
      ::close(fd);
      return -1;
    }
    done += static_cast<size_t>(n);
  }
  if (::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
    why = std::string("cannot seal the copy to load: ") + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  return fd;
}
}  // namespace

std::shared_ptr<PluginLibrary> PluginLibrary::open(const std::filesystem::path& path,
                                                   std::string& error,
                                                   const std::string* verified) {
  const std::string where = path.string() + ": ";
  std::error_code fs_ec;
  if (verified == nullptr && !std::filesystem::is_regular_file(path, fs_ec)) {
    error = where + "no such plugin file";
    return nullptr;
  }
  std::shared_ptr<PluginLibrary> lib(new PluginLibrary());
  lib->path_ = std::filesystem::absolute(path, fs_ec);
  lib->load_name_ = lib->path_;
  if (verified != nullptr) {
    std::string why;
    lib->memfd_ = sealedCopy(*verified, lib->path_.filename().string(), why);
    if (lib->memfd_ < 0) {
      error = where + why;
      return nullptr;
    }
    lib->load_name_ = "/proc/self/fd/" + std::to_string(lib->memfd_);
  }
  std::error_code ec;
  lib->lib_.load(lib->load_name_,
                 boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
  if (ec) {
    const char* dl = dlerror();
    error = where + "cannot be loaded: " + (dl != nullptr ? std::string(dl) : ec.message());
    return nullptr;
  }
  if (!lib->lib_.has(SG_PLUGIN_QUERY_SYMBOL)) {
    error = where + "exports no '" SG_PLUGIN_QUERY_SYMBOL
                    "' symbol: not a storegate plugin (build it with storegate_add_plugin)";
    lib->lib_.unload();
    return nullptr;
  }
  auto query =
      lib->lib_.get<const sg_plugin_descriptor*(uint32_t, uint32_t)>(SG_PLUGIN_QUERY_SYMBOL);
  const sg_plugin_descriptor* d = nullptr;
  try {
    d = query(kHostAbiMin, kHostAbiMax);
    if (d == nullptr) {
      // Ask for any version at all, only to say which one it speaks.
      const sg_plugin_descriptor* any = query(0, UINT32_MAX);
      error = where +
              "speaks no ABI version this host supports (host: " + abiVersionText(kHostAbiMin) +
              ".." + abiVersionText(kHostAbiMax) +
              (any != nullptr && any->struct_size >= offsetof(sg_plugin_descriptor, name)
                   ? ", plugin: " + abiVersionText(any->abi_version)
                   : std::string()) +
              ")";
    } else if (std::string why = readDescriptor(d, lib->info_, lib->vtable_); !why.empty()) {
      error = where + why;
    }
  } catch (...) {
    error = where + "threw an exception from " SG_PLUGIN_QUERY_SYMBOL;
  }
  if (!error.empty()) {
    lib->lib_.unload();
    return nullptr;
  }
  return lib;
}

PluginLibrary::~PluginLibrary() {
  // A library nobody unloaded explicitly stays mapped: its code may still be referenced
  // (e.g. on a failure path). Boost would dlclose it here; prevent that.
  if (lib_.is_loaded()) {
    std::string ignored;
    if (unsafe_reason_.empty()) unsafe_reason_ = "released without an explicit unload";
    unload(ignored);
  }
  if (memfd_ >= 0) ::close(memfd_);  // never loaded, or unloaded for good
}

void PluginLibrary::markUnsafe(std::string reason) {
  if (unsafe_reason_.empty()) unsafe_reason_ = std::move(reason);
}

namespace {
// Libraries that may still run code: kept mapped for the life of the process.
std::vector<boost::dll::shared_library>& retiredLibraries() {
  static auto* retired = new std::vector<boost::dll::shared_library>();
  return *retired;
}
}  // namespace

UnloadOutcome PluginLibrary::unload(std::string& reason) {
  if (!lib_.is_loaded()) return UnloadOutcome::Unloaded;
  if (!info_.unloadSafe() || !unsafe_reason_.empty()) {
    reason = !unsafe_reason_.empty() ? unsafe_reason_ : "plugin is not declared unload-safe";
    retiredLibraries().push_back(std::move(lib_));  // moved-from lib_ no longer owns it
    lib_ = boost::dll::shared_library();
    memfd_ = -1;  // kept open as long as the mapping: the process's life
    return UnloadOutcome::Retired;
  }
  lib_.unload();
  void* still = dlopen(load_name_.c_str(), RTLD_NOW | RTLD_NOLOAD);
  if (still != nullptr) {
    dlclose(still);  // balance the reference RTLD_NOLOAD just took
    reason = "dlclose left the library mapped (another reference or a unique symbol holds it)";
    memfd_ = -1;  // still mapped: its name must not be reused
    return UnloadOutcome::Retired;
  }
  return UnloadOutcome::Unloaded;
}

bool isMapped(const std::filesystem::path& path) {
  std::ifstream maps("/proc/self/maps");
  const std::string needle = path.string();
  std::string line;
  while (std::getline(maps, line)) {
    if (line.size() >= needle.size() &&
        line.compare(line.size() - needle.size(), needle.size(), needle) == 0) {
      return true;
    }
  }
  return false;
}

void PluginLibrary::validateConfig(const sg_config* config, const std::string& path,
                                   ConfigErrors& errors) {
  if (vtable_.validate == nullptr) return;
  struct Sink {
    const std::string* path;
    ConfigErrors* errors;
    size_t reported = 0;
  } sink{&path, &errors};
  // Called from inside the plugin: nothing may throw through its frames.
  const auto report = [](void* user, sg_str p, sg_str message) noexcept {
    auto* s = static_cast<Sink*>(user);
    if (++s->reported > kMaxIssues) return;  // a plugin cannot flood the answer
    try {
      if (p.len > 1024 || message.len > 4096) {
        s->errors->push_back({*s->path, "an issue the plugin reported was too long to show"});
        return;
      }
      const std::string where = copy(p);
      s->errors->push_back({*s->path + (where.empty() ? "" : "." + where), copy(message)});
    } catch (...) {
      // Out of memory: the issues already kept are what the operator sees.
    }
  };
  sg_status st = SG_ERR_FAILED;
  try {
    st = vtable_.validate(config, report, &sink);
  } catch (...) {
    st = SG_ERR_FAILED;
  }
  if (sink.reported > kMaxIssues)
    errors.push_back({path, "and " + std::to_string(sink.reported - kMaxIssues) + " more"});
  if (st != SG_OK && sink.reported == 0)
    errors.push_back({path, "plugin '" + info_.name + "' refused the config (" +
                                std::string(statusName(st)) + ") without saying why"});
}

}  // namespace storegate
