// Names of the ABI status codes, for messages.
#include "common/status.hpp"

namespace storegate {

const char* statusName(sg_status code) {
  switch (code) {
    case SG_OK:
      return "OK";
    case SG_ERR_FAILED:
      return "FAILED";
    case SG_ERR_INVALID:
      return "INVALID";
    case SG_ERR_BACKPRESSURE:
      return "BACKPRESSURE";
    case SG_ERR_CLOSED:
      return "CLOSED";
    case SG_ERR_RETRY:
      return "RETRY";
    case SG_ERR_REJECTED:
      return "REJECTED";
    case SG_ERR_UNSUPPORTED:
      return "UNSUPPORTED";
    case SG_ERR_NOT_FOUND:
      return "NOT_FOUND";
    case SG_ERR_TIMEOUT:
      return "TIMEOUT";
    case SG_ERR_NO_MEMORY:
      return "NO_MEMORY";
    default:
      return "UNKNOWN";
  }
}

}  // namespace storegate
