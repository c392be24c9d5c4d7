// storegatectl's local plugin-package commands (no daemon needed):
//   plugin keygen PREFIX                 an Ed25519 signing key: PREFIX.key, PREFIX.pub
//   plugin pack LIBRARY.so [OUT.sgp] [--name N --version V]
//   plugin sign PACKAGE.sgp --key PREFIX.key
//   plugin verify PACKAGE.sgp (--trusted-keys DIR | --key PREFIX.pub)
//   plugin seal LIBRARY.so --key PREFIX.key  sign an installed library: LIBRARY.so.sgm
#pragma once

#include <string>
#include <vector>

namespace storegate::ctl {

// True when args ("plugin", verb, …) name one of these commands.
[[nodiscard]] bool isPackageCommand(const std::vector<std::string>& args);
// Runs it; returns the exit code (0 done, 1 refused — e.g. a bad signature — 2 usage).
int runPackageCommand(const std::vector<std::string>& args);

}  // namespace storegate::ctl
