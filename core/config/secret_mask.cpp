#include "config/secret_mask.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace storegate {

namespace {

constexpr std::array<std::string_view, 7> kSecretSuffixes = {
    "secret", "token", "password", "passwd", "hmac_key", "api_key", "private_key"};

bool keyChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
}

bool secretKey(std::string_view key) {
  std::string lower(key);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return std::any_of(kSecretSuffixes.begin(), kSecretSuffixes.end(), [&](std::string_view s) {
    return lower.size() >= s.size() && lower.compare(lower.size() - s.size(), s.size(), s) == 0;
  });
}

void replaceAll(std::string& text, const std::string& what) {
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 3))
    text.replace(at, what.size(), "***");
}

// Masks the value that starts at `i` (after "key:" and its spaces); `flow` when inside {…}.
size_t maskValue(std::string& out, size_t i, bool flow) {
  if (i >= out.size() || out[i] == '\n' || out[i] == '#') return i;
  size_t end = i;
  if (out[i] == '"' || out[i] == '\'') {
    const char q = out[i];
    end = i + 1;
    while (end < out.size() && out[end] != q && out[end] != '\n') {
      if (q == '"' && out[end] == '\\' && end + 1 < out.size()) ++end;
      ++end;
    }
    if (end < out.size() && out[end] == q) ++end;
  } else {
    while (end < out.size() && out[end] != '\n' &&
           !(flow && (out[end] == ',' || out[end] == '}')) &&
           !(out[end] == '#' && end > i && out[end - 1] == ' '))
      ++end;
    while (end > i && out[end - 1] == ' ') --end;
  }
  const std::string_view value(out.data() + i, end - i);
  if (value.empty() || value.find("${") != std::string_view::npos || value == "\"\"" ||
      value == "''")
    return end;
  out.replace(i, end - i, "***");
  return i + 3;
}

}  // namespace

std::string maskSecrets(std::string_view yaml, const std::vector<std::string>& known) {
  std::string out(yaml);
  for (const std::string& s : known)
    if (s.size() >= 4) replaceAll(out, s);
  int flow_depth = 0;
  bool in_comment = false;
  for (size_t i = 0; i < out.size(); ++i) {
    const char c = out[i];
    if (c == '\n') {
      in_comment = false;
      continue;
    }
    if (in_comment) continue;
    if (c == '#' && (i == 0 || out[i - 1] == ' ' || out[i - 1] == '\n')) {
      in_comment = true;
      continue;
    }
    if (c == '{') ++flow_depth;
    if (c == '}' && flow_depth > 0) --flow_depth;
    if (c == '"' || c == '\'') {  // a quoted scalar that is not a value of a secret key
      const char q = c;
      for (++i; i < out.size() && out[i] != q && out[i] != '\n'; ++i)
        if (q == '"' && out[i] == '\\') ++i;
      continue;
    }
    if (c != ':' || i == 0 || !keyChar(out[i - 1])) continue;
    if (i + 1 < out.size() && out[i + 1] != ' ' && out[i + 1] != '\t' && out[i + 1] != '\n')
      continue;  // "a:b" is a plain scalar, not a key
    size_t k = i;
    while (k > 0 && keyChar(out[k - 1])) --k;
    if (!secretKey(std::string_view(out.data() + k, i - k))) continue;
    size_t v = i + 1;
    while (v < out.size() && (out[v] == ' ' || out[v] == '\t')) ++v;
    i = maskValue(out, v, flow_depth > 0) - 1;
  }
  return out;
}

}  // namespace storegate
