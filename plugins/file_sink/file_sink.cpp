// file_sink's behaviour: one write (and optionally one fdatasync) per batch.
#include "file_sink.hpp"

#include <filesystem>

namespace storegate::plugins::file_sink {

FileSink::FileSink(sdk::Host host, const sdk::Config& config)
    : sdk::Plugin(std::move(host)), settings_(Settings::from(config)) {
  if (settings_.path.empty()) throw sdk::Error("path must not be empty", SG_ERR_INVALID);
}

void FileSink::start() {
  std::error_code ec;
  const auto dir = std::filesystem::path(settings_.path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  file_ =
      std::make_unique<RotatingFile>(settings_.path, settings_.max_file_size, settings_.max_files);
  host().info("writing events to " + settings_.path);
}

sdk::DeliveryOutcome FileSink::deliver(std::span<const sg_event> events) {
  std::string lines;
  for (const sg_event& e : events) {
    lines += sdk::toCloudEventJson(e);
    lines.push_back('\n');
  }
  try {
    file_->append(lines, settings_.fsync);
  } catch (const sdk::Error& e) {
    last_failed_ = true;
    host().setError(e.what());
    host().counterAdd("write_errors");
    return sdk::DeliveryOutcome::retry(0);
  }
  last_failed_ = false;
  host().counterAdd("events_written", static_cast<double>(events.size()));
  return sdk::DeliveryOutcome::all(events.size());
}

sg_health_level FileSink::health() {
  return last_failed_ ? SG_HEALTH_FAILING : SG_HEALTH_OK;
}

}  // namespace storegate::plugins::file_sink
