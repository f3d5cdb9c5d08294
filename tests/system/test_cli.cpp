// The `tinman` command-line tool (tools/tinman/), driven as a user runs it:
// output content and exit status of each subcommand, on clean, torn and corrupt logs.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <tinman.hpp>
#include <tinman/channel/record_writer.hpp>
#include <tinman/python/blog.hpp>

#include "cli_runner.hpp"
#include "test_support.hpp"


using namespace tinman;

namespace {

using test::has;
using test::Run;
using test::slurp;
using test::tinman_cli;

/// JSON text without the white space between tokens, so that checks do not depend on its layout.
std::string compact(const std::string& json) {
    std::string out;
    bool in_string = false;
    for (std::size_t i = 0; i < json.size(); ++i) {
        const char c = json[i];
        if (in_string && c == '\\') {
            out += json.substr(i++, 2);
            continue;
        }
        if (c == '"') in_string = !in_string;
        if (in_string || (c != ' ' && c != '\n')) out += c;
    }
    return out;
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
        out.push_back(text.substr(start, nl - start));
    return out;
}

constexpr std::int64_t t0 = 1'764'108'000'000'000'000;  // 2025-11-25T22:00:00Z

/// A log: "imu" (10 records of float64 (3,)), "img" (3 records of uint8 (2, 100)),
/// "mixed" (arrays of varying dtype and shape).
void write_log(const std::filesystem::path& dir) {
    ObLogWriter log{dir};
    auto imu = log.get_writer("imu", NdArrayCodec<double>{});
    for (int i = 0; i < 10; ++i)
        imu(t0 + i * 100'000'000 + 7, xt::xarray<double>{i * 1.0, i + 0.5, -2.0 * i});
    auto img = log.get_writer("img", NdArrayCodec<std::uint8_t>{});
    for (int i = 0; i < 3; ++i) {
        xt::xarray<std::uint8_t> a = xt::xarray<std::uint8_t>::from_shape({2, 100});
        for (std::size_t k = 0; k < a.size(); ++k) a.data()[k] = static_cast<std::uint8_t>(k + i);
        img(t0 + i * 1'000'000'000, a);
    }
    auto mixed = log.get_writer("mixed", AnyArrayCodec{});
    mixed(t0, xt::xarray<float>{1.5f, 2.0f});
    mixed(t0 + 1, xt::xarray<std::int32_t>{{1, 2}, {3, 4}});
    log.close();
}

}  // namespace

TEST_CASE("tinman CLI: --help for every subcommand, usage errors are exit status 2") {
    const Run top = tinman_cli({"--help"});
    CHECK(top.status == 0);
    CHECK(has(top.out, "usage: tinman <command>"));
    for (const char* cmd : {"info", "cat", "verify", "recover", "export", "convert"}) {
        CAPTURE(cmd);
        const Run r = tinman_cli({cmd, "--help"});
        CHECK(r.status == 0);
        CHECK(has(r.out, std::string("usage: tinman ") + cmd));
    }
    CHECK(tinman_cli({}).status == 2);
    const Run bogus = tinman_cli({"frobnicate"});
    CHECK(bogus.status == 2);
    CHECK(has(bogus.err, "unknown command 'frobnicate'"));
    const Run bad = tinman_cli({"cat", "x", "y", "--colour"});
    CHECK(bad.status == 2);
    CHECK(has(bad.err, "unknown option '--colour'"));
    CHECK(tinman_cli({"cat", "only-one-argument"}).status == 2);
    const Run bad_time = tinman_cli({"cat", "x", "y", "--from", "yesterday"});
    CHECK(bad_time.status == 2);
    CHECK(has(bad_time.err, "cannot read time 'yesterday'"));
}

TEST_CASE("tinman CLI: missing directories and unknown channels have their own exit status") {
    test::TempDir dir;
    write_log(dir.path());
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"info", (dir / "nope").string()}, {"cat", (dir / "nope").string(), "imu"},
          {"verify", (dir / "nope").string()}, {"recover", (dir / "nope").string()},
          {"export", (dir / "nope").string(), "imu", (dir / "x.npy").string()}}) {
        const Run r = tinman_cli(args);
        CAPTURE(args[0]);
        CHECK(r.status == 3);
        CHECK(has(r.err, "no log directory '" + (dir / "nope").string() + "'"));
    }
    const Run r = tinman_cli({"cat", dir.path().string(), "gyro"});
    CHECK(r.status == 4);
    CHECK(has(r.err, "no channel 'gyro'"));
    CHECK(has(r.err, "channels: img, imu, mixed"));
    CHECK(tinman_cli({"verify", dir.path().string(), "gyro"}).status == 4);
    CHECK(tinman_cli({"export", dir.path().string(), "gyro", (dir / "x.npy").string()}).status == 4);
}

