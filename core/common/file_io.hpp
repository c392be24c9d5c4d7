// Whole-file reads and crash-safe whole-file writes.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace storegate {

// The file's bytes; nullopt when it cannot be read.
[[nodiscard]] std::optional<std::string> readWholeFile(const std::filesystem::path& path);

// Writes `bytes` to `path` through `<path>.part` and a rename, so a crash leaves either the
// old file or the new one, never half of it. False when it could not.
[[nodiscard]] bool writeFileAtomically(const std::filesystem::path& path, const std::string& bytes);

}  // namespace storegate
