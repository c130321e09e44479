// The readers of untrusted files, one per fuzz target (tests/fuzz/fuzz_target.cpp) and per folder of
// regressions/ (tests/fuzz/regressions.cpp): each takes a file and feeds it to a real reader the way
// the program does. A bad file must end in a p2p::Error whose message names the file; anything else
// (a crash, a sanitizer report, another exception, a message that does not name the file) is a
// finding, and the input that caused it belongs in tests/fuzz/regressions/<target>/.
#pragma once
#include <string>
#include <vector>

namespace p2p::fuzz {

struct Reader {
  const char* target;  // fuzz_<name>: the executable and its corpus/ and regressions/ folders
  void (*read)(const std::string& path);
};

// fuzz_image: probe_image then load_image (JPEG, PNG, BMP, anything); when both accept the file they
//             must agree on its size.
// fuzz_probe: probe_image alone (the header reads).
// fuzz_safetensors: SafetensorsFile, then every tensor read.
// fuzz_json: parse_json_object on the text.
// fuzz_dataset: byte 0 picks the preprocessing and flip, the rest is an AB image saved into a
//             folder of its own; AlignedDataset::get(0, 0) with small sizes.
const std::vector<Reader>& readers();
const Reader* find_reader(const std::string& target);  // null when there is none by that name

// Runs reader on path: returns on a clean result or a p2p::Error that names path (or, for
// fuzz_dataset, the copy of the image it made); anything else escapes as an exception.
void run_reader(const Reader& reader, const std::string& path);

// A scratch folder of this process, under $TMPDIR (or /dev/shm, or /tmp), removed at exit.
const std::string& scratch_dir();

}  // namespace p2p::fuzz
