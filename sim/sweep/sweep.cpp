#include "sim/sweep/sweep.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>
#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "models/registry.hpp"
#include "sim/io/meta.hpp"
#include "sim/run/estimate.hpp"
#include "sim/run/stop.hpp"
#include "sim/sweep/history.hpp"
#include "sim/io/lock.hpp"
#include "sim/io/owned_dir.hpp"
#include "sim/data/fashion_mnist.hpp"
#include "sim/sweep/manifest.hpp"
#include "sim/sweep/mpi_dist.hpp"
#include "sim/sweep/progress.hpp"
#include "sim/sweep/results.hpp"

namespace sim {

namespace {

namespace fs = std::filesystem;

// One finished (or failed) cell, as passed from a worker to the writer (possibly over MPI).
struct Done {
    bool ok = true;
    bool abandoned = false;  // stopped in flight (a signal, or the sweep stopping): not written
    std::size_t id = 0;
    double seconds = 0;
    std::string status;   // run status, or the error message
    std::string history;  // CSV text of history.csv
    std::string rows;     // CSV text of results.csv
};

std::string encode(const Done& d) {
    std::ostringstream os;
    os << (d.abandoned ? 'A' : d.ok ? 'R' : 'E') << ' ' << d.id << ' ' << fmt_num(d.seconds) << ' ' << d.status.size() << ' '
       << d.history.size() << '\n'
       << d.status << d.history << d.rows;
    return os.str();
}

Done decode(const std::string& m) {
    Done d;
    std::istringstream is(m);
    char kind = 0;
    std::string secs;
    std::size_t n = 0, h = 0;
    is >> kind >> d.id >> secs >> n >> h;
    is.get();
    if (!is || (kind != 'R' && kind != 'E' && kind != 'A')) throw std::runtime_error("malformed message from an MPI rank");
    d.ok = kind == 'R';
    d.abandoned = kind == 'A';
    d.seconds = parse_num(secs);
    const auto body = static_cast<std::size_t>(is.tellg());
    d.status = m.substr(body, n);
    d.history = m.substr(body + n, h);
    d.rows = m.substr(body + n + h);
    return d;
}

// Relative cost of a cell, to start the longest first (better packing on the threads).
double cost(const Config& c) {
    const double steps = static_cast<double>(c.i("train.steps")) * static_cast<double>(c.i("train.batch"));
    const double d1 = static_cast<double>(input_dim(c, 1)), d2 = static_cast<double>(input_dim(c, 2));
    double width = (d1 + d2) * static_cast<double>(c.i("model.dim"));
    if (models::encoder(c.s("model.encoder")).hidden_layers) {
        double prev = d1, w = 0;
        for (auto h : c.ilist("model.hidden")) {
            w += prev * static_cast<double>(h);
            prev = static_cast<double>(h);
        }
        width = 2 * (w + prev * static_cast<double>(c.i("model.dim")));
    }
    if (c.s("data.kind") == "nonlinear") width *= 1.5;
    return steps * width + static_cast<double>(c.i("data.n_train") + c.i("data.n_test")) * width;
}

// The first key where two experiment definitions differ, for the refusal message.
std::string first_difference(const nlohmann::json& had, const nlohmann::json& want) {
    const auto& a = had.at("experiments");
    const auto& b = want.at("experiments");
    if (a.size() != b.size())
        return "it has " + std::to_string(a.size()) + " experiments, this config " + std::to_string(b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        const std::string an = a[i].value("name", ""), bn = b[i].value("name", "");
        if (an != bn) return "experiment " + std::to_string(i + 1) + " is '" + an + "' there, '" + bn + "' here";
        const auto& ca = a[i].at("config");
        const auto& cb = b[i].at("config");
        auto flat_a = ca.flatten(), flat_b = cb.flatten();
        for (auto it = flat_b.begin(); it != flat_b.end(); ++it) {
            auto f = flat_a.find(it.key());
            if (f == flat_a.end() || *f != *it)
                return (b.size() > 1 ? "experiment '" + bn + "': " : std::string()) + it.key().substr(1) + " is " +
                       (f == flat_a.end() ? std::string("unset") : f->dump()) + " there, " + it->dump() + " here";
        }
        for (auto it = flat_a.begin(); it != flat_a.end(); ++it)
            if (!flat_b.contains(it.key()))
                return (b.size() > 1 ? "experiment '" + bn + "': " : std::string()) + it.key().substr(1) +
                       " is " + it->dump() + " there, unset here";
    }
    return "the definitions differ";
}

// The inputs cells read besides their config (the Fashion-MNIST files of each data.path), read
// and checked once. Throws ConfigError (IdxError) naming the file.
void check_inputs(const std::vector<Cell>& cells, const SweepSpec& spec, int threads) {
    std::set<std::string> paths;
    for (const Cell& c : cells) {
        if (c.config.s("data.kind") == "fashion_mnist") paths.insert(c.config.s("data.path"));
        check_fits_in_memory(c.config, "grid cell " + std::to_string(c.id) + " (" + c.describe(spec) + ")",
                             std::min<int>(threads, static_cast<int>(cells.size())));
    }
    for (const auto& p : paths) (void)load_fashion_mnist(p);
}

struct Prepared {
    std::map<std::size_t, std::string> blocks;   // finished cells
    std::map<std::size_t, std::string> status;   // their run status
    std::map<std::size_t, std::string> history;  // their rows of history.csv
    bool history_rewrite = false;                // history.csv must be (re)written from `history`
    bool rewrite = false;  // results.csv must be (re)written: the header and the blocks, in id order
    nlohmann::json manifest;
    std::vector<std::string> messages;  // for the log
};

// "5 of 12 cells are safe in 'DIR/results.csv'": what a failed write leaves behind, and what to
// do about the errno that happened (a full disk wants space, an I/O error a look at the disk).
std::string safe_note(std::size_t safe, std::size_t total, const std::string& rpath, int err) {
    std::string fix = "fix the cause above";
    if (err == ENOSPC) fix = "free some space";
    else if (err == EDQUOT) fix = "free some space within your disk quota";
    else if (err == EIO) fix = "check the disk (an I/O error: see dmesg)";
    else if (err == EROFS) fix = "make the file system writable";
    else if (err == EACCES || err == EPERM) fix = "fix the directory's permissions";
    return "; " + std::to_string(safe) + " of " + std::to_string(total) + " cells are safe in '" + rpath + "' (" + fix +
           " and run the same command again to resume)";
}

// Rank 0: checks and prepares the directory (locked by the caller), reads what is already
// done. Throws.
Prepared prepare_dir(const SweepSpec& spec, const std::vector<Cell>& cells, const std::vector<std::string>& keys,
                     const std::vector<std::string>& header, const std::string& dir) {
    const std::string mpath = dir + "/" + kManifestFile, rpath = dir + "/" + kResultsFile;
    Prepared p;
    const nlohmann::json def = spec.definition();
    std::error_code fec;
    if (fs::exists(mpath, fec) || fs::is_symlink(mpath, fec)) {
        p.manifest = read_sweep_manifest(mpath);  // every field checked before any work
        if (p.manifest["fingerprint"] != spec.fingerprint()) {
            std::string why;
            try {
                why = first_difference({{"experiments", p.manifest["experiments"]}}, def);
            } catch (const std::exception&) {
                why = "the definitions differ";
            }
            throw ConfigError("'" + dir + "' holds a sweep of another config (" + why +
                              "); choose another --out directory");
        }
        if (p.manifest.contains("cells") && p.manifest["cells"] != cells.size())
            throw ConfigError("'" + mpath + "': key 'cells' is " + printable(p.manifest["cells"].dump(), 40) + " but its grid has " +
                              std::to_string(cells.size()) + " cells (the manifest was altered)");
    } else if (fs::exists(rpath)) {
        throw ConfigError("'" + rpath + "' exists without a manifest.json; not resuming into it");
    }
    const ResumeScan scan = scan_results(rpath, keys, cells, spec);
    p.blocks = scan.cells;
    p.status = scan.status;
    p.rewrite = !scan.exists || !scan.sorted_and_clean;
    {  // history.csv: the rows of the cells results.csv holds
        std::set<std::size_t> finished;
        for (const auto& [id, b] : p.blocks) finished.insert(id);
        const HistoryScan hs = scan_history(dir + "/" + kHistoryFile, keys, finished);
        p.history = hs.cells;
        p.history_rewrite = !hs.exists || !hs.clean;
    }
    if (scan.dropped_lines)
        p.messages.push_back("sweep: dropped " + std::to_string(scan.dropped_lines) +
                    " row(s) of cells cut short by an interruption; they run again");
    if (!scan.missing.empty()) {  // written by an older alignsim: its rows get the new columns, empty
        std::string cols;
        for (const auto& c : scan.missing) cols += (cols.empty() ? "" : ", ") + c;
        p.messages.push_back("sweep: '" + rpath + "' was written without the column(s) " + cols +
                             " (an older alignsim); its rows are kept, those columns read as absent");
    }
    // a fresh manifest, or the old one with this session added
    nlohmann::json m = run_metadata();
    m.erase("time");
    if (p.manifest.is_object()) {
        m["start"] = p.manifest.value("start", utc_now());
        m["sessions"] = p.manifest.value("sessions", nlohmann::json::array());
    } else {
        m["start"] = utc_now();
        m["sessions"] = nlohmann::json::array();
    }
    m["kind"] = kKindSweep;
    m["config"] = spec.base.to_json();
    m["experiments"] = def["experiments"];
    m["fingerprint"] = spec.fingerprint();
    m["cells"] = cells.size();
    // rows of each experiment's cells (the same for every cell of one experiment unless a grid
    // sweeps eval.nonlinear_probe); rows_per_cell: the largest
    std::size_t most = 0;
    nlohmann::json per = nlohmann::json::object();
    for (const Cell& c : cells) {
        const std::size_t r = result_row_keys(c.config).size();
        per[spec.experiments[c.experiment].name] = r;
        most = std::max(most, r);
    }
    m["rows_per_cell"] = most;
    m["rows_per_experiment"] = per;
    m["columns"] = header;
    m["end"] = nullptr;
    m["complete"] = false;
    p.manifest = m;
    return p;
}


// One sweep on this process (one MPI rank): the steps of run_sweep, sharing its state.
struct SweepRun {
    const SweepSpec& spec;
    const SweepOptions& opt;
    mpi::Session* mp;
    const int rank, nproc;
    // every rank expands and checks the grid (after check_launch): the same file gives the same
    // cells everywhere
    std::vector<Cell> cells;
    std::vector<std::string> keys;
    std::vector<std::string> header;
    const std::string dir;
    const std::string rpath, mpath;
    ClaimedDir claimed;  // rank 0: the directory, kind sweep, locked (sim/io/owned_dir.hpp)
    Prepared prep;
    std::vector<char> finished;
    SweepSummary sum;
    std::vector<std::size_t> mine;  // this rank's cells, longest first
    int threads = 1, run_threads = 1;
    std::unique_ptr<Progress> progress;
    std::unique_ptr<Appender> out, hist_out;
    std::string write_error;  // rank 0: results or manifest could not be written; the sweep stops
    // workers: a task arena of `threads` threads takes cells from a shared counter, until the
    // cells run out or the sweep stops (a signal, or a write that failed); a stop also abandons
    // the cells in flight at their next training step (sim/run/stop.hpp)
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Done> queue;
    std::atomic<std::size_t> next{0};
    std::atomic<bool> cancel{false};
    bool workers_done = false;
    std::thread worker;
    // Rank 0 stops everything: its own workers, and the other ranks (which then say "done").
    std::vector<char> rank_done;
    int ranks_open = 0;
    bool told_ranks = false;
    int stop_sig = 0;

