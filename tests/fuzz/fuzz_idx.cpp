// The IDX reader (sim/data/idx.hpp, the Fashion-MNIST files), plain or gzipped: the input is
// written to a file and read as an idx3-ubyte image file and as an idx1-ubyte label file (labels
// 0..9). Contract: a bad file is an IdxError (a ConfigError) in one line naming the file; an
// accepted image file holds exactly count x rows x cols pixels, an accepted label file only
// labels in range.
#include <cstdint>
#include <fstream>

#include "fuzz.hpp"
#include "sim/data/idx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = fuzz::scratch_dir() + "/input-idx";
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
        if (!out) fuzz::fail("cannot write the scratch file " + path);
    }
    try {
        const sim::IdxImages im = sim::read_idx_images(path);
        std::uint64_t n = im.count;
        for (std::uint64_t d : {std::uint64_t(im.rows), std::uint64_t(im.cols)}) {
            if (d != 0 && n > UINT64_MAX / d) fuzz::fail("accepted images whose size overflows");
            n *= d;
        }
        if (n != im.pixels.size()) fuzz::fail("accepted " + std::to_string(im.pixels.size()) + " pixels for " +
                                              std::to_string(im.count) + " images of " + std::to_string(im.rows) +
                                              " x " + std::to_string(im.cols));
    } catch (const sim::IdxError& e) {
        fuzz::check_one_line(e);
        if (std::string(e.what()).find(path) == std::string::npos) fuzz::fail(std::string("error does not name the file: ") + e.what());
    } catch (const std::exception& e) {
        fuzz::unexpected(e, "reading images ");
    }
    try {
        const auto labels = sim::read_idx_labels(path, 9);
        for (auto l : labels)
            if (l > 9) fuzz::fail("accepted a label out of range");
    } catch (const sim::IdxError& e) {
        fuzz::check_one_line(e);
    } catch (const std::exception& e) {
        fuzz::unexpected(e, "reading labels ");
    }
    return 0;
}
