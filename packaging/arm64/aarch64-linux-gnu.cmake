# Cross-compiling for aarch64 (arm64) store routers with Debian's cross compiler
# (crossbuild-essential-arm64) against a sysroot made by make-sysroot.sh.
#   cmake -DCMAKE_TOOLCHAIN_FILE=packaging/arm64/aarch64-linux-gnu.cmake \
#         -DSTOREGATE_ARM64_SYSROOT=/path/to/sysroot ...
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

if(NOT STOREGATE_ARM64_SYSROOT)
  set(STOREGATE_ARM64_SYSROOT "$ENV{STOREGATE_ARM64_SYSROOT}" CACHE PATH "aarch64 sysroot")
endif()
# try_compile projects re-read this file: hand them the sysroot too.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES STOREGATE_ARM64_SYSROOT)
if(NOT IS_DIRECTORY "${STOREGATE_ARM64_SYSROOT}")
  message(FATAL_ERROR "STOREGATE_ARM64_SYSROOT='${STOREGATE_ARM64_SYSROOT}' is not a directory: "
                      "make one with packaging/arm64/make-sysroot.sh")
endif()
set(CMAKE_SYSROOT "${STOREGATE_ARM64_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH "${STOREGATE_ARM64_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Build-tree programs (test discovery) run under user-mode emulation.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L "${STOREGATE_ARM64_SYSROOT}")

# pkg-config answers from the sysroot.
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${STOREGATE_ARM64_SYSROOT}")
set(ENV{PKG_CONFIG_LIBDIR}
    "${STOREGATE_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu/pkgconfig:${STOREGATE_ARM64_SYSROOT}/usr/share/pkgconfig")
