// The .npy reader (sim::parse_npy, what read_npy runs on a file's bytes). Contract: a malformed
// file is a std::runtime_error naming it; an accepted one has as many values as its shape says.
#include <cstdint>

#include "fuzz.hpp"
#include "sim/io/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const sim::NpyArray a = sim::parse_npy(fuzz::text(data, size), "fuzz.npy");
        std::size_t n = 1;
        for (auto d : a.shape) {
            if (d != 0 && n > SIZE_MAX / d) fuzz::fail("accepted a shape whose size overflows");
            n *= d;
        }
        if (n != a.data.size()) fuzz::fail("shape and data disagree");
        if ((a.descr != "<f8" && a.descr != "<f4" && a.descr != "<i8") || a.fortran_order)
            fuzz::fail("accepted a dtype or order it does not read");
    } catch (const std::runtime_error& e) {
        const std::string m = e.what();
        if (m.find("fuzz.npy") == std::string::npos) fuzz::fail("error does not name the file: " + m);
    } catch (const std::exception& e) {
        fuzz::unexpected(e);
    }
    return 0;
}
