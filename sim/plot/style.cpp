// The look every figure shares: colours, panel layouts and sizes, gnuplot quoting, the title's
// second line, and the .gp preamble (terminals, fonts, grid) with the gnuplot run (figure.hpp).
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>

#include "models/registry.hpp"
#include "sim/io/files.hpp"
#include "sim/plot/figure.hpp"

namespace sim::figures {

namespace fs = std::filesystem;

// An alignment loss has its registry entry's colour (models/registry.cpp); blocks and targets
// theirs here.
std::string color_of(const std::string& what) {
    if (const models::AlignmentLossEntry* e = models::find_alignment_loss(what)) return e->style.colour;
    static const std::map<std::string, std::string> c{
        {"s", "#2ca02c"},          {"u1", "#d62728"},   {"u2", "#9467bd"},
        {"y_shared", "#1f77b4"}, {"y1", "#ff7f0e"},        {"y2", "#8c564b"},   {"y_mix", "#000000"}};
    auto it = c.find(what);
    return it == c.end() ? "#17becf" : it->second;
}

std::string layout(std::size_t n) {
    if (n <= 3) return "1," + std::to_string(n);
    if (n == 4) return "2,2";
    return std::to_string((n + 2) / 3) + ",3";
}
std::pair<int, int> size_for(std::size_t n) {
    if (n <= 1) return {680, 520};
    if (n == 2) return {1100, 500};
    if (n == 3) return {1500, 500};
    if (n == 4) return {1100, 900};
    return {1500, static_cast<int>(430 * ((n + 2) / 3) + 60)};
}

std::string q(const std::string& s) {  // a gnuplot double-quoted string (file names)
    std::string o = "\"";
    for (char ch : s) {
        if (ch == '"' || ch == '\\') o += '\\';
        o += ch;
    }
    return o + "\"";
}
// A label for enhanced text: '_' stays an underscore (not a subscript).
std::string lab(const std::string& s) {
    std::string o = "\"";
    for (char ch : s) {
        if (ch == '_') o += "\\\\_";
        else if (ch == '"' || ch == '\\') o += std::string("\\") + ch;
        else o += ch;
    }
    return o + "\"";
}

// The second line of a figure's title: the values held fixed and the number of seeds.
void finish(Fig& f, std::ostringstream& body, const std::string& note, const std::string& suffix) {
    std::string line2 = note.empty() ? "" : "at " + note;
    if (!suffix.empty()) line2 += (line2.empty() ? "" : "; ") + suffix.substr(2);
    f.title += line2.empty() ? "" : " (" + line2 + ")";
    std::string esc;  // as lab() writes it, after a line break
    for (char ch : line2) esc += ch == '_' ? std::string("\\\\_") : std::string(1, ch);
    std::string b = body.str();
    const std::string rep = line2.empty() ? "" : "\\n" + esc;
    for (auto at = b.find("@SEEDS@"); at != std::string::npos; at = b.find("@SEEDS@")) b.replace(at, 7, rep);
    f.body = b;
}

void Writer::write(const Fig& f, PlotReport& rep) {
    write_file_atomic(dir_ + "/" + f.name + ".dat",
                      "# " + f.title + "\n# written by alignsim plot from " + src_ + "\n" + f.data);
    // one terminal per format: svg (gnuplot's own), png and pdf (cairo); the last is the else branch
    auto terminal = [&](const std::string& fmt) {
        // images go to NAME.FMT.tmp first when alignsim runs the script (sfx), then are renamed
        // into place whole (sim/io/files.hpp: publish_file); by hand, to NAME.FMT directly
        const std::string out = "; set output " + q(f.name + "." + fmt) + ".sfx";
        if (fmt == "svg")
            return "set terminal svg size " + std::to_string(f.w) + "," + std::to_string(f.h) +
                   " dynamic enhanced font \"Helvetica,13\" background rgb \"white\"" + out;
        if (fmt == "png")
            return "set terminal pngcairo size " + std::to_string(f.w) + "," + std::to_string(f.h) +
                   " enhanced font \"Helvetica,11\" background rgb \"white\"" + out;
        // pdf: the png's layout at 72 points per inch, so a pixel there is a point here
        std::ostringstream sz;
        sz << f.w / 72.0 << "in," << f.h / 72.0 << "in";
        return "set terminal pdfcairo size " + sz.str() + " enhanced font \"Helvetica,11\" background rgb \"white\"" + out;
    };
    std::string list, names;
    for (std::size_t i = 0; i < formats_.size(); ++i) {
        list += (i ? " " : "") + formats_[i];
        names += (i == 0 ? "" : i + 1 == formats_.size() ? " and " : ", ") + f.name + "." + formats_[i];
    }
    std::string select;  // if (fmt eq "svg") { ... } else { if (...) { ... } else { ... } }
    for (std::size_t i = formats_.size(); i-- > 0;) {
        const std::string t = terminal(formats_[i]);
        select = i + 1 == formats_.size() ? t
                                          : "if (fmt eq \"" + formats_[i] + "\") { " + t + " } else { " + select + " }";
    }
    std::ostringstream gp;
    gp << "# " << f.title << "\n# written by alignsim plot from " << src_
       << "; run `gnuplot " << f.name << ".gp` in this directory to redraw " << names << "\n"
       << "if (!exists(\"sfx\")) sfx = \"\"\n"
       << "do for [fmt in \"" << list << "\"] {\n"
       << "  " << select << "\n"
       << "  reset\n  set datafile missing \"?\"\n  set grid lc rgb \"#dddddd\"\n  set key samplen 2 spacing 1.1\n"
       << f.body << "  set output\n}\n";
    write_file_atomic(dir_ + "/" + f.name + ".gp", gp.str());
    rep.drawn.push_back(f.name);
    if (!run_ || missing_) return;
    const int rc = gnuplot(f.name + ".gp");
    if (rc == 127) {
        missing_ = true;
        rep.images = false;
        rep.notes.push_back("gnuplot was not found: wrote the .dat and .gp files only");
        return;
    }
    auto drop_tmp = [&] {
        for (const auto& fmt : formats_) ::unlink((dir_ + "/" + f.name + "." + fmt + ".tmp").c_str());
    };
    if (rc != 0) {
        drop_tmp();
        std::ifstream in(dir_ + "/gnuplot.log");
        std::string first;
        std::string line;
        while (std::getline(in, line))
            if (!line.empty()) {
                first = line;
                break;
            }
        throw std::runtime_error("gnuplot failed on '" + dir_ + "/" + f.name + ".gp'" + (first.empty() ? "" : ": " + first));
    }
    fs::remove(dir_ + "/gnuplot.log");
    // gnuplot does not notice a full disk: it leaves a cut image and exits 0
    for (const auto& fmt : formats_) {
        const std::string path = dir_ + "/" + f.name + "." + fmt + ".tmp";
        std::ifstream in(path, std::ios::binary | std::ios::ate);
        const std::streamoff size = in ? static_cast<std::streamoff>(in.tellg()) : 0;
        std::string tail(static_cast<std::size_t>(std::min<std::streamoff>(size, 64)), '\0');
        in.seekg(size - static_cast<std::streamoff>(tail.size()));
        in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
        bool whole = false;
        if (fmt == "svg") whole = tail.find("</svg>") != std::string::npos;
        else if (fmt == "png") whole = tail.size() >= 8 && tail.compare(tail.size() - 8, 8, "IEND\xae\x42\x60\x82") == 0;
        else if (fmt == "pdf") whole = tail.find("%%EOF") != std::string::npos;
        else whole = size > 0;
        if (!in || !whole) {
            drop_tmp();
            throw std::runtime_error("cannot write '" + dir_ + "/" + f.name + "." + fmt +
                                     "': gnuplot left it incomplete (is the disk full?)");
        }
    }
    for (const auto& fmt : formats_) {  // all complete: each renamed into place, synced
        const std::string path = dir_ + "/" + f.name + "." + fmt;
        try {
            publish_file(path + ".tmp", path);
        } catch (...) {
            drop_tmp();
            throw;
        }
    }
}

int Writer::gnuplot(const std::string& script) {
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("cannot start gnuplot: fork failed");
    if (pid == 0) {
        if (::chdir(dir_.c_str()) != 0) ::_exit(126);
        std::FILE* log = std::freopen("gnuplot.log", "w", stderr);
        (void)log;
        std::freopen("/dev/null", "w", stdout);
        ::execlp("gnuplot", "gnuplot", "-e", "sfx = '.tmp'", script.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0) {
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

}  // namespace sim::figures
