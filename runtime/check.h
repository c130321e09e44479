// Errors: every failed check throws p2p::Error whose message names the file and line of the check
// and says what was wrong, so that bad input ends in a clear message, never a crash or garbage.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace p2p {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(const char* file, int line, const std::string& msg);

}  // namespace p2p

// P2P_CHECK(cond, "stream" << "able" << message): throws p2p::Error when cond is false.
#define P2P_CHECK(cond, ...)                          \
  do {                                                \
    if (!(cond)) {                                    \
      std::ostringstream p2p_os_;                     \
      p2p_os_ << __VA_ARGS__;                         \
      ::p2p::fail(__FILE__, __LINE__, p2p_os_.str()); \
    }                                                 \
  } while (0)

#define P2P_FAIL(...) P2P_CHECK(false, __VA_ARGS__)
