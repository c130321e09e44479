// Natural order of names, as a person sorts them: runs of digits compare as numbers, so
// 1 < 2 < 10 < 100 (plain string order gives 1 < 10 < 100 < 2). The test page lists images so.
#pragma once
#include <string>

namespace p2p {

// A strict weak order: digit runs by value (leading zeros ignored), other characters by byte; names
// equal under that (e.g. "a01" and "a1") fall back to plain string order, so sorting is deterministic.
bool natural_less(const std::string& a, const std::string& b);

}  // namespace p2p
