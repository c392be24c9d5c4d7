// storegatectl: the command-line client of storegated's admin API, and the local tools an
// integrator needs on the router (plugin packages, admin tokens).
//
// Exit codes scripts can trust: 0 done; 1 the API refused or failed (its error code and
// message on stderr); 2 usage; 3 the daemon could not be reached.
#include <httplib.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "admin/tokens.hpp"
#include "common/file_io.hpp"
#include "config/gateway_config.hpp"
#include "ctl/package_commands.hpp"

namespace {

using nlohmann::json;

constexpr int kOk = 0, kRefused = 1, kUsage = 2, kUnreachable = 3;

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

// Local token commands: the tokens file named by the config (admin.tokens_file), or --file.
std::filesystem::path tokensFile(const std::string& config, const std::string& file) {
  if (!file.empty()) return file;
  storegate::ConfigErrors errors;
  if (auto cfg = storegate::loadConfigFile(config, errors)) return cfg->admin.tokens_file;
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  Client c;
  bool as_json = false;
  CLI::App app{
      "storegatectl: manage a running storegated through its admin API, and the router's "
      "plugin packages and admin tokens.\n"
      "Exit: 0 done, 1 refused by the API, 2 usage, 3 unreachable."};
  app.set_help_all_flag("--help-all", "every command's help");
  app.add_option("--url", c.url, "the admin API")
      ->envname("STOREGATE_URL")
      ->default_val("http://127.0.0.1:8470");
  app.add_option("--token", c.token, "an admin API token (storegatectl token add makes one)")
      ->envname("STOREGATE_TOKEN");
  app.add_flag("--json", as_json, "print the API's answer as JSON");
  app.require_subcommand(1);
  app.fallthrough();

  int code = kOk;
  json out;
  // Prints the JSON answer when asked, else `print` when the call succeeded.
  const auto finish = [&](int result, const std::function<void()>& print) {
    code = result;
    if (as_json) {
      if (!out.is_discarded() && !out.is_null()) std::cout << out.dump(2) << "\n";
    } else if (result == kOk || (out.is_object() && out.contains("swapped"))) {
      print();
    }
  };

  // A file the user named: its bytes, or a usage error (exit 2) that says which.
  const auto readOrUsage = [&](const std::string& file) {
    auto bytes = storegate::readWholeFile(file);
    if (!bytes) {
      std::cerr << "storegatectl: cannot read " << file << "\n";
      code = kUsage;
    }
    return bytes;
  };

  app.add_subcommand("status", "version, uptime, config version, health, buffer")->callback([&] {
    finish(c.call("GET", "/v1/status", "", "", out), [&] {
      std::cout << "storegated " << cell(out["version"]) << ", store " << cell(out["store_id"])
                << ", up " << cell(out["uptime_s"]) << " s, " << cell(out["plugins"])
                << " instances, config v" << cell(out["config"]["version"]) << " ("
                << cell(out["config"]["hash"]) << ")\nhealth: " << cell(out["health"]["status"])
                << "\nbuffer: " << cell(out["buffer"]["events"]) << " events, "
                << cell(out["buffer"]["bytes"]) << " bytes, dead letters "
                << cell(out["buffer"]["dead_letters"]) << ", dropped "
                << cell(out["buffer"]["dropped"]) << "\n";
      for (const auto& r : out["health"]["reasons"]) std::cout << "  " << cell(r) << "\n";
    });
  });
  app.add_subcommand("plugins", "every instance, a line each")->callback([&] {
    finish(c.call("GET", "/v1/plugins", "", "", out), [&] {
      std::vector<std::vector<std::string>> rows;
      for (const auto& p : out["plugins"])
        rows.push_back({cell(p["name"]), cell(p["plugin"]), cell(p["version"]), cell(p["state"]),
                        cell(p["health"]), cell(p["emitted"]), cell(p["delivered"]),
                        cell(p["last_error"])});
      table({"NAME", "PLUGIN", "VERSION", "STATE", "HEALTH", "EMITTED", "DELIVERED", "LAST ERROR"},
            rows);
    });
  });

  // plugin NAME | plugin rollback NAME | plugin keygen|pack|sign|verify|seal …
  auto* plugin = app.add_subcommand("plugin", "one instance in full, rollback, and packages");
  std::string plugin_name;
  plugin->add_option("name", plugin_name, "the instance to show");
  plugin->require_subcommand(0, 1);
  plugin->callback([&] {
    if (!plugin->get_subcommands().empty()) return;
    if (plugin_name.empty()) throw CLI::RequiredError("plugin NAME (or a plugin subcommand)");
    finish(c.call("GET", "/v1/plugins/" + plugin_name, "", "", out),
           [&] { std::cout << out.dump(2) << "\n"; });
  });
  std::string rollback_name;
  plugin->add_subcommand("rollback", "swap back to the build before the last upload")
      ->callback([&] {
        finish(c.call("POST", "/v1/plugins/" + rollback_name + "/rollback", "", "application/json",
                      out),
               [&] {
                 std::cout << rollback_name << ": "
                           << (out["swapped"].get<bool>()
                                   ? "rolled back to " + cell(out["library"])
                                   : "not rolled back: " + cell(out["error"]))
                           << "\n";
               });
      })
      ->add_option("NAME", rollback_name, "the instance")
      ->required();
  // The package commands run locally; CLI11 parses, package_commands does the work.
  std::vector<std::string> pkg_args;
  std::string pkg_a, pkg_b, pkg_key, pkg_trusted, pkg_name, pkg_version;
  const auto package_command = [&](const std::string& verb) {
    std::vector<std::string> args{"plugin", verb, pkg_a};
    if (!pkg_b.empty()) args.push_back(pkg_b);
    for (const auto& [flag, value] :
         std::vector<std::pair<std::string, std::string>>{{"--key", pkg_key},
                                                          {"--trusted-keys", pkg_trusted},
                                                          {"--name", pkg_name},
                                                          {"--version", pkg_version}})
      if (!value.empty()) {
        args.push_back(flag);
        args.push_back(value);
      }
    code = storegate::ctl::runPackageCommand(args);
  };
  auto* keygen = plugin->add_subcommand("keygen", "an Ed25519 signing key: PREFIX.key, PREFIX.pub");
  keygen->add_option("PREFIX", pkg_a)->required();
  keygen->callback([&] { package_command("keygen"); });
  auto* pack = plugin->add_subcommand("pack", "package a build (.so) as a .sgp");
  pack->add_option("LIBRARY", pkg_a, "the plugin build")->required();
  pack->add_option("OUT", pkg_b, "the package (default NAME-VERSION-ARCH.sgp)");
  pack->add_option("--name", pkg_name, "the plugin's name, for a cross-built library");
  pack->add_option("--version", pkg_version, "its version, for a cross-built library");
  pack->callback([&] { package_command("pack"); });
  auto* sign = plugin->add_subcommand("sign", "sign a package with a vendor key");
  sign->add_option("PACKAGE", pkg_a)->required();
  sign->add_option("--key", pkg_key, "PREFIX.key")->required();
  sign->callback([&] { package_command("sign"); });
  auto* verify = plugin->add_subcommand("verify", "check a package as a router would");
  verify->add_option("PACKAGE", pkg_a)->required();
  auto* by_dir = verify->add_option("--trusted-keys", pkg_trusted, "a directory of *.pub keys");
  auto* by_key = verify->add_option("--key", pkg_key, "one PREFIX.pub");
  by_dir->excludes(by_key);
  verify->callback([&] { package_command("verify"); });
  auto* seal = plugin->add_subcommand("seal", "sign an installed build in place (LIBRARY.sgm)");
  seal->add_option("LIBRARY", pkg_a)->required();
  seal->add_option("--key", pkg_key, "PREFIX.key")->required();
  seal->callback([&] { package_command("seal"); });

  std::string instance, library_or_file;
  for (const char* verb : {"start", "stop"}) {
    auto* sc = app.add_subcommand(verb, std::string(verb) + " an instance");
    sc->add_option("NAME", instance, "the instance")->required();
    sc->callback([&, verb = std::string(verb)] {
      finish(c.call("POST", "/v1/plugins/" + instance + "/" + verb, "", "application/json", out),
             [&] { std::cout << instance << ": " << cell(out["state"]) << "\n"; });
    });
  }
  auto* swap = app.add_subcommand("swap", "hot swap an instance to another build (.so)");
  swap->add_option("NAME", instance)->required();
  swap->add_option("LIBRARY", library_or_file, "an absolute path on the router")->required();
  swap->callback([&] {
    finish(c.call("POST", "/v1/plugins/" + instance + "/swap",
                  json{{"library", library_or_file}}.dump(), "application/json", out),
           [&] {
             std::cout << instance << ": "
                       << (out["swapped"].get<bool>() ? "swapped" : "not swapped")
                       << (out["rolled_back"].get<bool>()
                               ? " (rolled back: " + cell(out["error"]) + ")"
                               : "")
                       << "; old build " << cell(out["old_library_fate"]) << "\n";
           });
  });
  auto* upload = app.add_subcommand(
      "upload",
      "send a plugin build (a signed .sgp, or a bare .so where signatures are not required) "
      "and hot swap to it; kept across restarts");
  upload->add_option("NAME", instance)->required();
  upload->add_option("FILE", library_or_file)->required()->check(CLI::ExistingFile);
  upload->callback([&] {
    const auto bytes = readOrUsage(library_or_file);
    if (!bytes) return;
    finish(c.call("POST", "/v1/plugins/" + instance + "/upload", *bytes, "application/octet-stream",
                  out),
           [&] {
             std::cout << instance << ": "
                       << (out["swapped"].get<bool>() ? "swapped to " + cell(out["library"])
                                                      : "not swapped: " + cell(out["error"]))
                       << "\n";
           });
  });

  auto* config = app.add_subcommand("config", "check or apply a config file");
  config->require_subcommand(1);
  for (const bool apply : {false, true}) {
    auto* sc = config->add_subcommand(apply ? "apply" : "validate",
                                      apply ? "apply a config file (rolled back if any part fails)"
                                            : "check a config file without applying it");
    sc->add_option("FILE", library_or_file)->required()->check(CLI::ExistingFile);
    sc->callback([&, apply] {
      const auto text = readOrUsage(library_or_file);
      if (!text) return;
      finish(c.call(apply ? "PUT" : "POST", apply ? "/v1/config" : "/v1/config/validate", *text,
                    "application/yaml", out),
             [&] { std::cout << library_or_file << (apply ? ": applied\n" : ": valid\n"); });
    });
  }
  app.add_subcommand("lag", "each sink's cursor and lag")->callback([&] {
    finish(c.call("GET", "/v1/buffer", "", "", out), [&] {
      std::vector<std::vector<std::string>> rows;
      for (const auto& s : out["sinks"])
        rows.push_back({cell(s["sink"]), cell(s["cursor"]), cell(s["lag"])});
      table({"SINK", "CURSOR", "LAG"}, rows);
    });
  });
  unsigned count = 0;
  auto* tail = app.add_subcommand("tail", "the latest N events");
  tail->add_option("N", count, "how many (default 20)")->check(CLI::Range(1, 1000));
  tail->callback([&] {
    finish(c.call("GET", "/v1/events?last=" + std::to_string(count == 0 ? 20 : count), "", "", out),
           [&] {
             for (const auto& e : out["events"])
               std::cout << cell(e["time"]) << "  " << cell(e["sequence"]) << "  "
                         << cell(e["type"]) << "  " << cell(e["source"]) << "  "
                         << (e.contains("data") ? e["data"].dump() : "") << "\n";
           });
  });
  auto* logs = app.add_subcommand("logs", "the latest N log lines");
  logs->add_option("N", count, "how many (default 50)")->check(CLI::Range(1, 1000));
  logs->callback([&] {
    finish(c.call("GET", "/v1/logs?lines=" + std::to_string(count == 0 ? 50 : count), "", "", out),
           [&] {
             for (const auto& l : out["lines"]) std::cout << cell(l) << "\n";
           });
  });
  auto* camera = app.add_subcommand("camera", "camera instances");
  camera->require_subcommand(1);
  auto* snapshot = camera->add_subcommand(
      "snapshot", "one annotated frame (lines, zones, tracks) as PNG, to FILE or NAME.png");
  snapshot->add_option("NAME", instance)->required();
  snapshot->add_option("FILE", library_or_file);
  snapshot->callback([&] {
    std::string png;
    code = c.call("GET", "/v1/plugins/" + instance + "/snapshot", "", "", out, &png);
    if (code != kOk) return;
    const std::string file = library_or_file.empty() ? instance + ".png" : library_or_file;
    std::ofstream f(file, std::ios::binary);
    if (!f.write(png.data(), static_cast<std::streamsize>(png.size()))) {
      std::cerr << "storegatectl: cannot write " << file << "\n";
      code = kRefused;
      return;
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
  });

  // Tokens: local, on the router (root or the storegate user); storegated reloads them on
  // SIGHUP (systemctl reload storegate), so a revoked token stops working without a restart.
  auto* token = app.add_subcommand("token", "admin API tokens in the router's tokens file");
  token->require_subcommand(1);
  std::string token_config = "/etc/storegate/storegate.yaml", token_file, token_name,
              token_role = "viewer";
  token->add_option("--config", token_config, "the config naming admin.tokens_file")
      ->capture_default_str();
  token->add_option("--file", token_file, "the tokens file itself (instead of --config)");
  const auto open_tokens = [&]() -> std::unique_ptr<storegate::admin::TokenStore> {
    const auto file = tokensFile(token_config, token_file);
    if (file.empty() || !std::filesystem::exists(file)) {
      std::cerr << "storegatectl: no tokens file (" << (file.empty() ? token_config : file.string())
                << "); name it with --file or --config\n";
      code = kUsage;
      return nullptr;
    }
    std::string error;
    auto store = storegate::admin::TokenStore::open(file, error);
    if (!store) {
      std::cerr << "storegatectl: " << error << "\n";
      code = kRefused;
    }
    return store;
  };
  const char* reload_hint =
      "storegated applies it on SIGHUP: systemctl reload storegate (or kill -HUP its pid)\n";
  auto* add = token->add_subcommand("add", "make a token (printed once; only its hash is kept)");
  add->add_option("NAME", token_name, "who holds it, for the audit log")
      ->required()
      ->check([](const std::string& n) {
        bool plain = !n.empty() && n.size() <= 64 && n.front() != '-';
        for (const char ch : n) plain = plain && ch > 0x20 && ch < 0x7f && ch != '#';
        return plain ? std::string()
                     : std::string("a name of 1..64 printable characters, no spaces or #");
      });
  add->add_option("--role", token_role, "viewer, operator or admin")
      ->check(CLI::IsMember({"viewer", "operator", "admin"}))
      ->capture_default_str();
  add->callback([&] {
    auto store = open_tokens();
    if (!store) return;
    std::string error;
    const auto made = store->create(token_name, *storegate::admin::parseRole(token_role), error);
    if (!made) {
      std::cerr << "storegatectl: " << error << "\n";
      code = kRefused;
      return;
    }
    std::cout << *made << "\n";
    std::cerr << "token '" << token_name << "' (" << token_role << ") added; " << reload_hint;
  });
  token->add_subcommand("list", "the tokens: name, role, hash prefix (never the token)")
      ->callback([&] {
        auto store = open_tokens();
        if (!store) return;
        std::vector<std::vector<std::string>> rows;
        for (const auto& t : store->list())
          rows.push_back({t.name, storegate::admin::roleName(t.role), t.hash_prefix});
        table({"NAME", "ROLE", "SHA256"}, rows);
      });
  auto* revoke = token->add_subcommand("revoke", "remove every token of NAME");
  revoke->add_option("NAME", token_name)->required();
  revoke->callback([&] {
    auto store = open_tokens();
    if (!store) return;
    std::string error;
    if (!store->revoke(token_name, error)) {
      std::cerr << "storegatectl: " << error << "\n";
      code = kRefused;
      return;
    }
    std::cerr << "token '" << token_name << "' revoked; " << reload_hint;
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kOk : kUsage;
  }
  return code;
}
