#include "member_code.hpp"

#include <nlohmann/json.hpp>

namespace storegate::plugins::member_code {

namespace {
FilterSettings filterFrom(const sdk::Config& c) {
  FilterSettings f;
  if (c.isSet("prefix")) f.prefix = c.getString("prefix");
  if (c.isSet("suffix")) f.suffix = c.getString("suffix");
  f.pattern = c.getString("pattern");
  f.debounce = c.getDuration("debounce");
  if (c.isSet("dynamic.pattern")) f.dynamic_pattern = c.getString("dynamic.pattern");
  f.dynamic_ttl = c.getDuration("dynamic.ttl");
  return f;
}

std::pair<std::string, int> hostPort(const std::string& text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0)
    throw sdk::Error("tcp.listen '" + text + "' must be host:port", SG_ERR_INVALID);
  const int port = std::atoi(text.c_str() + colon + 1);
  if (port <= 0 || port > 65535)
    throw sdk::Error("tcp.listen '" + text + "': port must be 1..65535", SG_ERR_INVALID);
  return {text.substr(0, colon), port};
}

std::string need(const sdk::Config& c, const char* key, const std::string& input) {
  if (!c.isSet(key))
    throw sdk::Error(std::string(key) + " is required when input is " + input, SG_ERR_INVALID);
  return c.getString(key);
}
}  // namespace

MemberCode::MemberCode(sdk::Host host, const sdk::Config& config)
    : sdk::Plugin(std::move(host)),
      filter_(filterFrom(config)),
      reconnect_(config.getDuration("reconnect_interval")) {
  const std::string input = config.getString("input");
  location_ = config.isSet("location") ? config.getString("location") : this->host().instanceName();
  if (input == "camera") {
    input_ = Input::kCamera;
    camera_.url = need(config, "camera.url", input);
    camera_.max_fps = static_cast<int>(config.getInt("camera.max_fps"));
    camera_.loop = config.getBool("camera.loop");
    camera_.reconnect = reconnect_;
    std::vector<std::string> formats;
    for (const auto& f : nlohmann::json::parse(config.getJson("camera.formats"))) {
      if (!f.is_string())
        throw sdk::Error("camera.formats: entries must be strings", SG_ERR_INVALID);
      formats.push_back(f.get<std::string>());
    }
    decoder_ = std::make_unique<FrameDecoder>(formats);
    device_ = camera_.url;
  } else if (input == "tcp") {
    input_ = Input::kTcp;
    std::tie(tcp_.host, tcp_.port) = hostPort(config.getString("tcp.listen"));
    tcp_.max_connections = static_cast<int>(config.getInt("tcp.max_connections"));
    device_ = "tcp:" + config.getString("tcp.listen");
  } else if (input == "serial") {
    input_ = Input::kSerial;
    serial_.device = need(config, "serial.device", input);
    serial_.baud = static_cast<int>(config.getInt("serial.baud"));
    device_ = serial_.device;
  } else {
    input_ = Input::kHid;
    hid_.device = need(config, "hid.device", input);
    hid_.grab = config.getBool("hid.grab");
    device_ = hid_.device;
  }
}

MemberCode::~MemberCode() {
  stop(std::chrono::milliseconds(0));
}

void MemberCode::start() {
  stopping_ = false;
  thread_ = std::thread([this] {
    InputContext ctx;
    ctx.stopping = [this] { return stopping_.load(); };
    ctx.code = [this](const std::string& raw, const std::string& sym) { onCode(raw, sym); };
    ctx.problem = [this](const std::string& p) { onProblem(p); };
    ctx.reconnect = reconnect_;
    switch (input_) {
      case Input::kCamera:
        runCamera(camera_, *decoder_, ctx);
        break;
      case Input::kTcp:
        runTcp(tcp_, ctx);
        break;
      case Input::kSerial:
        runSerial(serial_, ctx);
        break;
      case Input::kHid:
        runHid(hid_, ctx);
        break;
    }
  });
}

void MemberCode::stop(std::chrono::milliseconds) {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void MemberCode::onProblem(const std::string& problem) {
  std::lock_guard lock(mu_);
  if (problem == problem_) return;
  if (!problem.empty()) {
    host().warn(problem);
    host().setError(problem);
  }
  problem_ = problem;
}

void MemberCode::onCode(const std::string& raw, const std::string& symbology) {
  const int64_t now = host().nowUnixNs();
  const Verdict v = filter_.check(raw, now);
  if (v.kind == Verdict::Kind::kIgnored) {
    host().counterAdd("codes_ignored");
    return;
  }
  if (v.kind == Verdict::Kind::kRepeat) {
    host().counterAdd("codes_repeated");
    return;
  }
  nlohmann::json data{{"member_code", v.code}, {"symbology", symbology}, {"device", device_}};
  if (v.expires_unix_ns) data["expires_at"] = sdk::detail::rfc3339(*v.expires_unix_ns);
  sdk::Event e;
  e.type = "store.member.scan";
  e.subject = location_;
  e.time_unix_ns = now;
  e.data = data.dump();
  for (int attempt = 0; !stopping_; ++attempt) {
    const sg_status s = host().emit(e);
    if (s == SG_OK) {
      host().counterAdd("scans");
      return;
    }
    if (s != SG_ERR_BACKPRESSURE) {
      onProblem("a scan could not be stored (status " + std::to_string(s) + ")");
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

sg_health_level MemberCode::health() {
  std::lock_guard lock(mu_);
  if (problem_.empty()) return SG_HEALTH_OK;
  host().setError(problem_);
  return SG_HEALTH_DEGRADED;
}

}  // namespace storegate::plugins::member_code
