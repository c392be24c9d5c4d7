// Every shipped plugin exports exactly the query symbol, and no STB_GNU_UNIQUE symbol
// that would keep dlclose from unloading it.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <exception>
#include <set>

#include "support/test_support.hpp"

namespace storegate {
namespace {

struct Symbol {
  char type;
  std::string name;
};

std::vector<Symbol> dynamicSymbols(const std::filesystem::path& so) {
  const std::string cmd = "nm -D --defined-only '" + so.string() + "' 2>&1";
  std::vector<Symbol> out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char line[1024];
  while (fgets(line, sizeof line, p) != nullptr) {
    // "<address> <type> <name>"
    std::string l(line);
    if (!l.empty() && l.back() == '\n') l.pop_back();
    const auto a = l.find(' ');
    if (a == std::string::npos || a + 3 > l.size()) continue;
    std::string name = l.substr(a + 3);
    name = name.substr(0, name.find('@'));  // drop a symbol version: name@@VERSION
    out.push_back({l[a + 1], name});
  }
  pclose(p);
  return out;
}

std::vector<std::filesystem::path> shippedPlugins() {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(test::pluginDir())) {
    if (e.path().extension() == ".so") out.push_back(e.path());
  }
  return out;
}

}  // namespace

TEST(SymbolAudit, EveryShippedPluginExportsOnlyTheQuerySymbol) {
  const auto plugins = shippedPlugins();
  ASSERT_GE(plugins.size(), 2u) << "no plugins found in " << test::pluginDir();
  for (const auto& so : plugins) {
    std::set<std::string> names;
    for (const Symbol& s : dynamicSymbols(so)) {
      names.insert(s.name);
      EXPECT_NE(s.type, 'u') << so.filename() << ": unique symbol " << s.name
                             << " blocks unloading";
    }
    EXPECT_EQ(names, std::set<std::string>{"storegate_plugin_query"}) << so.filename();
  }
}

TEST(SymbolAudit, TheParserSeesEverySymbolOfALibraryThatExportsMany) {
  // libstdc++ exports thousands of symbols, among them std::terminate: if the audit's
  // parser missed symbols, the test above would pass for the wrong reason.
  Dl_info info{};
  ASSERT_NE(dladdr(reinterpret_cast<void*>(&std::terminate), &info), 0);
  const auto syms = dynamicSymbols(info.dli_fname);
  EXPECT_GT(syms.size(), 1000u);
  bool found = false;
  for (const Symbol& s : syms) found = found || s.name == "_ZSt9terminatev";
  EXPECT_TRUE(found);
}

}  // namespace storegate
