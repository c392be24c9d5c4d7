// An append-only file that rotates by size: path → path.1 → … → path.<max_files>.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace storegate::plugins::file_sink {

class RotatingFile {
 public:
  RotatingFile(std::string path, uint64_t max_bytes, int max_files);
  ~RotatingFile();
  RotatingFile(const RotatingFile&) = delete;
  RotatingFile& operator=(const RotatingFile&) = delete;

  // Appends `data` in full (rotating first if it would pass max_bytes) and, with
  // `sync`, fdatasyncs. Throws sdk::Error with the errno text on failure.
  void append(std::string_view data, bool sync);

 private:
  void open();
  void rotate();

  const std::string path_;
  const uint64_t max_bytes_;
  const int max_files_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

}  // namespace storegate::plugins::file_sink
