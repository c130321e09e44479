// ImagePool (models/image_pool.h): the semantics of util/image_pool.py (fill, then a swap with
// probability 1/2 at a uniform slot, size 0 = no pool) and an exact save / load round trip.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <set>

#include "models/image_pool.h"
#include "tests/testing.h"

using namespace p2p;
using namespace p2p::testing;

namespace {
// A batch of n 1x2x2 images whose pixels all equal their id: ids first, first + 1, ...
Tensor batch_of_ids(int n, int first) {
  std::vector<float> v;
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < 4; ++k) v.push_back(float(first + i));
  return Tensor::from_vector({n, 1, 2, 2}, v);
}
// The id of each image of a batch (checking that all its pixels agree).
std::vector<int> ids_of(const Tensor& t) {
  const std::vector<float> v = t.to_vector();
  std::vector<int> ids;
  for (size_t i = 0; i < v.size(); i += 4) {
    for (int k = 1; k < 4; ++k) REQUIRE(v[i + k] == v[i]);
    ids.push_back(int(v[i]));
  }
  return ids;
}
}  // namespace

TEST_CASE("ImagePool of size 0 returns the input itself", "[cycle][pool]") {
  ImagePool pool(0, 1, Device::CPU);
  const Tensor x = batch_of_ids(3, 0);
  CHECK(&pool.query(x) == &x);
  CHECK(pool.count() == 0);
}

TEST_CASE("ImagePool fills, then swaps with probability 1/2 at a uniform slot", "[cycle][pool]") {
  const int size = 5;
  ImagePool pool(size, 7, Device::CPU);
  // Filling: a batch of 3 then 2 (each image is returned and stored), no random draws.
  CHECK(ids_of(pool.query(batch_of_ids(3, 0))) == std::vector<int>{0, 1, 2});
  CHECK(ids_of(pool.query(batch_of_ids(2, 3))) == std::vector<int>{3, 4});
  CHECK(pool.count() == size);
  CHECK(pool.draws() == 0);

  // Full: each query returns either the new image or a stored one, which the new one replaces. Track
  // the contents: a returned old id must be in the pool, and the new id then is.
  std::multiset<int> stored = {0, 1, 2, 3, 4};
  const int n = 4000;
  int swaps = 0;
  std::vector<int> slot_hits(size, 0);
  for (int k = 0; k < n; ++k) {
    const int id = 100 + k;
    const int got = ids_of(pool.query(batch_of_ids(1, id)))[0];
    if (got == id) continue;
    ++swaps;
    REQUIRE(stored.count(got) == 1);
    stored.erase(got);
    stored.insert(id);
    if (got < size) ++slot_hits[got];  // an initial image leaves the pool at most once
  }
  CHECK(pool.draws() == 2u * n);
  // Binomial(4000, 1/2): sd = sqrt(4000 / 4) ~ 31.6; 5 sd = 158.
  CHECK(std::abs(swaps - n / 2) < 158);
  // Every initial image was swapped out exactly once (each of the ~2000 swaps picks it with
  // probability 1/5 while it is there).
  for (int s = 0; s < size; ++s) CHECK(slot_hits[s] == 1);
}

TEST_CASE("ImagePool slots are uniform", "[cycle][pool]") {
  // Count which stored id each swap returns right after a refill of known contents: with size 4 and
  // ids tagged by slot, the returned slot is uniform. Bound: binomial(m, 1/4), 5 sd.
  const int size = 4, rounds = 4000;
  ImagePool pool(size, 11, Device::CPU);
  pool.query(batch_of_ids(size, 0));  // slot s holds id s
  std::vector<int> slot_of(1 << 16, -1);
  for (int s = 0; s < size; ++s) slot_of[s] = s;
  std::vector<int> hits(size, 0);
  int swaps = 0;
  for (int k = 0; k < rounds; ++k) {
    const int id = size + k;
    const int got = ids_of(pool.query(batch_of_ids(1, id)))[0];
    if (got == id) continue;
    ++swaps;
    const int slot = slot_of[got];
    ++hits[slot];
    slot_of[id] = slot;  // the new image took the returned one's slot
  }
  const double p = 1.0 / size, sd = std::sqrt(swaps * p * (1 - p));
  for (int s = 0; s < size; ++s) CHECK(std::abs(hits[s] - swaps * p) < 5 * sd);
}

TEST_CASE("ImagePool save and load continue identically", "[cycle][pool]") {
  const std::string path = "test_image_pool.safetensors";
  ImagePool a(3, 5, Device::CPU), b(3, 5, Device::CPU);
  for (int k = 0; k < 6; ++k) a.query(batch_of_ids(2, 10 * k));
  std::vector<NamedTensor> tensors;
  Metadata meta;
  a.save("pool_A", tensors, meta);
  save_safetensors(path, tensors, meta);
  b.load(SafetensorsFile(path), "pool_A");
  CHECK(b.count() == a.count());
  CHECK(b.draws() == a.draws());
  for (int k = 6; k < 40; ++k)
    CHECK(ids_of(a.query(batch_of_ids(2, 10 * k))) == ids_of(b.query(batch_of_ids(2, 10 * k))));
  ImagePool small(2, 5, Device::CPU);
  CHECK_THROWS_WITH(small.load(SafetensorsFile(path), "pool_A"),
                    Catch::Contains("image pool pool_A holds 3 images, this pool has room for 2"));

  // A pool saved while still filling (and an empty one) loads too.
  ImagePool c(4, 5, Device::CPU), d(4, 5, Device::CPU), e(4, 5, Device::CPU);
  c.query(batch_of_ids(1, 3));
  tensors.clear();
  meta.clear();
  c.save("pool_B", tensors, meta);
  ImagePool(4, 5, Device::CPU).save("pool_C", tensors, meta);
  save_safetensors(path, tensors, meta);
  d.load(SafetensorsFile(path), "pool_B");
  e.load(SafetensorsFile(path), "pool_C");
  CHECK(d.count() == 1);
  CHECK(e.count() == 0);
  CHECK(ids_of(d.query(batch_of_ids(4, 7))) == ids_of(c.query(batch_of_ids(4, 7))));
  std::remove(path.c_str());
}