TEST_CASE("tinman CLI: info lists codec, dtype, shape, counts, ISO-8601 times, size and rate") {
    test::TempDir dir;
    write_log(dir.path());
    const Run table = tinman_cli({"info", dir.path().string()});
    REQUIRE(table.status == 0);
    const auto rows = lines(table.out);
    REQUIRE(rows.size() == 4);
    CHECK(has(rows[0], "CHANNEL"));
    CHECK(has(rows[0], "RATE"));
    CHECK(has(rows[2], "imu"));
    CHECK(has(rows[2], "ndarray(dtype=<f8)"));
    CHECK(has(rows[2], "(3,)"));
    CHECK(has(rows[2], "2025-11-25T22:00:00.000000007Z"));
    CHECK(has(rows[2], "2025-11-25T22:00:00.900000007Z"));
    CHECK(has(rows[2], "0.900 s"));
    CHECK(has(rows[2], "10.0/s"));  // 9 intervals in 0.9 s
    CHECK(has(rows[2], "clean"));
    CHECK(has(rows[1], "(2, 100)"));
    CHECK(has(rows[3], "varies"));

    const Run run_json = tinman_cli({"info", dir.path().string(), "--json"});
    REQUIRE(run_json.status == 0);
    const std::string json = compact(run_json.out);
    CHECK(has(json, R"j("name":"imu","format":"tinman","codec":"ndarray(dtype=<f8)","dtype":"<f8","shape":[3],"records":10)j"));
    CHECK(has(json, R"j("first_timestamp_ns":1764108000000000007,"last_timestamp_ns":1764108000900000007)j"));
    CHECK(has(json, R"j("first_timestamp":"2025-11-25T22:00:00.000000007Z")j"));
    CHECK(has(json, R"j("records_per_s":10)j"));
    CHECK(has(json, R"j("name":"mixed","format":"tinman","codec":"ndarray","dtype":"varies","shape":"varies")j"));
    const auto bytes = std::filesystem::file_size(dir / "imu.tinman") + std::filesystem::file_size(dir / "imu.tinman-index");
    CHECK(has(json, "\"bytes\":" + std::to_string(bytes)));
}

TEST_CASE("tinman CLI: cat prints timestamps, shapes and numpy-like previews, --from --to --limit select") {
    test::TempDir dir;
    write_log(dir.path());
    const Run all = tinman_cli({"cat", dir.path().string(), "imu"});
    REQUIRE(all.status == 0);
    auto out = lines(all.out);
    REQUIRE(out.size() == 10);
    CHECK(out[0] == "2025-11-25T22:00:00.000000007Z (3,) <f8 [0. 0.5 -0.]");
    CHECK(out[3] == "2025-11-25T22:00:00.300000007Z (3,) <f8 [3. 3.5 -6.]");

    const Run sel = tinman_cli({"cat", dir.path().string(), "imu", "--from", "2025-11-25T22:00:00.2Z", "--to",
                                std::to_string(t0 + 500'000'007), "--limit", "2"});
    REQUIRE(sel.status == 0);
    out = lines(sel.out);
    REQUIRE(out.size() == 2);
    CHECK(out[0].starts_with("2025-11-25T22:00:00.200000007Z"));
    CHECK(out[1].starts_with("2025-11-25T22:00:00.300000007Z"));
    const Run to = tinman_cli({"cat", dir.path().string(), "imu", "--to", std::to_string(t0 + 200'000'007)});
    CHECK(lines(to.out).size() == 2);  // --to is exclusive

    const Run img = tinman_cli({"cat", dir.path().string(), "img", "--limit", "1"});
    REQUIRE(lines(img.out).size() == 1);
    CHECK(lines(img.out)[0] == "2025-11-25T22:00:00.000000000Z (2, 100) |u1 [[0 1 2 ... 97 98 99] [100 101 102 ... 197 198 199]]");
    const Run mixed = tinman_cli({"cat", dir.path().string(), "mixed"});
    CHECK(lines(mixed.out) == std::vector<std::string>{"2025-11-25T22:00:00.000000000Z (2,) <f4 [1.5 2.]",
                                                       "2025-11-25T22:00:00.000000001Z (2, 2) <i4 [[1 2] [3 4]]"});
}

