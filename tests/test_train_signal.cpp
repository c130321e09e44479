// Ctrl-C during training: the tool (a real subprocess) gets SIGINT mid-run, finishes its step, saves
// latest and exits with 0 and a message; `train --resume` then continues exactly: the loss log
// equals an uninterrupted run's.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "data/synthetic.h"
#include "runtime/safetensors.h"
#include "tests/cli_runner.h"

using namespace p2p;
namespace fs = std::filesystem;

extern char** environ;

namespace {

using testing::rows_but_last_column;

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("SIGINT stops training cleanly after a step, and --resume continues exactly", "[cli][signal]") {
  const testing::ScratchDir scratch("p2p_signal_");
  const fs::path& dir = scratch.dir;
  write_synthetic_dataset((dir / "data").string(), 6, 0, 32, 3);
  auto args = [&](const std::string& name, std::vector<std::string> extra) {
    std::vector<std::string> a = {"train",
                                  "--model",
                                  "cycle_gan",
                                  "--dataroot",
                                  (dir / "data").string(),
                                  "--checkpoints-dir",
                                  (dir / "ck").string(),
                                  "--name",
                                  name,
                                  "--load-size",
                                  "36",
                                  "--crop-size",
                                  "32",
                                  "--ngf",
                                  "4",
                                  "--ndf",
                                  "4",
                                  "--n-blocks",
                                  "1",
                                  "--device",
                                  "cpu",
                                  "--threads",
                                  "1",
                                  "--print-freq",
                                  "1",
                                  "--sample-freq",
                                  "0",
                                  "--save-latest-freq",
                                  "0"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };

  // The interrupted run: no step limit; SIGINT once a few steps are logged.
  std::vector<std::string> a = args("interrupted", {});
  a.insert(a.begin(), P2P_TOOL);
  std::vector<char*> argv;
  for (std::string& s : a) argv.push_back(s.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t io;
  posix_spawn_file_actions_init(&io);
  const std::string out_path = (dir / "out.txt").string();
  posix_spawn_file_actions_addopen(&io, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, argv[0], &io, nullptr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&io);
  const std::string log = (dir / "ck/interrupted/loss_log.csv").string();
  for (int i = 0; i < 600 && rows_but_last_column(log).size() < 4; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  REQUIRE(rows_but_last_column(log).size() >= 4);  // header + 3 steps
  ::kill(pid, SIGINT);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  const std::string out = read_text(out_path);
  INFO(out);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(out.find("stopped by SIGINT after step") != std::string::npos);
  const size_t done = rows_but_last_column(log).size() - 1;
  SafetensorsFile f((dir / "ck/interrupted/latest.safetensors").string());
  CHECK(f.meta("step") == std::to_string(done));  // every logged step is in the checkpoint

  // Resume to done + 4 steps, against a straight run of as many.
  const std::string total = std::to_string(done + 4);
  const testing::CliRun resumed = testing::cli(args("interrupted", {"--resume", "--max-iters", total}));
  INFO(resumed.err);
  REQUIRE(resumed.code == 0);
  REQUIRE(testing::cli(args("straight", {"--max-iters", total})).code == 0);
  CHECK(rows_but_last_column(log) == rows_but_last_column((dir / "ck/straight/loss_log.csv").string()));
}
