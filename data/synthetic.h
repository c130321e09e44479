// Procedural facade-like pairs, for tests and for a first run without the facades download.
//
// A layout (drawn from Philox with key seed ^ kSyntheticKey and counter (draw, index)) places
// axis-aligned rectangles of a few classes on a sky background: a facade, a cornice band, a grid of
// windows with sills, some balconies, a door. The label map paints each class in its facades colour
// (the CMP facades palette as in pix2pix's facades set). The "photo" is a pure function of the label
// map and the pixel position: per-class colour and shading (sky and wall gradients, window frames
// found from the label neighbourhood, door planks, balcony bars) plus mild position-hashed noise,
// so a generator can learn labels -> photo exactly. Same seed and index, same pair.
#pragma once
#include <cstdint>
#include <string>

#include "data/image.h"

namespace p2p {

enum class FacadeClass : uint8_t { sky, facade, cornice, window, sill, balcony, door, count };

// The label colour of each class.
void class_color(FacadeClass c, uint8_t rgb[3]);

struct SyntheticPair {
  Image photo, labels;  // size x size RGB
};
SyntheticPair make_synthetic_pair(int size, uint64_t seed, uint64_t index);
// photo (A) | labels (B), 2 * size x size, like the facades files (so BtoA is labels -> photo).
Image synthetic_ab(int size, uint64_t seed, uint64_t index);

// The unpaired mode (for the DCGAN and the VAE): one size x size image of 2 to 4 shapes (discs and
// rectangles) in random colours over a background texture (a vertical gradient between two colours,
// or diagonal stripes of a random period), drawn from the same Philox stream as the pairs' layouts
// (key seed ^ kSyntheticKey, counter (draw, index)) in another range of draws; same seed and index,
// same image.
Image synthetic_single(int size, uint64_t seed, uint64_t index);
// Writes dir/NNNNNN.png, indices 0 .. n - 1, creating the folder.
void write_synthetic_images(const std::string& dir, int n, int size, uint64_t seed);

// Writes dir/train/NNNNNN.png (indices 0 .. n_train - 1) and dir/test/NNNNNN.png (indices n_train ..
// n_train + n_test - 1) as AB images, creating the folders.
void write_synthetic_dataset(const std::string& dir, int n_train, int n_test, int size, uint64_t seed);

}  // namespace p2p