TEST_CASE("tinman CLI: verify and recover a torn tail, corrupt records are reported with offsets, never cut") {
    test::TempDir dir;
    write_log(dir.path());
    CHECK(tinman_cli({"verify", dir.path().string()}).status == 0);

    // Torn: the last imu record loses its last 5 bytes.
    const auto imu = dir / "imu.tinman";
    const auto full = test::read_file(imu);
    const auto last_record = [&] {
        ObLogReader reader{dir.path()};
        auto ch = reader.read_channel<AnyArrayCodec>("imu");
        std::uint64_t offset = 0;
        for (auto it = ch.begin(); it != ch.end(); ++it) offset = it.record().offset;
        return offset;
    }();
    test::write_file(imu, std::span(full).first(full.size() - 5));
    Run v = tinman_cli({"verify", dir.path().string()});
    CHECK(v.status == 1);
    CHECK(has(v.out, "imu: 9 intact records"));
    CHECK(has(v.out, "torn tail: "));
    CHECK(has(v.out, "damaged bytes [" + std::to_string(last_record) + ", " + std::to_string(full.size() - 5) + ")"));
    CHECK(has(v.out, "2 of 3 channels clean"));
    const Run cat = tinman_cli({"cat", dir.path().string(), "imu"});
    CHECK(cat.status == 1);
    CHECK(lines(cat.out).size() == 9);
    CHECK(has(cat.err, "stopped before a torn tail"));

    const Run rec = tinman_cli({"recover", dir.path().string()});
    CHECK(rec.status == 0);
    CHECK(has(rec.out, "imu: cut " + std::to_string(full.size() - 5 - last_record) + " bytes at offset " +
                           std::to_string(last_record)));
    CHECK(has(rec.out, "9 intact records kept"));
    CHECK(has(rec.out, "img: clean"));
    const auto recovered = test::read_file(imu);
    // The intact records are untouched; the cut tail is one skip record, so the file keeps its size.
    CHECK(recovered.size() == full.size() - 5);
    CHECK(std::equal(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(last_record), recovered.begin()));
    CHECK(tinman_cli({"verify", dir.path().string()}).status == 0);
    CHECK(ObLogReader{dir.path()}.info("imu").indexed_records == 9);

    // A temporary file left by a writer killed while creating a channel is removed.
    const auto stale = dir / ".new.tinman.00000000deadbeef.tmp";
    test::write_file(stale, std::span(full).first(64));
    const timespec old_times[2] = {{::time(nullptr) - 3600, 0}, {::time(nullptr) - 3600, 0}};
    REQUIRE(::utimensat(AT_FDCWD, stale.c_str(), old_times, 0) == 0);
    const Run clean = tinman_cli({"recover", dir.path().string()});
    CHECK(has(clean.out, "removed 1 temporary files left by interrupted writers"));
    CHECK_FALSE(std::filesystem::exists(stale));

    // A missing time index is rebuilt; records are untouched.
    std::filesystem::remove(index_path_for(imu));
    CHECK(ObLogReader{dir.path()}.info("imu").indexed_records == 0);
    const Run reindex = tinman_cli({"recover", dir.path().string(), "imu"});
    CHECK(reindex.status == 0);
    CHECK(has(reindex.out, "imu: clean, 9 records; time index rebuilt (it covered 0)"));
    CHECK(ObLogReader{dir.path()}.info("imu").indexed_records == 9);
    CHECK(test::read_file(imu) == recovered);

    // Corrupt: a flipped bit in the header of img's second record, followed by an intact record.
    const auto img = dir / "img.tinman";
    auto bytes = test::read_file(img);
    std::uint64_t second = 0;
    {
        ObLogReader reader{dir.path()};
        auto ch = reader.read_channel<AnyArrayCodec>("img");
        auto it = ch.begin();
        ++it;
        second = it.record().offset;
    }
    bytes[second + 3] ^= std::byte{0x10};
    test::write_file(img, bytes);
    v = tinman_cli({"verify", dir.path().string(), "img"});
    CHECK(v.status == 5);
    CHECK(has(v.out, "img: 2 intact records"));
    CHECK(has(v.out, "corrupt record: record header checksum mismatch at offset " + std::to_string(second)));
    CHECK(has(v.out, "intact records follow"));
    const Run refuse = tinman_cli({"recover", dir.path().string(), "img"});
    CHECK(refuse.status == 5);
    CHECK(has(refuse.out, "img: not modified"));
    CHECK(test::read_file(img) == bytes);  // untouched

    // A file that is not a channel at all.
    const std::string junk = "this is not a tinman file, just text long enough to have a header ..........";
    test::write_file(dir / "junk.tinman", std::as_bytes(std::span{junk.data(), junk.size()}));
    v = tinman_cli({"verify", dir.path().string(), "junk"});
    CHECK(v.status == 5);
    CHECK(has(v.out, "junk: unreadable: channel 'junk': not a tinman channel (bad magic)"));
    const Run cat_junk = tinman_cli({"cat", dir.path().string(), "junk"});
    CHECK(cat_junk.status == 5);
    CHECK(has(cat_junk.err, "corrupt file"));
    const Run info = tinman_cli({"info", dir.path().string()});
    CHECK(info.status == 0);
    CHECK(has(info.out, "junk: unreadable"));
}

