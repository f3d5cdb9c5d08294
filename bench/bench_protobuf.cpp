// Protobuf messages: records/s written and read by ProtobufCodec, against the same
// messages in MCAP's protobuf encoding (when MCAP is built in: TINMAN_BENCH_HAVE_MCAP).
//
//  - the message: tinman.test.PoseStamped (a stamp, frame id, position, orientation,
//    6 covariances, a map entry, an enum), about 90 bytes serialized; 100000 records.
//  - write: every message serialized and written into a new file, then close (page
//    cache, no fsync). tinman: ObLogWriter, one channel, its time index; MCAP:
//    McapWriter with uncompressed chunks (tinman's records are uncompressed too),
//    chunk CRCs, message indexes and summary as by default, the schema stored as
//    the FileDescriptorSet (MCAP's "protobuf" schema encoding).
//  - read: every record parsed into a new PoseStamped (the usual loop), into one
//    reused PoseStamped, or not parsed (its bytes only: the container's own cost).
//    tinman: read_channel; MCAP: McapReader::readMessages in file order.
//  - each contender runs once per round, the order rotated from round to round;
//    the figures are medians over the rounds (CPU time).
// Target: tinman >= 1.5x MCAP's records/s, written and read.

#include <memory>
#include <random>
#include <string>
#include <tinman.hpp>
#include <tinman/codecs/protobuf_codec.hpp>

#include "bench_common.hpp"
#include "tinman_test.pb.h"

#if TINMAN_BENCH_HAVE_MCAP
#define MCAP_IMPLEMENTATION
#include <mcap/reader.hpp>
#include <mcap/writer.hpp>
#endif

