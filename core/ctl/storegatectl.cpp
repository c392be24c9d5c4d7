// storegatectl: the command-line client of storegated's admin API.
//
// Exit codes scripts can trust: 0 done; 1 the API refused or failed (its error code and
// message on stderr); 2 usage; 3 the daemon could not be reached.
#include <httplib.h>

#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "ctl/package_commands.hpp"

namespace {

using nlohmann::json;

constexpr int kOk = 0, kRefused = 1, kUsage = 2, kUnreachable = 3;

void usage(std::ostream& out) {
  out << "usage: storegatectl [--url URL] [--token TOKEN] [--json] COMMAND\n"
         "  status                  version, uptime, buffer\n"
         "  plugins                 every instance, a line each\n"
         "  plugin NAME             one instance in full\n"
         "  start NAME | stop NAME  start or stop an instance\n"
         "  swap NAME LIBRARY       hot swap an instance to another build (.so)\n"
         "  upload NAME FILE        send a plugin build (a signed .sgp package, or a bare .so\n"
         "                          where signatures are not required) and hot swap to it\n"
         "  plugin rollback NAME    swap back to the build before the last upload\n"
         "  plugin keygen PREFIX    an Ed25519 signing key: PREFIX.key, PREFIX.pub\n"
         "  plugin pack SO [OUT]    package a build (.sgp) [--name N --version V if cross-built]\n"
         "  plugin sign SGP --key PREFIX.key\n"
         "  plugin verify SGP (--trusted-keys DIR | --key PREFIX.pub)\n"
         "  plugin seal SO --key PREFIX.key  sign an installed build in place (SO.sgm)\n"
         "  config validate FILE    check a config file without applying it\n"
         "  config apply FILE       apply a config file (rolled back if any part fails)\n"
         "  lag                     each sink's cursor and lag\n"
         "  tail [N]                the latest N events (default 20)\n"
         "  logs [N]                the latest N log lines (default 50)\n"
         "  camera snapshot NAME [FILE]  one annotated frame of camera instance NAME\n"
         "                          as PNG (lines, zones, tracks), to FILE or NAME.png\n"
         "The URL defaults to $STOREGATE_URL or http://127.0.0.1:8470, the token to\n"
         "$STOREGATE_TOKEN. Exit: 0 done, 1 refused by the API, 2 usage, 3 unreachable.\n";
}

struct Client {
  std::string url;
  std::string token;

  // Returns the exit code; `out` gets the parsed body of a 2xx answer (`raw`, when
  // given, the body as it came).
  int call(const std::string& method, const std::string& path, const std::string& body,
           const std::string& content_type, json& out, std::string* raw = nullptr) const {
    httplib::Client cli(url);
    cli.set_connection_timeout(5);
    cli.set_read_timeout(60);
    const httplib::Headers headers{{"Authorization", "Bearer " + token}};
    httplib::Result res = method == "GET"    ? cli.Get(path, headers)
                          : method == "POST" ? cli.Post(path, headers, body, content_type)
                                             : cli.Put(path, headers, body, content_type);
    if (!res) {
      std::cerr << "storegatectl: cannot reach " << url << ": " << httplib::to_string(res.error())
                << " (is storegated running? --url?)\n";
      return kUnreachable;
    }
    const bool ok = res->status >= 200 && res->status < 300;
    if (ok && raw != nullptr) {
      *raw = std::move(res->body);
      return kOk;
    }
    out = json::parse(res->body, nullptr, false);
    if (ok) return kOk;
    if (out.is_object() && out.contains("error")) {
      std::cerr << "storegatectl: " << res->status << " " << out["error"].value("code", "") << ": "
                << out["error"].value("message", "") << "\n";
      if (out["error"].contains("errors"))
        for (const auto& e : out["error"]["errors"])
          std::cerr << "  " << e.value("path", "") << ": " << e.value("message", "") << "\n";
    } else {
      std::cerr << "storegatectl: HTTP " << res->status << "\n";
    }
    return kRefused;
  }
};

std::string cell(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "-";
  return v.dump();
}

// A readable table: columns sized to their widest cell.
void table(const std::vector<std::string>& head,
           const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> w(head.size());
  for (size_t i = 0; i < head.size(); ++i) w[i] = head[i].size();
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size() && i < w.size(); ++i)
      w[i] = std::max(w[i], std::min<size_t>(r[i].size(), 60));
  const auto line = [&](const std::vector<std::string>& r) {
    for (size_t i = 0; i < r.size(); ++i) {
      std::string c = r[i].size() > 60 ? r[i].substr(0, 57) + "..." : r[i];
      std::cout << (i + 1 < r.size() ? std::string(c) + std::string(w[i] - c.size() + 2, ' ') : c);
    }
    std::cout << "\n";
  };
  line(head);
  for (const auto& r : rows) line(r);
}

}  // namespace