TEST_CASE("tinman CLI: info, cat and verify agree on a zeroed tail inside a large payload") {
    test::TempDir dir;
    {
        ObLogWriter log{dir.path()};
        auto w = log.get_writer("big", NdArrayCodec<double>{});
        for (int i = 0; i < 3; ++i) w(t0 + i, xt::xarray<double>(xt::ones<double>({10000})));
    }
    auto bytes = test::read_file(dir / "big.tinman");
    std::fill(bytes.end() - 4000, bytes.end(), std::byte{0});  // the size kept, the data lost
    test::write_file(dir / "big.tinman", bytes);
    const Run info = tinman_cli({"info", dir.path().string()});
    CHECK_FALSE(has(info.out, "clean"));
    CHECK(has(info.out, "payload checksum mismatch"));
    const Run cat = tinman_cli({"cat", dir.path().string(), "big"});
    CHECK(cat.status != 0);
    CHECK(lines(cat.out).size() == 2);
    const Run verify = tinman_cli({"verify", dir.path().string(), "big"});
    CHECK(verify.status != 0);
    CHECK(has(verify.out, "big: 2 intact records"));
}

TEST_CASE("tinman CLI: export stacks same-shape arrays into .npy with timestamps beside it") {
    test::TempDir dir;
    write_log(dir.path());
    const auto out = dir / "imu.npy";
    const Run r = tinman_cli({"export", dir.path().string(), "imu", out.string(), "--limit", "4"});
    REQUIRE(r.status == 0);
    CHECK(has(r.out, "exported 4 records of <f8 (3,)"));
    const std::string npy = slurp(out);
    REQUIRE(npy.size() > 10);
    CHECK(npy.substr(0, 8) == std::string("\x93NUMPY\x01\x00", 8));
    const std::size_t header_len = static_cast<unsigned char>(npy[8]) | (static_cast<unsigned char>(npy[9]) << 8);
    CHECK((10 + header_len) % 64 == 0);
    CHECK(npy.substr(10, header_len).starts_with("{'descr': '<f8', 'fortran_order': False, 'shape': (4, 3), }"));
    CHECK(npy[10 + header_len - 1] == '\n');
    REQUIRE(npy.size() == 10 + header_len + 4 * 3 * 8);
    std::vector<double> values(12);
    std::memcpy(values.data(), npy.data() + 10 + header_len, 96);
    CHECK(values == std::vector<double>{0, 0.5, -0, 1, 1.5, -2, 2, 2.5, -4, 3, 3.5, -6});

    const std::string ts = slurp(dir / "imu.timestamps.npy");
    const std::size_t ts_header = static_cast<unsigned char>(ts[8]) | (static_cast<unsigned char>(ts[9]) << 8);
    CHECK(ts.substr(10, ts_header).starts_with("{'descr': '<i8', 'fortran_order': False, 'shape': (4,), }"));
    REQUIRE(ts.size() == 10 + ts_header + 4 * 8);
    std::vector<std::int64_t> times(4);
    std::memcpy(times.data(), ts.data() + 10 + ts_header, 32);
    CHECK(times == std::vector<std::int64_t>{t0 + 7, t0 + 100'000'007, t0 + 200'000'007, t0 + 300'000'007});

    const Run mixed = tinman_cli({"export", dir.path().string(), "mixed", (dir / "m.npy").string()});
    CHECK(mixed.status == 6);
    CHECK(has(mixed.err, "only same-shape arrays stack"));
    CHECK_FALSE(std::filesystem::exists(dir / "m.npy"));  // no partial output
}

