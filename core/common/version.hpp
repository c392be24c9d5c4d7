// The daemon's version, set by the build (STOREGATE_VERSION); one fallback for every user.
#pragma once

#ifndef STOREGATE_VERSION
#define STOREGATE_VERSION "0.0.0"
#endif
