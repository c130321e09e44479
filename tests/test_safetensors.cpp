// The safetensors reader and writer: a round trip, the byte layout, and every malformed-file error.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "runtime/check.h"
#include "runtime/safetensors.h"
#include "tests/testing.h"

using namespace p2p;

namespace {

std::string temp_path(const std::string& stem) {
  return "/tmp/p2p_st_" + std::to_string(::getpid()) + "_" + stem + ".safetensors";
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A file holding a header (as given) and data bytes.
std::string with_header(const std::string& header, size_t data_bytes) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((header.size() >> (8 * i)) & 0xFF);
  return out + header + std::string(data_bytes, '\0');
}

}  // namespace

TEST_CASE("safetensors round trip keeps tensors, shapes and metadata", "[safetensors]") {
  std::string path = temp_path("roundtrip");
  Tensor a = testing::tensor_of({2, 3, 1, 2}, testing::random_values(12, 1), Device::CPU);
  Tensor b = testing::tensor_of({5}, testing::random_values(5, 2), Device::CPU);
  Tensor empty({0, 4});
  Metadata meta{{"epoch", "3"}, {"options", json_object({{"norm", "batch"}, {"quote\"d", "a\\b\nc"}})}};
  save_safetensors(path, {{"G.a", a}, {"D.b", b}, {"E.empty", empty}}, meta);
  CHECK_FALSE(std::ifstream(path + ".tmp").good());  // the temporary was renamed away

  SafetensorsFile f(path);
  CHECK(f.metadata() == meta);
  CHECK(f.names() == std::vector<std::string>{"D.b", "E.empty", "G.a"});
  CHECK(f.shape("G.a") == Shape{2, 3, 1, 2});
  CHECK(f.read("G.a").to_vector() == a.to_vector());
  CHECK(f.read("D.b").to_vector() == b.to_vector());
  CHECK(f.read("E.empty").numel() == 0);
  Metadata opts = parse_json_object(f.meta("options"), "options");
  CHECK(opts.at("quote\"d") == "a\\b\nc");

  // The layout: 8-byte little-endian length, the header padded to 8 bytes, then G.a's floats first.
  std::string bytes = read_bytes(path);
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  CHECK(n % 8 == 0);
  CHECK(bytes.size() == 8 + n + (12 + 5) * sizeof(float));
  float first;
  std::memcpy(&first, bytes.data() + 8 + n, sizeof first);
  CHECK(first == a.to_vector()[0]);
  std::remove(path.c_str());
}

TEST_CASE("safetensors errors name the file and the problem", "[safetensors]") {
  std::string path = temp_path("bad");
  Tensor a = testing::tensor_of({4, 3}, testing::random_values(12, 3), Device::CPU);
  save_safetensors(path, {{"G.w", a}}, {{"step", "7"}});
  std::string good = read_bytes(path);

  SECTION("missing file") {
    std::remove(path.c_str());
    CHECK_THROWS_WITH(SafetensorsFile(path), Catch::Contains(path) && Catch::Contains("cannot open"));
  }
  SECTION("too short to be one") {
    write_bytes(path, "abc");
    CHECK_THROWS_WITH(SafetensorsFile(path), Catch::Contains(path) && Catch::Contains("not a safetensors file"));
  }
  SECTION("garbage") {
    write_bytes(path, "this is plain text, surely not a checkpoint\n");
    CHECK_THROWS_WITH(SafetensorsFile(path), Catch::Contains(path) && Catch::Contains("too large"));
  }
  SECTION("header that is not JSON") {
    write_bytes(path, with_header("{\"G.w\": nope}   ", 0));
    CHECK_THROWS_WITH(SafetensorsFile(path), Catch::Contains("not valid JSON"));
  }
  SECTION("truncated in the header") {
    write_bytes(path, good.substr(0, 20));
    CHECK_THROWS_WITH(SafetensorsFile(path), Catch::Contains(path) && Catch::Contains("truncated"));
  }
  SECTION("truncated in the data") {
    write_bytes(path, good.substr(0, good.size() - 4));
    CHECK_THROWS_WITH(SafetensorsFile(path), Catch::Contains("G.w") && Catch::Contains("out of range"));
  }
  SECTION("dtype other than F32") {
    write_bytes(path, with_header(R"({"x":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})", 4));
    CHECK_THROWS_WITH(SafetensorsFile(path), Catch::Contains("dtype F16"));
  }
  SECTION("offsets that disagree with the shape") {
    write_bytes(path, with_header(R"({"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8));
    CHECK_THROWS_WITH(SafetensorsFile(path), Catch::Contains("do not match shape [3]"));
  }
  SECTION("overlapping tensors") {
    write_bytes(path, with_header(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                  R"("y":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                                  8));
    CHECK_THROWS_WITH(SafetensorsFile(path), Catch::Contains("overlaps"));
  }
  SECTION("wrong shape and missing tensor when reading into a model") {
    SafetensorsFile f(path);
    Tensor dst({3, 4});
    CHECK_THROWS_WITH(f.read_into("G.w", dst, "(other --ngf?)"),
                      Catch::Contains("tensor G.w has shape [4, 3], the model expects [3, 4] (other --ngf?)"));
    CHECK_THROWS_WITH(f.read_into("G.missing", dst), Catch::Contains("tensor G.missing is missing"));
    CHECK_THROWS_WITH(f.meta("epoch"), Catch::Contains("metadata 'epoch' is missing"));
    CHECK(f.meta("step") == "7");
  }
  std::remove(path.c_str());
}
