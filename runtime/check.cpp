#include "runtime/check.h"

namespace p2p {

void fail(const char* file, int line, const std::string& msg) {
  std::string f(file);
  // Keep the path relative to the source tree: "kernels/conv2d.cpp:42" reads better than an absolute path.
  for (const char* top : {"/runtime/", "/kernels/", "/nn/", "/models/", "/data/", "/tools/", "/tests/", "/bench/"}) {
    auto pos = f.rfind(top);
    if (pos != std::string::npos) {
      f = f.substr(pos + 1);
      break;
    }
  }
  throw Error(msg + " [" + f + ":" + std::to_string(line) + "]");
}

}  // namespace p2p
