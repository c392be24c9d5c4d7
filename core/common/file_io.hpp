// Whole-file reads and crash-safe whole-file writes.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

#include "common/status.hpp"

namespace storegate {

// The file's bytes; nullopt when it cannot be read.
[[nodiscard]] std::optional<std::string> readWholeFile(const std::filesystem::path& path);

// Replaces `path` with `bytes` so that a crash or a power cut at any moment leaves either the
// old file or the new one, never half of either: the bytes go to a fresh temporary file in
// the same directory (created with `mode`), which is fsynced, renamed over `path`, and then
// the directory is fsynced so the rename itself is durable. On failure `path` is unchanged,
// the temporary file is removed, and the status names the step and the OS error.
Status writeFileDurably(const std::filesystem::path& path, const std::string& bytes,
                        mode_t mode = 0644);

// Creates `dir` and any missing parents so that they survive a power cut: each directory made
// is followed by an fsync of its parent (a file written durably into a directory whose own
// entry was never synced can vanish with it). Existing directories are left as they are.
Status createDirectoriesDurably(const std::filesystem::path& dir);

// Shifts `path` to `path.1`, `path.1` to `path.2` … up to `path.<keep>` (the oldest is
// removed): what log rotation does. The status names the first rename that failed.
Status rotateNumbered(const std::filesystem::path& path, int keep);

// Fsyncs a directory, so that entries created, renamed or removed in it survive a power cut.
Status syncDirectory(const std::filesystem::path& dir);

}  // namespace storegate