    SweepRun(const SweepSpec& spec_, const SweepOptions& opt_)
        : spec(spec_),
          opt(opt_),
          mp(opt.mpi && opt.mpi->active() ? opt.mpi : nullptr),
          rank(mp ? mp->rank() : 0),
          nproc(mp ? mp->size() : 1),
          dir(opt.out_dir),
          rpath(dir + "/" + kResultsFile),
          mpath(dir + "/" + kManifestFile),
          rank_done(static_cast<std::size_t>(nproc), 0),
          ranks_open(rank == 0 ? nproc - 1 : 0) {}

    void check_launch() const {
        if (!mp && mpi::launched_by_launcher() && std::getenv("OMPI_COMM_WORLD_SIZE") &&
            std::atoi(std::getenv("OMPI_COMM_WORLD_SIZE")) > 1)
            throw std::runtime_error("launched by mpirun with several ranks, but this alignsim was built without MPI");
        if (nproc > 1 && opt.stop_after != std::numeric_limits<std::size_t>::max())
            throw std::logic_error("stop_after is for single-process tests");
    }

    void expand_grid() {
        cells = expand(spec);
        keys = result_keys(spec);
        header = results_header(keys);
    }

    // Rank 0: every input the cells read is checked before the directory is made (a failed start
    // leaves nothing behind); then the directory is claimed (a path through a file is a bad
    // --out, exit 2; anything else a failure, exit 1) and prepared.
    void claim_and_prepare() {
        check_inputs(cells, spec, opt.jobs > 0 ? opt.jobs : 1);
        try {
            claimed = claim_dir(dir, kKindSweep, "sweep",
                                [](const std::string& n) { return n == kResultsFile || n == kHistoryFile; },
                                nproc > 1 ? "rank 0 of " + std::to_string(nproc) + " MPI ranks" : "");
        } catch (const BadInput& e) {
            throw ConfigError(e.what());
        }
        try {
            prep = prepare_dir(spec, cells, keys, header, dir);
        } catch (...) {
            release_new_dir(dir, claimed);
            throw;
        }
    }