TEST_CASE("tinman CLI: info --json escapes names and codec descriptors that are not UTF-8") {
    test::TempDir dir;
    {
        ObLogWriter log{dir.path()};
        auto w = log.get_writer("caf\xE9", NdArrayCodec<double>{});  // Latin-1, not UTF-8
        w(t0, 1.0);
    }
    { RecordWriter odd(dir.path(), "odd", CodecDescriptor{"bytes", {{"note", "\xFF\xC3\xA9"}}}); }
    const Run r = tinman_cli({"info", dir.path().string(), "--json"});
    CHECK(r.status == 0);
    const std::string json = compact(r.out);
    CHECK(has(json, R"j("name":"caf\\xE9")j"));
    CHECK(has(json, "\"codec\":\"bytes(note=\\\\xFF\xC3\xA9)\""));  // the valid é is kept as it is
}

TEST_CASE("tinman CLI: export refuses to write over a file of the log it reads") {
    test::TempDir dir, other;
    write_log(dir.path());
    const auto channel = dir / "imu.tinman";
    const auto before = test::read_file(channel);
    const auto index_before = test::read_file(index_path_for(channel));
    std::filesystem::create_symlink(channel, other / "link.npy");
    std::filesystem::create_hard_link(channel, other / "hard.npy");
    const std::vector<std::vector<std::string>> attempts{
        {channel.string()},
        {(other / "link.npy").string()},
        {(other / "hard.npy").string()},
        {(other / "x.npy").string(), "--timestamps", index_path_for(channel).string()},
        {(dir / "new.tinman").string()},
    };
    for (const auto& out : attempts) {
        CAPTURE(out[0]);
        std::vector<std::string> args{"export", dir.path().string(), "imu"};
        args.insert(args.end(), out.begin(), out.end());
        const Run r = tinman_cli(args);
        CHECK(r.status != 0);
        CHECK(has(r.err, "write the export outside the log"));
        CHECK(test::read_file(channel) == before);
        CHECK(test::read_file(index_path_for(channel)) == index_before);
    }
    CHECK_FALSE(std::filesystem::exists(dir / "new.tinman"));
    CHECK(tinman_cli({"export", dir.path().string(), "imu", (other / "imu.npy").string()}).status == 0);
}

TEST_CASE("tinman CLI: export --format parquet writes a Parquet file per channel") {
    // The files' contents are checked by DuckDB (tests/parquet/duckdb_check.mjs); here, the command line.
    test::TempDir dir;
    write_log(dir.path());
    const auto is_parquet = [](const std::string& file) {
        return file.size() > 12 && file.starts_with("PAR1") && file.ends_with("PAR1");
    };
    const auto one = dir / "out" / "imu.parquet";
    std::filesystem::create_directories(one.parent_path());
    const Run r = tinman_cli({"export", "--format", "parquet", dir.path().string(), "-c", "imu", "-o", one.string()});
    REQUIRE(r.status == 0);
    CHECK(has(r.out, "exported 10 records of 'imu'"));
    CHECK(has(r.out, "4 columns, 1 row groups"));
    CHECK(is_parquet(slurp(one)));

    const auto all = dir / "all";
    const Run every = tinman_cli({"export", "--format", "parquet", dir.path().string(), "-o", all.string(), "--row-group-rows", "4"});
    REQUIRE(every.status == 0);
    for (const char* channel : {"imu", "img", "mixed"}) {
        CAPTURE(channel);
        CHECK(is_parquet(slurp(all / (std::string(channel) + ".parquet"))));
    }
    CHECK(has(every.out, "exported 10 records of 'imu' to " + (all / "imu.parquet").string() + " (4 columns, 3 row groups)"));
    CHECK(has(every.out, "exported 2 records of 'mixed' to " + (all / "mixed.parquet").string() + " (4 columns, 1 row groups, arrays as bytes)"));

    CHECK(tinman_cli({"export", "--format", "parquet", dir.path().string(), "imu"}).status == 2);  // no OUT
    CHECK(tinman_cli({"export", dir.path().string(), "-o", (dir / "x.npy").string()}).status == 2);  // npy needs CHANNEL
    CHECK(tinman_cli({"export", "--format", "csv", dir.path().string(), "imu", "x"}).status == 2);
    CHECK(tinman_cli({"export", "--format", "parquet", "--compression", "lzma", dir.path().string(), "-o", "x"}).status == 2);
    const Run refused = tinman_cli({"export", "--format", "parquet", dir.path().string(), "imu", "-o",
                                    (dir / "imu.tinman").string()});
    CHECK(refused.status != 0);
    CHECK(has(refused.err, "write the export outside the log"));
}

