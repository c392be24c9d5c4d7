// Plugin packages: the archive round trip and every way a package is refused — unsigned,
// tampered library, tampered manifest, unknown key, other architecture, other ABI, bad
// archives — each with a message that says what is wrong.
#include "package/signing.hpp"

#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace storegate::package {
namespace {

class PackageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string id;
    ASSERT_TRUE(generateKey(dir_ / "vendor", key_id_).ok());
    ASSERT_TRUE(generateKey(dir_ / "stranger", id).ok());
    ASSERT_TRUE(trust_.add(dir_ / "vendor.pub").ok());
  }

  Package make(const std::string& library = std::string("\x7f"
                                                        "ELF fake library",
                                                        20)) {
    Package p;
    p.library = library;
    p.manifest.name = "pos_file";
    p.manifest.version = "1.2.0";
    p.manifest.abi_version = "1.1";
    p.manifest.arch = hostArch();
    p.manifest.sha256 = sha256Hex(library);
    p.manifest.size = library.size();
    p.manifest_text = p.manifest.toJson().dump();
    return p;
  }

  static std::string refusal(const TrustStore& t, const Package& p) {
    const Status s = t.verify(p);
    EXPECT_FALSE(s.ok());
    return s.message;
  }

  test::TempDir dir_;
  std::string key_id_;
  TrustStore trust_;
};

TEST_F(PackageTest, ASignedPackageSurvivesTheArchiveAndVerifies) {
  Package p = make();
  ASSERT_TRUE(sign(p, dir_ / "vendor.key").ok());
  EXPECT_EQ(p.manifest.key_id, key_id_);
  EXPECT_EQ(p.signature.size(), 64U);
  const std::string archive = write(p);
  EXPECT_EQ(archive.size() % 512, 0U);
  Package back;
  ASSERT_TRUE(read(archive, back).ok());
  EXPECT_EQ(back.library, p.library);
  EXPECT_EQ(back.manifest.name, "pos_file");
  EXPECT_TRUE(trust_.verify(back).ok()) << trust_.verify(back).message;
  EXPECT_TRUE(trust_.verify(back, "pos_file").ok());
  EXPECT_NE(trust_.verify(back, "pos_sql").message.find("is not the plugin pos_sql"),
            std::string::npos);
}

TEST_F(PackageTest, EachWayAPackageCanBeWrongIsRefusedWithItsReason) {
  const Package unsigned_pkg = make();
  EXPECT_NE(refusal(trust_, unsigned_pkg).find("is not signed"), std::string::npos);

  Package stranger = make();
  ASSERT_TRUE(sign(stranger, dir_ / "stranger.key").ok());
  EXPECT_NE(refusal(trust_, stranger).find("which this router does not trust"), std::string::npos);

  Package edited = make();
  ASSERT_TRUE(sign(edited, dir_ / "vendor.key").ok());
  edited.manifest_text.replace(edited.manifest_text.find("1.2.0"), 5, "9.9.9");
  EXPECT_NE(refusal(trust_, edited).find("signature does not match"), std::string::npos);

  Package tampered = make();
  ASSERT_TRUE(sign(tampered, dir_ / "vendor.key").ok());
  tampered.library[10] ^= 1;  // one bit of the library after signing
  Package read_back;
  const Status s = read(write(tampered), read_back);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message.find("does not match the manifest's sha256"), std::string::npos) << s.message;

  Package arm = make();
  arm.manifest.arch = hostArch() == "arm64" ? "amd64" : "arm64";
  arm.manifest_text = arm.manifest.toJson().dump();
  ASSERT_TRUE(sign(arm, dir_ / "vendor.key").ok());
  EXPECT_NE(refusal(trust_, arm).find("is built for " + arm.manifest.arch), std::string::npos);

  Package abi2 = make();
  abi2.manifest.abi_version = "2.0";
  ASSERT_TRUE(sign(abi2, dir_ / "vendor.key").ok());
  EXPECT_NE(refusal(trust_, abi2).find("speaks plugin ABI 2.0"), std::string::npos);
}

TEST_F(PackageTest, BrokenArchivesAreRefused) {
  Package p = make();
  Package out;
  EXPECT_NE(
      read("not a tar at all, but long enough to hold a header block" + std::string(600, 'x'), out)
          .message.find("not a storegate package"),
      std::string::npos);
  std::string archive = write(p);
  archive[10] ^= 1;  // inside the first header: its checksum no longer holds
  EXPECT_NE(read(archive, out).message.find("checksum"), std::string::npos);
  EXPECT_NE(read(write(p).substr(0, 700), out).message.find("truncated"), std::string::npos);
  Package no_library = p;
  EXPECT_NE(read(write(no_library, false), out).message.find("no plugin.so"), std::string::npos);
  EXPECT_TRUE(read(write(no_library, false), out, /*library_required=*/false).ok());
}

TEST_F(PackageTest, AnInstalledLibraryMustMatchItsSignedSidecar) {
  Package p = make();
  ASSERT_TRUE(sign(p, dir_ / "vendor.key").ok());
  const auto lib = dir_ / "pos_file.so";
  test::writeFile(lib, p.library);
  EXPECT_NE(trust_.verifyInstalled(lib).message.find("has no signature"), std::string::npos);
  test::writeFile(lib.string() + ".sgm", write(p, false));
  EXPECT_TRUE(trust_.verifyInstalled(lib).ok()) << trust_.verifyInstalled(lib).message;
  test::writeFile(lib, p.library + "x");
  EXPECT_NE(trust_.verifyInstalled(lib).message.find("does not match its signed manifest"),
            std::string::npos);
}

TEST(ElfArch, ReadsTheMachineFromTheHeader) {
  std::string elf(64, '\0');
  elf.replace(0, 4,
              "\x7f"
              "ELF");
  elf[5] = 1;  // little-endian
  elf[18] = static_cast<char>(183);
  EXPECT_EQ(elfArch(elf), "arm64");
  elf[18] = 62;
  EXPECT_EQ(elfArch(elf), "amd64");
  EXPECT_EQ(elfArch("#!/bin/sh\n" + std::string(30, ' ')), std::nullopt);
}

}  // namespace
}  // namespace storegate::package
