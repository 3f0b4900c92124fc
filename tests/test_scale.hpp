// How much of the slow learning tests to run: ALIGNSIM_TEST_SCALE in (0, 1], default 1 (all);
// any other value fails the test that reads it.
// The sanitizer build (.ci/sanitizers.sh), where training runs several times slower, sets 0.25:
// a test then repeats its check on the first ceil(scale * n) of its n seeds (at least one).
// Every case that runs asserts the same property with the same tolerance; only the number of
// independent repetitions shrinks.
#pragma once
#include <cmath>
#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace testing_scale {

inline double scale() {
    const char* s = std::getenv("ALIGNSIM_TEST_SCALE");
    if (!s || !*s) return 1.0;
    char* end = nullptr;
    const double v = std::strtod(s, &end);
    if (*end != '\0' || !(v > 0 && v <= 1))  // a typo must not silently run the whole suite, or none
        throw std::invalid_argument(std::string("ALIGNSIM_TEST_SCALE='") + s + "' is not a number in (0, 1]");
    return v;
}

// The first ceil(scale() * n) seeds (at least one).
inline std::vector<long> seeds(std::vector<long> all) {
    const auto keep = static_cast<std::size_t>(std::ceil(scale() * static_cast<double>(all.size())));
    all.resize(std::max<std::size_t>(1, std::min(keep, all.size())));
    return all;
}

// Seeds 0, 1, ..., n - 1, scaled: the first ceil(scale() * n) of them.
inline std::vector<long> first_seeds(long n) {
    std::vector<long> all;
    for (long i = 0; i < n; ++i) all.push_back(i);
    return seeds(all);
}

}  // namespace testing_scale