TEST_CASE("tinman CLI: convert writes Python tinman .blog files and reads them back") {
    test::TempDir dir;
    write_log(dir / "native");
    const Run r = tinman_cli({"convert", (dir / "native").string(), (dir / "py").string()});
    REQUIRE(r.status == 0);
    CHECK(has(r.out, "imu: 10 records"));
    CHECK(has(r.out, "converted 3 channels to Python tinman format"));
    // The .blog file is exactly the documented layout: the codec pickle, then <QQ records.
    const auto blog = test::read_file(dir / "py" / "imu.blog");
    REQUIRE(blog.size() > 16 + 57);
    CHECK(std::equal(python::numpy_codec_pickle.begin(), python::numpy_codec_pickle.end(), blog.begin() + 16));
    python::BlogReader py{dir / "py"};
    CHECK(py.channel_names() == std::vector<std::string>{"img", "imu", "mixed"});
    std::size_t n = 0;
    for (auto&& [t, a] : py.read_channel<double>("imu")) {
        CHECK(t == t0 + static_cast<std::int64_t>(n) * 100'000'000 + 7);
        CHECK(a.visit([](const auto& arr) { return xt::xarray<double>(arr); }) ==
              xt::xarray<double>{n * 1.0, n + 0.5, -2.0 * static_cast<double>(n)});
        ++n;
    }
    CHECK(n == 10);

    const Run back = tinman_cli({"convert", (dir / "py").string(), (dir / "again").string()});
    REQUIRE(back.status == 0);
    CHECK(has(back.out, "converted 3 channels to tinman format"));
    ObLogReader again{dir / "again"};
    CHECK(again.codec("imu") == CodecDescriptor{"ndarray", {{"dtype", "<f8"}}});
    CHECK(again.codec("mixed") == CodecDescriptor{"ndarray", {}});
    const Run same = tinman_cli({"cat", (dir / "again").string(), "imu"});
    CHECK(same.out == tinman_cli({"cat", (dir / "native").string(), "imu"}).out);
    CHECK(tinman_cli({"cat", (dir / "py").string(), "imu"}).out == same.out);  // cat reads .blog too
    const Run verify_py = tinman_cli({"verify", (dir / "py").string()});
    CHECK(verify_py.status == 0);
    CHECK(has(verify_py.out, "imu.blog: 10 intact records, clean"));
    auto blog_bytes = test::read_file(dir / "py" / "imu.blog");
    test::write_file(dir / "py" / "imu.blog", std::span(blog_bytes).first(blog_bytes.size() - 3));
    const Run torn_py = tinman_cli({"verify", (dir / "py").string()});
    CHECK(torn_py.status == 1);
    CHECK(has(torn_py.out, "imu.blog: 9 intact records"));
    CHECK(has(torn_py.out, "torn tail: truncated data"));
    test::write_file(dir / "py" / "imu.blog", blog_bytes);

    const Run exists = tinman_cli({"convert", (dir / "native").string(), (dir / "py").string()});
    CHECK(exists.status == 6);
    CHECK(has(exists.err, "already exists"));
    CHECK(tinman_cli({"convert", (dir / "native").string(), (dir / "py").string(), "--force"}).status == 0);
}

TEST_CASE("tinman CLI: verify shows progress on a terminal only") {
    test::TempDir dir;
    {
        ObLogWriter log{dir.path()};
        auto w = log.get_writer("big", NdArrayCodec<std::uint8_t>{});
        const xt::xarray<std::uint8_t> mib = xt::zeros<std::uint8_t>({std::size_t{1} << 20});
        for (int i = 0; i < 65; ++i) w(i, mib);  // 65 MiB: over the 64 MiB progress threshold
        log.close();
    }
    const Run piped = tinman_cli({"verify", dir.path().string()});
    CHECK(piped.status == 0);
    CHECK(has(piped.out, "big: 65 intact records, clean"));
    CHECK(piped.err.empty());  // not a terminal: no progress

    const int master = ::posix_openpt(O_RDWR | O_NOCTTY);
    REQUIRE(master >= 0);
    REQUIRE(::grantpt(master) == 0);
    REQUIRE(::unlockpt(master) == 0);
    const std::string terminal = ::ptsname(master);
    const Run shown = tinman_cli({"verify", dir.path().string()}, terminal);
    CHECK(shown.status == 0);
    CHECK(has(shown.out, "big: 65 intact records, clean"));  // stdout (a pipe) is unchanged
    std::string progress;
    REQUIRE(::fcntl(master, F_SETFL, O_NONBLOCK) == 0);
    char buf[4096];
    for (ssize_t n; (n = ::read(master, buf, sizeof buf)) > 0;) progress.append(buf, static_cast<std::size_t>(n));
    ::close(master);
    CHECK(has(progress, "\rverifying big:"));
    CHECK(has(progress, "100%"));
}