int main(int argc, char** argv) {
  Client c;
  c.url = std::getenv("STOREGATE_URL") != nullptr ? std::getenv("STOREGATE_URL")
                                                  : "http://127.0.0.1:8470";
  c.token = std::getenv("STOREGATE_TOKEN") != nullptr ? std::getenv("STOREGATE_TOKEN") : "";
  bool as_json = false;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--url" && i + 1 < argc) {
      c.url = argv[++i];
    } else if (a == "--token" && i + 1 < argc) {
      c.token = argv[++i];
    } else if (a == "--json") {
      as_json = true;
    } else if (a == "--help" || a == "-h") {
      usage(std::cout);
      return kOk;
    } else {
      args.push_back(a);
    }
  }
  if (args.empty()) {
    usage(std::cerr);
    return kUsage;
  }
  if (storegate::ctl::isPackageCommand(args)) return storegate::ctl::runPackageCommand(args);
  const std::string& cmd = args[0];
  const auto need = [&](size_t n) {
    if (args.size() < n) {
      usage(std::cerr);
      std::exit(kUsage);
    }
  };
  json out;
  int code = kOk;
  if (cmd == "status") {
    code = c.call("GET", "/v1/status", "", "", out);
    if (code == kOk && !as_json) {
      std::cout << "storegated " << cell(out["version"]) << ", store " << cell(out["store_id"])
                << ", up " << cell(out["uptime_s"]) << " s, " << cell(out["plugins"])
                << " instances\nbuffer: " << cell(out["buffer"]["events"]) << " events, "
                << cell(out["buffer"]["bytes"]) << " bytes, dead letters "
                << cell(out["buffer"]["dead_letters"]) << ", dropped "
                << cell(out["buffer"]["dropped"]) << "\n";
      return kOk;
    }
  } else if (cmd == "plugins") {
    code = c.call("GET", "/v1/plugins", "", "", out);
    if (code == kOk && !as_json) {
      std::vector<std::vector<std::string>> rows;
      for (const auto& p : out["plugins"])
        rows.push_back({cell(p["name"]), cell(p["plugin"]), cell(p["version"]), cell(p["state"]),
                        cell(p["health"]), cell(p["emitted"]), cell(p["delivered"]),
                        cell(p["last_error"])});
      table({"NAME", "PLUGIN", "VERSION", "STATE", "HEALTH", "EMITTED", "DELIVERED", "LAST ERROR"},
            rows);
      return kOk;
    }
  } else if (cmd == "plugin" && args.size() == 3 && args[1] == "rollback") {
    code = c.call("POST", "/v1/plugins/" + args[2] + "/rollback", "", "application/json", out);
    if (!as_json && out.is_object() && out.contains("swapped")) {
      std::cout << args[2] << ": "
                << (out["swapped"].get<bool>() ? "rolled back to " + cell(out["library"])
                                               : "not rolled back: " + cell(out["error"]))
                << "\n";
      return code;
    }
  } else if (cmd == "plugin") {
    need(2);
    code = c.call("GET", "/v1/plugins/" + args[1], "", "", out);
    if (code == kOk && !as_json) {
      std::cout << out.dump(2) << "\n";
      return kOk;
    }
  } else if (cmd == "start" || cmd == "stop") {
    need(2);
    code = c.call("POST", "/v1/plugins/" + args[1] + "/" + cmd, "", "application/json", out);
    if (code == kOk && !as_json) {
      std::cout << args[1] << ": " << cell(out["state"]) << "\n";
      return kOk;
    }
  } else if (cmd == "swap") {
    need(3);
    code = c.call("POST", "/v1/plugins/" + args[1] + "/swap", json{{"library", args[2]}}.dump(),
                  "application/json", out);
    if (!as_json && out.is_object() && out.contains("swapped")) {
      std::cout << args[1] << ": " << (out["swapped"].get<bool>() ? "swapped" : "not swapped")
                << (out["rolled_back"].get<bool>() ? " (rolled back: " + cell(out["error"]) + ")"
                                                   : "")
                << "; old build " << cell(out["old_library_fate"]) << "\n";
      return code;
    }
  } else if (cmd == "config") {
    need(3);
    if (args[1] != "validate" && args[1] != "apply") {
      usage(std::cerr);
      return kUsage;
    }
    std::ifstream in(args[2]);
    if (!in) {
      std::cerr << "storegatectl: cannot read " << args[2] << "\n";
      return kUsage;
    }
    std::stringstream text;
    text << in.rdbuf();
    const bool apply = args[1] == "apply";
    code = c.call(apply ? "PUT" : "POST", apply ? "/v1/config" : "/v1/config/validate", text.str(),
                  "application/yaml", out);
    if (code == kOk && !as_json) {
      std::cout << args[2] << (apply ? ": applied\n" : ": valid\n");
      return kOk;
    }
  } else if (cmd == "upload") {
    need(3);
    std::ifstream in(args[2], std::ios::binary);
    if (!in) {
      std::cerr << "storegatectl: cannot read " << args[2] << "\n";
      return kUsage;
    }
    std::stringstream bytes;
    bytes << in.rdbuf();
    code = c.call("POST", "/v1/plugins/" + args[1] + "/upload", bytes.str(),
                  "application/octet-stream", out);
    if (!as_json && out.is_object() && out.contains("swapped")) {
      std::cout << args[1] << ": "
                << (out["swapped"].get<bool>() ? "swapped to " + cell(out["library"])
                                               : "not swapped: " + cell(out["error"]))
                << "\n";
      return code;
    }
  } else if (cmd == "lag") {
    code = c.call("GET", "/v1/buffer", "", "", out);
    if (code == kOk && !as_json) {
      std::vector<std::vector<std::string>> rows;
      for (const auto& s : out["sinks"])
        rows.push_back({cell(s["sink"]), cell(s["cursor"]), cell(s["lag"])});
      table({"SINK", "CURSOR", "LAG"}, rows);
      return kOk;
    }
  } else if (cmd == "tail") {
    const std::string n = args.size() > 1 ? args[1] : "20";
    code = c.call("GET", "/v1/events?last=" + n, "", "", out);
    if (code == kOk && !as_json) {
      for (const auto& e : out["events"])
        std::cout << cell(e["time"]) << "  " << cell(e["sequence"]) << "  " << cell(e["type"])
                  << "  " << cell(e["source"]) << "  "
                  << (e.contains("data") ? e["data"].dump() : "") << "\n";
      return kOk;
    }
  } else if (cmd == "camera") {
    need(3);
    if (args[1] != "snapshot") {
      usage(std::cerr);
      return kUsage;
    }
    std::string png;
    code = c.call("GET", "/v1/plugins/" + args[2] + "/snapshot", "", "", out, &png);
    if (code != kOk) return code;
    const std::string file = args.size() > 3 ? args[3] : args[2] + ".png";
    std::ofstream f(file, std::ios::binary);
    if (!f.write(png.data(), static_cast<std::streamsize>(png.size()))) {
      std::cerr << "storegatectl: cannot write " << file << "\n";
      return kRefused;
    }
    // PNG: width and height are the IHDR chunk's first two big-endian words.
    const auto word = [&](size_t at) {
      uint32_t v = 0;
      for (size_t i = at; i < at + 4 && i < png.size(); ++i)
        v = (v << 8) | static_cast<unsigned char>(png[i]);
      return v;
    };
    std::cout << file << ": " << word(16) << "x" << word(20) << " PNG, " << png.size()
              << " bytes\n";
    return kOk;
  } else if (cmd == "logs") {
    const std::string n = args.size() > 1 ? args[1] : "50";
    code = c.call("GET", "/v1/logs?lines=" + n, "", "", out);
    if (code == kOk && !as_json) {
      for (const auto& l : out["lines"]) std::cout << cell(l) << "\n";
      return kOk;
    }
  } else {
    std::cerr << "storegatectl: unknown command '" << cmd << "'\n";
    usage(std::cerr);
    return kUsage;
  }
  if (as_json && !out.is_discarded()) std::cout << out.dump(2) << "\n";
  return code;
}
