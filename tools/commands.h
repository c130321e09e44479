// The pix2pix command's subcommands as functions (the CLI in cli.cpp parses into the option structs
// and calls these; the tests call both). Each throws p2p::Error with a message naming the option or
// file at fault.
#pragma once
#include <string>
#include <vector>

#include "data/image.h"
#include "tools/options.h"

namespace p2p {

// Trains (or resumes) as described in train_command.cpp; writes under <checkpoints-dir>/<name>/.
void run_train(TrainOptions opt, Console& con);
// Runs a checkpoint over a split; writes images, index.html and metrics under <results-dir>/<name>/.
void run_test(const TestOptions& opt, Console& con);
// Writes a synthetic AB dataset (data/synthetic.h).
void run_synth(const SynthOptions& opt, Console& con);

// The command line: parses argv (argv[0] the program name), runs the subcommand, prints errors to
// con.err; returns the process exit code (0 success, non-zero on any error).
int run_cli(int argc, const char* const* argv, Console& con);

// The images left to right on one canvas (all of the same height).
Image side_by_side(const std::vector<Image>& images);

}  // namespace p2p