TEST_CASE("tinman CLI: a channel with a live writer is being written, not torn: info, verify and cat succeed") {
    test::TempDir dir;
    ObLogWriter log{dir.path()};
    auto imu = log.get_writer("imu", NdArrayCodec<double>{});
    for (int i = 0; i < 5; ++i) imu(t0 + i, xt::xarray<double>{1.0 * i});
    log.flush();
    {  // what a reader can see while the next record is written: part of its header
        std::ofstream out(dir / "imu.tinman", std::ios::binary | std::ios::app);
        out << std::string(20, '\x5a');
    }
    const Run info = tinman_cli({"info", dir.path().string()});
    CHECK(info.status == 0);
    CHECK(has(info.out, "being written"));
    CHECK_FALSE(has(info.out, "torn"));
    const Run json = tinman_cli({"info", "--json", dir.path().string()});
    CHECK(has(compact(json.out), "\"records\":5"));
    CHECK(has(compact(json.out), "\"status\":\"being written\""));
    const Run v = tinman_cli({"verify", dir.path().string()});
    CHECK(v.status == 0);
    CHECK(has(v.out, "imu: 5 intact records so far, being written (the last record is not complete yet)"));
    CHECK(has(v.out, "1 of 1 channels clean"));
    const Run cat = tinman_cli({"cat", dir.path().string(), "imu"});
    CHECK(cat.status == 0);
    CHECK(lines(cat.out).size() == 5);
    CHECK(has(cat.err, "is being written: 5 records so far"));

    log.close();  // the same bytes, without a writer: a torn tail
    const Run after = tinman_cli({"verify", dir.path().string()});
    CHECK(after.status == 1);
    CHECK(has(after.out, "torn tail"));
}

TEST_CASE("tinman CLI: timestamps at both ends of int64 are summarized without overflow") {
    test::TempDir dir;
    {
        ObLogWriter log{dir.path()};
        auto w = log.get_writer("ends", NdArrayCodec<double>{});
        w(std::numeric_limits<std::int64_t>::min(), 1.0);
        w(std::numeric_limits<std::int64_t>::max(), 2.0);
    }
    const Run info = tinman_cli({"info", dir.path().string()});
    CHECK(info.status == 0);
    CHECK(has(info.out, "1677-09-21T00:12:43.145224192Z"));
    CHECK(has(info.out, "2262-04-11T23:47:16.854775807Z"));
    CHECK(has(info.out, "18446744073.710 s"));
    const Run json = tinman_cli({"info", "--json", dir.path().string()});
    CHECK(has(compact(json.out), "\"first_timestamp_ns\":-9223372036854775808"));
    CHECK(has(compact(json.out), "\"last_timestamp_ns\":9223372036854775807"));
    CHECK(tinman_cli({"cat", dir.path().string(), "ends"}).status == 0);
    CHECK(tinman_cli({"verify", dir.path().string()}).status == 0);
}

