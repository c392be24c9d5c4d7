// One loaded plugin library: opened with Boost.DLL, its ABI negotiated and its descriptor
// checked and copied, so nothing the core keeps points into the library after unload.
#pragma once

#include <boost/dll/shared_library.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/status.hpp"
#include "config/config_error.hpp"
#include "plugin/properties.hpp"

namespace storegate {

// The ABI versions this host speaks (inclusive).
inline constexpr uint32_t kHostAbiMin = SG_ABI_VERSION(1, 0);
inline constexpr uint32_t kHostAbiMax = SG_ABI_VERSION(SG_ABI_MAJOR, SG_ABI_MINOR);

// What a descriptor says, as owned data.
struct PluginInfo {
  std::string name;
  std::string version;
  std::string vendor;
  std::string description;
  uint32_t abi_version = 0;
  sg_plugin_kind kinds = SG_KIND_UNSPECIFIED;
  sg_plugin_flags flags = 0;
  std::vector<PropertySpec> properties;

  [[nodiscard]] bool isSource() const { return (kinds & SG_KIND_SOURCE) != 0; }
  [[nodiscard]] bool isSink() const { return (kinds & SG_KIND_SINK) != 0; }
  [[nodiscard]] bool unloadSafe() const { return (flags & SG_PLUGIN_UNLOAD_SAFE) != 0; }
};

[[nodiscard]] std::string abiVersionText(uint32_t version);
[[nodiscard]] std::string kindsText(sg_plugin_kind kinds);

enum class UnloadOutcome { Unloaded, Retired };

class PluginLibrary {
 public:
  // Loads `path` (RTLD_NOW | RTLD_LOCAL) and validates it. On failure the error names
  // the file and what is wrong, and the library is closed again.
  //
  // With `verified` (the bytes a signature check accepted), those bytes are what is loaded:
  // they are copied into a sealed memfd and dlopened from there, so neither a rename over
  // `path` nor a rewrite in place between the check and the load runs unchecked code. The
  // memfd stays open while the library is mapped (its /proc/self/fd name is how the
  // dynamic linker knows the library; a reused number would alias another one).
  [[nodiscard]] static std::shared_ptr<PluginLibrary> open(const std::filesystem::path& path,
                                                           std::string& error,
                                                           const std::string* verified = nullptr);
  ~PluginLibrary();
  PluginLibrary(const PluginLibrary&) = delete;
  PluginLibrary& operator=(const PluginLibrary&) = delete;

  [[nodiscard]] const PluginInfo& info() const { return info_; }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  // Function pointers into the library: valid only while it is loaded.
  [[nodiscard]] const sg_plugin_vtable& vtable() const { return vtable_; }
  // Runs the plugin's own config check (vtable.validate, ABI 1.2) on a config the host has
  // resolved; each problem is appended to `errors` under `path` ("plugins[2].config").
  // A plugin without one checks nothing here (create will). Never throws.
  void validateConfig(const sg_config* config, const std::string& path, ConfigErrors& errors);

  // Marks the library as unsafe to unload (a thread of it may still run); unload() will
  // then retire it. Sticky.
  void markUnsafe(std::string reason);

  // Unloads when the plugin declared itself unload-safe and nothing marked it unsafe, and
  // confirms with RTLD_NOLOAD that the mapping is gone; otherwise keeps it mapped forever
  // (retired). `reason` says why it was retired. Call once, when no instance uses it.
  UnloadOutcome unload(std::string& reason);
  [[nodiscard]] bool loaded() const { return lib_.is_loaded(); }

 private:
  PluginLibrary() = default;

  std::filesystem::path path_;
  std::filesystem::path load_name_;  // what dlopen was given: path_ or /proc/self/fd/N
  int memfd_ = -1;                   // with verified bytes: the sealed copy (see open)
  boost::dll::shared_library lib_;
  PluginInfo info_;
  sg_plugin_vtable vtable_{};
  std::string unsafe_reason_;
};

// True when `path` appears in this process's memory maps.
[[nodiscard]] bool isMapped(const std::filesystem::path& path);

}  // namespace storegate