    // rank 0 locks and prepares the directory and tells the others which cells are done (or
    // what failed); the ranks of one sweep are one writer
    void lock_and_prepare() {
        std::string verdict;
        if (rank == 0) {
            try {
                claim_and_prepare();
                verdict = "ok";
                for (const auto& [id, b] : prep.blocks) verdict += " " + std::to_string(id);
            } catch (const ConfigError& e) {
                verdict = std::string("2") + e.what();
                if (!mp) throw;
            } catch (const std::exception& e) {
                verdict = std::string("1") + e.what();
                if (!mp) throw;
            }
        }
        if (mp) mp->broadcast(verdict);
        if (verdict.compare(0, 2, "ok") != 0) {
            if (verdict[0] == '2') throw ConfigError(verdict.substr(1));
            throw std::runtime_error(verdict.substr(1));
        }
        finished.assign(cells.size(), 0);
        {
            std::istringstream is(verdict.substr(2));
            std::size_t id;
            while (is >> id) finished.at(id) = 1;
        }
    }

    void plan() {
        sum.total = cells.size();
        for (char f : finished) sum.skipped += f;

        // pending cells, longest first, dealt round-robin to the ranks
        std::vector<std::size_t> pending;
        for (const auto& c : cells)
            if (!finished[c.id]) pending.push_back(c.id);
        std::vector<double> costs(cells.size());
        for (std::size_t id : pending) costs[id] = cost(cells[id].config);
        std::stable_sort(pending.begin(), pending.end(), [&](std::size_t a, std::size_t b) { return costs[a] > costs[b]; });
        for (std::size_t i = 0; i < pending.size(); ++i)
            if (static_cast<int>(i % static_cast<std::size_t>(nproc)) == rank) mine.push_back(pending[i]);
        if (mine.size() > opt.stop_after) mine.resize(opt.stop_after);

        threads = opt.jobs > 0 ? opt.jobs
                                   : std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / mpi::local_size());
        threads = std::max(1, threads);
        sum.threads = threads;
        run_threads = std::max(1, std::min<int>(threads, static_cast<int>(std::max<std::size_t>(1, mine.size()))));
    }