TEST_CASE("tinman CLI: terminal escape sequences in codec descriptors and pickled class names are printed escaped") {
    test::TempDir dir;
    {
        RecordWriter w(dir.path(), "evil", CodecDescriptor{"bytes", {{"note", "\x1b[2J\x1b]0;pwned\x07"}}});
        w.append(1, {{}, std::as_bytes(std::span("x", 1)), 1});
    }
    // A .blog channel whose pickled codec class carries an escape sequence (same length as the real name).
    write_log(dir / "native");
    REQUIRE(tinman_cli({"convert", (dir / "native").string(), (dir / "py").string()}).status == 0);
    auto blog = test::read_file(dir / "py" / "imu.blog");
    const std::string real = "NumpyArrayCodec", evil = "\x1b]0;pwned\x07XYZab";
    REQUIRE(real.size() == evil.size());
    auto at = std::search(blog.begin(), blog.end(), reinterpret_cast<const std::byte*>(real.data()),
                          reinterpret_cast<const std::byte*>(real.data()) + real.size());
    REQUIRE(at != blog.end());
    std::memcpy(&*at, evil.data(), evil.size());
    test::write_file(dir / "py" / "imu.blog", blog);
    test::write_file(dir / "py" / "empty.blog", std::span<const std::byte>{});

    for (const auto& args : std::vector<std::vector<std::string>>{{"info", dir.path().string()},
                                                                  {"info", (dir / "py").string()},
                                                                  {"verify", dir.path().string()},
                                                                  {"cat", dir.path().string(), "evil"}}) {
        CAPTURE(args[0]);
        const Run r = tinman_cli(args);
        CHECK(r.out.find('\x1b') == std::string::npos);
        CHECK(r.err.find('\x1b') == std::string::npos);
        CHECK(r.out.find('\x07') == std::string::npos);
    }
    const Run info = tinman_cli({"info", (dir / "py").string()});
    CHECK(has(info.out, "\\x1B]0;pwned\\x07XYZab"));
    // The channel whose codec cannot be decoded is still counted.
    const Run json = tinman_cli({"info", "--json", (dir / "py").string()});
    CHECK(has(compact(json.out), "\"name\":\"imu\",\"format\":\"python\""));
    CHECK(has(compact(json.out), "\"records\":10,"));

    // convert leaves out what it cannot decode, with a warning, and converts the rest.
    const Run conv = tinman_cli({"convert", (dir / "py").string(), (dir / "back").string()});
    CHECK(conv.status == 0);
    CHECK(has(conv.err, "skipping channel 'imu': codec tinman.codecs.numpy.\\x1B]0;pwned\\x07XYZab cannot be decoded"));
    CHECK(has(conv.err, "skipping channel 'empty'"));
    CHECK(has(conv.out, "converted 2 channels to tinman format"));
    CHECK(conv.err.find('\x1b') == std::string::npos);
    CHECK(ObLogReader{dir / "back"}.channel_names() == std::vector<std::string>{"img", "mixed"});
}

TEST_CASE("tinman CLI: --verify-all reads nothing at or past damage, a time range after it included") {
    test::TempDir dir;
    std::vector<std::uint64_t> offsets;
    {
        ObLogWriter log{dir.path()};
        auto w = log.get_writer("big", NdArrayCodec<double>{});
        for (int i = 0; i < 10; ++i) w(t0 + i, xt::xarray<double>(std::vector<std::size_t>{1000}, i * 1.0));
    }
    {
        auto records = ObLogReader{dir.path()}.read_channel<NdArrayCodec<double>>("big");
        for (auto it = records.begin(); it != records.end(); ++it) offsets.push_back(it.record().offset);
    }
    REQUIRE(offsets.size() == 10);
    auto bytes = test::read_file(dir / "big.tinman");
    bytes[offsets[3] + 4000] ^= std::byte{0x10};  // inside record 3's 8000-byte payload: default reads trust it
    test::write_file(dir / "big.tinman", bytes);
    const std::string from = std::to_string(t0 + 5);

    const Run fast = tinman_cli({"cat", dir.path().string(), "big", "--from", from});
    CHECK(fast.status == 0);
    CHECK(lines(fast.out).size() == 5);  // records 5..9, sought through the index
    const Run checked = tinman_cli({"cat", dir.path().string(), "big", "--from", from, "--verify-all"});
    CHECK(checked.status != 0);
    CHECK(lines(checked.out).empty());
    CHECK(has(checked.err, "payload checksum mismatch"));
    const Run all = tinman_cli({"cat", dir.path().string(), "big", "--verify-all"});
    CHECK(all.status != 0);
    CHECK(lines(all.out).size() == 3);
    const Run verify = tinman_cli({"verify", dir.path().string(), "big"});
    CAPTURE(verify.out);
    CHECK(has(verify.out, "3 of them before the first damage"));
    const auto npy = dir / "out.npy";
    const Run exported = tinman_cli({"export", dir.path().string(), "big", npy.string(), "--verify-all"});
    CAPTURE(exported.out + exported.err);
    CHECK(exported.status != 0);
    CHECK(has(exported.out, "3 records"));
}