namespace {

using namespace tinman_bench;
using tinman::test::PoseStamped;
using Codec = tinman::ProtobufCodec<PoseStamped>;

constexpr std::size_t records = 100000;
constexpr int rounds = 7;

const std::vector<PoseStamped>& messages() {
    static const auto data = [] {
        std::vector<PoseStamped> out(records);
        std::mt19937 rng(5);
        std::uniform_real_distribution<double> u(-100.0, 100.0);
        for (std::size_t i = 0; i < records; ++i) {
            PoseStamped& p = out[i];
            p.mutable_stamp()->set_seconds(1700000000 + static_cast<std::int64_t>(i / 100));
            p.mutable_stamp()->set_nanos(static_cast<std::int32_t>(i % 100) * 10000000);
            p.set_frame_id("base_link");
            p.mutable_position()->set_x(u(rng));
            p.mutable_position()->set_y(u(rng));
            p.mutable_position()->set_z(u(rng));
            p.mutable_orientation()->set_w(1.0);
            p.mutable_orientation()->set_z(u(rng) / 100);
            for (int k = 0; k < 6; ++k) p.add_covariance(static_cast<float>(u(rng)));
            (*p.mutable_tags())["lap"] = static_cast<std::int32_t>(i / 1000);
            p.set_quality(PoseStamped::QUALITY_GOOD);
        }
        return out;
    }();
    return data;
}

std::int64_t stamp_ns(std::size_t i) { return 1'700'000'000'000'000'000 + static_cast<std::int64_t>(i) * 10'000'000; }

fs::path tinman_dir() { return scratch_dir() / "protobuf-tinman"; }

std::map<std::string, double> disk_bytes;

void write_tinman(benchmark::State& state) {
    const auto& m = messages();
    for (auto _ : state) {
        tinman::ObLogWriter log{tinman_dir()};
        auto write = log.get_writer("pose", Codec{}, tinman::OpenMode::truncate);
        for (std::size_t i = 0; i < m.size(); ++i) write(stamp_ns(i), m[i]);
        log.close();
    }
    disk_bytes["tinman"] = static_cast<double>(fs::file_size(tinman_dir() / "pose.tinman") +
                                               fs::file_size(tinman::index_path_for(tinman_dir() / "pose.tinman")));
}

/// How a read treats each record: parsed into a new message (the usual loop),
/// parsed into one reused message (decode_into), or its bytes only (no parsing:
/// what the container itself costs).
enum class ReadMode { parse, reuse, bytes };

template <ReadMode mode>
void read_tinman(benchmark::State& state) {
    const tinman::ObLogReader reader{tinman_dir()};
    const Codec codec;
    PoseStamped reused;
    std::size_t n = 0;
    double sum = 0;
    for (auto _ : state) {
        if constexpr (mode == ReadMode::parse) {
            for (auto&& [t, msg] : reader.read_channel<Codec>("pose")) {
                sum += msg.position().x();
                ++n;
            }
        } else {
            auto channel = reader.read_channel<Codec>("pose");
            for (auto it = channel.begin(); it != channel.end(); ++it) {
                const auto payload = it.record().payload;
                if constexpr (mode == ReadMode::reuse) {
                    codec.decode_into(payload, reused);
                    sum += reused.position().x();
                } else {
                    sum += static_cast<double>(payload.size());
                }
                ++n;
            }
        }
    }
    benchmark::DoNotOptimize(sum);
    check(state, n == state.iterations() * records, "record count");
}

#if TINMAN_BENCH_HAVE_MCAP
fs::path mcap_file() { return scratch_dir() / "protobuf.mcap"; }

void mcap_check(benchmark::State& state, const mcap::Status& s, const char* what) {
    if (!s.ok()) state.SkipWithError((std::string(what) + ": " + s.message).c_str());
}

void write_mcap(benchmark::State& state) {
    const auto& m = messages();
    const std::string schema = tinman::protobuf_file_descriptor_set(*PoseStamped::descriptor());
    std::string buffer;
    for (auto _ : state) {
        mcap::McapWriter writer;
        mcap::McapWriterOptions options("");
        options.compression = mcap::Compression::None;
        mcap_check(state, writer.open(mcap_file().string(), options), "open");
        mcap::Schema s(PoseStamped::descriptor()->full_name(), "protobuf", schema);
        writer.addSchema(s);
        mcap::Channel channel("pose", "protobuf", s.id);
        writer.addChannel(channel);
        mcap::Message msg;
        msg.channelId = channel.id;
        for (std::size_t i = 0; i < m.size(); ++i) {
            m[i].SerializeToString(&buffer);
            msg.sequence = static_cast<std::uint32_t>(i);
            msg.logTime = msg.publishTime = static_cast<mcap::Timestamp>(stamp_ns(i));
            msg.data = reinterpret_cast<const std::byte*>(buffer.data());
            msg.dataSize = buffer.size();
            if (const auto status = writer.write(msg); !status.ok()) {
                mcap_check(state, status, "write");
                break;
            }
        }
        writer.close();
    }
    disk_bytes["mcap"] = static_cast<double>(fs::file_size(mcap_file()));
}

template <ReadMode mode>
void read_mcap(benchmark::State& state) {
    PoseStamped reused;
    std::size_t n = 0;
    double sum = 0;
    for (auto _ : state) {
        mcap::McapReader reader;
        mcap_check(state, reader.open(mcap_file().string()), "open");
        for (const auto& view : reader.readMessages()) {
            const auto* data = view.message.data;
            const int size = static_cast<int>(view.message.dataSize);
            if constexpr (mode == ReadMode::bytes) {
                sum += size;
            } else {
                PoseStamped fresh;
                PoseStamped& msg = mode == ReadMode::reuse ? reused : fresh;
                if (!msg.ParseFromArray(data, size)) {
                    state.SkipWithError("a message does not parse");
                    break;
                }
                sum += msg.position().x();
            }
            ++n;
        }
        reader.close();
    }
    benchmark::DoNotOptimize(sum);
    check(state, n == state.iterations() * records, "record count");
}
#endif

constexpr const char* read_modes[] = {"read", "read-reuse", "read-bytes"};

struct Contender {
    std::string name;
    void (*write)(benchmark::State&);
    void (*read[3])(benchmark::State&);  // in the order of read_modes
};

std::vector<Contender> contenders() {
    std::vector<Contender> out{{"tinman",
                                write_tinman,
                                {read_tinman<ReadMode::parse>, read_tinman<ReadMode::reuse>,
                                 read_tinman<ReadMode::bytes>}}};
#if TINMAN_BENCH_HAVE_MCAP
    out.push_back({"mcap",
                   write_mcap,
                   {read_mcap<ReadMode::parse>, read_mcap<ReadMode::reuse>, read_mcap<ReadMode::bytes>}});
#endif
    return out;
}

/// Every round runs each contender once per operation, writes before reads (the
/// reads use the files written), starting one contender later than the round
/// before; results of one name gather across rounds.
void register_all() {
    const auto c = contenders();
    auto add = [](const std::string& name, void (*f)(benchmark::State&)) {
        benchmark::RegisterBenchmark(name.c_str(), f)->Iterations(3)->Unit(benchmark::kMillisecond);
    };
    for (int round = 0; round < rounds; ++round) {
        auto nth = [&](std::size_t k) -> const Contender& { return c[(k + static_cast<std::size_t>(round)) % c.size()]; };
        for (std::size_t k = 0; k < c.size(); ++k) add("write/" + nth(k).name, nth(k).write);
        for (std::size_t m = 0; m < std::size(read_modes); ++m)
            for (std::size_t k = 0; k < c.size(); ++k)
                add(std::string(read_modes[m]) + "/" + nth(k).name, nth(k).read[m]);
    }
}

void summarize(const Collector& results, Summary& summary) {
    auto per_s = [](const std::optional<Result>& r) {
        return r ? static_cast<double>(records) / (r->ns * 1e-9) : std::nan("");
    };
    const std::pair<const char*, const char*> cases[] = {
        {"write", "write"},
        {"read", "read, a new message per record"},
        {"read-reuse", "read, one reused message"},
        {"read-bytes", "read, payload bytes only (no parsing)"}};
    for (const auto& [op, what] : cases) {
        const double t = per_s(results.get(std::string(op) + "/tinman"));
        Row row(std::string("PoseStamped: ") + what + " (records/s)", "tinman", t, Unit::per_s);
        if (const auto m = results.get(std::string(op) + "/mcap")) {
            const double v = per_s(m);
            row.vs("MCAP (protobuf)", v, t / v);
            if (std::string_view(op) == "write" || std::string_view(op) == "read") row.goal(">= 1.5x", t / v >= 1.5);
        }
        summary.add(row);
    }
    const double tb = disk_bytes.count("tinman") ? disk_bytes["tinman"] : std::nan("");
    Row bytes("PoseStamped: bytes on disk", "tinman (with index)", tb, Unit::bytes);
    if (disk_bytes.count("mcap")) bytes.vs("MCAP (protobuf)", disk_bytes["mcap"], disk_bytes["mcap"] / tb);
    summary.add(bytes);
}

}  // namespace

int main(int argc, char** argv) {
    (void)messages();  // built before any timing
    register_all();
    return run_benchmarks(argc, argv, "bench_protobuf", summarize);
}