    void open_files() {
        progress = std::make_unique<Progress>(cells.size(), sum.skipped, opt.quiet || rank != 0);
        if (rank == 0) {
            prep.manifest["threads"] = threads;
            prep.manifest["processes"] = nproc;
            try {
                // the manifest first: a results.csv is never without one
                write_file_atomic(mpath, prep.manifest.dump(2) + "\n");
                if (prep.rewrite) {  // atomic: on failure the old file is still there, and so are its cells
                    std::string text = csv_line(header);
                    for (const auto& [id, b] : prep.blocks) text += b;
                    write_file_atomic(rpath, text);
                }
                if (prep.history_rewrite)
                    write_file_atomic(dir + "/" + kHistoryFile, history_text(history_header(keys), prep.history));
                hist_out = std::make_unique<Appender>(dir + "/" + kHistoryFile);
                out = std::make_unique<Appender>(rpath);
            } catch (const WriteError& e) {
                write_error = e.what() + safe_note(prep.blocks.size(), cells.size(), rpath, e.err);
                if (!mp) throw std::runtime_error(write_error);
            }
            for (const auto& m : prep.messages) progress->message(m);
            char buf[256];
            std::snprintf(buf, sizeof buf, "sweep: %zu cells (%zu done before), %d thread(s) x %d process(es) -> %s",
                          cells.size(), sum.skipped, threads, nproc, dir.c_str());
            if (write_error.empty()) progress->message(buf);
        }
    }

