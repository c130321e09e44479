// gan: the command-line tool (see tools/cli.cpp for the subcommands and options).
#include <unistd.h>

#include <iostream>

#include "tools/commands.h"

int main(int argc, char** argv) {
  p2p::Console con{std::cout, std::cerr, static_cast<bool>(::isatty(STDOUT_FILENO))};
  return p2p::run_cli(argc, argv, con);
}
