// A libFuzzer target: P2P_FUZZ_TARGET names the reader of tests/fuzz/readers.h that it feeds. Each
// input is written to a scratch file (the readers take files, as the program does) and run through
// run_reader: a clear p2p::Error is a normal outcome; anything else escapes and is a finding.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "tests/fuzz/readers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const p2p::fuzz::Reader* reader = p2p::fuzz::find_reader(P2P_FUZZ_TARGET);
  static const std::string input = p2p::fuzz::scratch_dir() + "/input";
  if (!reader) {
    std::fprintf(stderr, "fuzz: no reader named %s (tests/fuzz/readers.cpp)\n", P2P_FUZZ_TARGET);
    std::abort();
  }
  {
    std::ofstream out(input, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  p2p::fuzz::run_reader(*reader, input);
  return 0;
}