    void work() {
        if (mine.empty()) {  // nothing to run here (a finished grid, a rank without cells)
            std::lock_guard<std::mutex> lk(mu);
            workers_done = true;
            cv.notify_one();
            return;
        }
        tbb::global_control gc(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(run_threads));
        tbb::task_arena arena(run_threads);
        arena.execute([&] {
            tbb::parallel_for(
                tbb::blocked_range<int>(0, run_threads, 1),
                [&](const tbb::blocked_range<int>&) {
                    CancelScope scope(&cancel);
                    while (!stop_requested()) {
                        const std::size_t k = next.fetch_add(1);
                        if (k >= mine.size()) break;
                        const Cell& c = cells[mine[k]];
                        Done d;
                        d.id = c.id;
                        const auto t0 = std::chrono::steady_clock::now();
                        try {
                            const RunResult r = opt.cell(c.config);
                            d.rows = cell_rows(c, spec, keys, r);
                            d.history = history_rows(c, spec, keys, r);
                            d.status = r.status;
                            d.seconds = r.seconds;
                        } catch (const Interrupted&) {
                            d.abandoned = true;
                        } catch (const std::exception& e) {
                            d.ok = false;
                            d.status = e.what();
                        }
                        if (!d.ok || d.abandoned)
                            d.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
                        std::lock_guard<std::mutex> lk(mu);
                        queue.push_back(std::move(d));
                        cv.notify_one();
                    }
                },
                tbb::simple_partitioner());
        });
        std::lock_guard<std::mutex> lk(mu);
        workers_done = true;
        cv.notify_one();
    }

    void stop_all() {
        cancel = true;
        if (rank == 0 && mp && !told_ranks) {
            for (int r = 1; r < nproc; ++r)
                if (!rank_done[static_cast<std::size_t>(r)]) mp->send_control(r, "stop");
            told_ranks = true;
        }
    }

    // the main thread writes (rank 0) or forwards (other ranks) finished cells
    void handle(const Done& d) {
        const Cell& c = cells.at(d.id);
        if (d.abandoned) {
            ++sum.abandoned;
            return;
        }
        if (!d.ok) {
            ++sum.failed;
            const std::string msg = "cell " + std::to_string(d.id) + " (" + c.describe(spec) + ") failed: " + d.status;
            if (sum.first_failure.empty()) sum.first_failure = msg;
            progress->message("sweep: " + msg);
            return;
        }
        if (!write_error.empty()) {  // finished after the results file failed: lost, runs again
            ++sum.abandoned;
            return;
        }
        try {
            hist_out->append(d.history);  // first: results.csv is what says the cell is finished
            out->append(d.rows);          // all or nothing (sim/io/files.hpp)
        } catch (const WriteError& e) {
            ++sum.abandoned;
            write_error = e.what() + safe_note(prep.blocks.size(), cells.size(), rpath, e.err);
            stop_all();
            return;
        }
        prep.blocks[d.id] = d.rows;
        prep.status[d.id] = d.status;
        prep.history[d.id] = d.history;
        ++sum.ran;
        progress->cell_done("cell " + std::to_string(d.id) + " (" + c.describe(spec) + ")", d.status, d.seconds);
    }

    void loop() {
        try {
            while (true) {
                std::deque<Done> got;
                bool wdone = false;
                {
                    std::unique_lock<std::mutex> lk(mu);
                    cv.wait_for(lk, std::chrono::milliseconds(mp ? 20 : 100),
                                [&] { return !queue.empty() || workers_done; });
                    got.swap(queue);
                    wdone = workers_done;
                }
                for (const Done& d : got) {
                    if (rank == 0) handle(d);
                    else mp->send_to_root(encode(d));
                }
                if (rank == 0 && mp) {
                    std::string msg;
                    int src = 0;
                    while (mp->try_receive(msg, src)) {
                        if (msg == "done") {
                            rank_done.at(static_cast<std::size_t>(src)) = 1;
                            --ranks_open;
                        } else {
                            handle(decode(msg));
                        }
                    }
                }
                if (rank != 0 && mp) {
                    std::string msg;
                    while (mp->try_receive_control(msg))
                        if (msg == "stop") cancel = true;
                }
                if (!stop_sig && stop_signal()) {
                    stop_sig = stop_signal();
                    stop_all();
                }
                if (rank == 0) progress->tick();
                if (wdone && ranks_open == 0) {
                    std::lock_guard<std::mutex> lk(mu);
                    if (queue.empty()) break;
                }
            }
        } catch (const std::exception& e) {
            cancel = true;
            worker.join();
            if (mp && mp->size() > 1) {
                std::fprintf(stderr, "alignsim: error: %s\n", e.what());
                mp->abort(1);
            }
            throw;
        }
        worker.join();
        if (rank != 0 && mp) mp->send_to_root("done");
    }

