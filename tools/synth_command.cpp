// gan synth: writes a synthetic AB dataset (data/synthetic.h) for a first run without facades.
#include <iostream>

#include "data/synthetic.h"
#include "runtime/check.h"
#include "tools/commands.h"

namespace p2p {

void run_synth(const SynthOptions& o, Console& con) {
  P2P_CHECK(!o.out.empty(), "--out is not set");
  P2P_CHECK(o.count > 0 && o.test_count >= 0, "--count must be positive and --test-count not negative");
  P2P_CHECK(o.size >= 16, "--size " << o.size << ": expected at least 16");
  write_synthetic_dataset(o.out, o.count, o.test_count, o.size, o.seed);
  con.out << "wrote " << o.count << " training and " << o.test_count << " test pairs (" << 2 * o.size << "x" << o.size
          << ", A = photo | B = labels; train labels -> photo with --direction BtoA) to " << o.out << "\n";
}

}  // namespace p2p