    // rank 0 closes the session: the canonical order of a complete results.csv, and the
    // manifest; returns the outcome all ranks learn ("ok", "e<error>", "s<signal>")
    std::string close_session(const std::string& session_start) {
        std::string outcome = "ok";
        if (rank == 0) {
            sum.complete = prep.blocks.size() == cells.size();
            if (sum.complete && write_error.empty()) {  // canonical order: by cell id
                std::string text = csv_line(header);
                for (const auto& [id, b] : prep.blocks) text += b;
                try {
                    std::string had;
                    if (!read_file(rpath, had) || had != text) write_file_atomic(rpath, text);
                    hist_out.reset();
                    write_file_atomic(dir + "/" + kHistoryFile, history_text(history_header(keys), prep.history));
                } catch (const WriteError& e) {
                    write_error = e.what() + safe_note(prep.blocks.size(), cells.size(), rpath, e.err);
                }
            }
            const auto now = utc_now();
            nlohmann::json session = {{"start", session_start}, {"end", now},           {"threads", threads},
                                      {"processes", nproc},      {"cells_run", sum.ran}, {"cells_failed", sum.failed}};
            if (stop_sig && !sum.complete) session["stopped_by"] = signal_name(stop_sig);
            if (!write_error.empty()) session["write_error"] = write_error;
            prep.manifest["sessions"].push_back(session);
            prep.manifest["end"] = now;
            prep.manifest["complete"] = sum.complete;
            try {
                write_file_atomic(mpath, prep.manifest.dump(2) + "\n");
            } catch (const WriteError& e) {
                // the manifest of the session's start is still there: the results stay readable
                if (write_error.empty()) write_error = e.what() + safe_note(prep.blocks.size(), cells.size(), rpath, e.err);
            }
            // the last line counts the cells by status
            std::map<std::string, std::size_t> by_status;
            for (const auto& [id, st] : prep.status) ++by_status[st];
            sum.ok = by_status["ok"];
            sum.not_converged = by_status["not_converged"];
            sum.diverged = by_status["diverged"];
            std::string tally;
            for (const char* st : {"ok", "not_converged", "diverged"})
                tally += (tally.empty() ? "" : ", ") + std::to_string(by_status[st]) + " " + st;
            for (const auto& [st, k] : by_status)
                if (st != "ok" && st != "not_converged" && st != "diverged") tally += ", " + std::to_string(k) + " " + st;
            if (write_error.empty()) progress->finish(tally);
            if (!write_error.empty()) outcome = "e" + write_error;
            else if (stop_sig && !sum.complete) outcome = "s" + std::to_string(stop_sig);
        }
        return outcome;
    }
};

}  // namespace

SweepSummary run_sweep(const SweepSpec& spec, const SweepOptions& opt) {
    if (!opt.cell) throw std::logic_error("run_sweep without a cell function");
    if (opt.out_dir.empty()) throw ConfigError("sweep needs --out DIR");
    SweepRun s(spec, opt);
    s.check_launch();
    s.expand_grid();
    s.lock_and_prepare();
    s.plan();
    s.open_files();
    const auto session_start = utc_now();
    s.cancel = !s.write_error.empty();
    s.worker = std::thread([&s] { s.work(); });
    if (!s.write_error.empty()) s.stop_all();
    s.loop();
    std::string outcome = s.close_session(session_start);
    if (s.mp) s.mp->broadcast(outcome);
    if (outcome[0] == 'e') throw std::runtime_error(outcome.substr(1));
    if (outcome[0] == 's') s.sum.interrupted = std::atoi(outcome.c_str() + 1);
    return s.sum;
}

}  // namespace sim
