// The `tinman` tool on text and JSON channels, channel metadata and attachments:
// cat prints whole records (escaped), export writes JSON lines, info shows
// metadata, attachments lists and extracts.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <tinman.hpp>

#include "cli_runner.hpp"
#include "test_support.hpp"

using namespace tinman;

namespace {

using test::has;
using test::Run;
using test::slurp;
using test::tinman_cli;

constexpr std::int64_t t0 = 1'764'108'000'000'000'000;  // 2025-11-25T22:00:00Z

/// Writes records under any descriptor (a JSON channel without nlohmann/json, hostile payloads).
struct RawCodec {
    using value_type = std::span<const std::byte>;
    CodecDescriptor stored;
    [[nodiscard]] CodecDescriptor descriptor() const { return stored; }
    [[nodiscard]] std::string mismatch(const CodecDescriptor&) const { return {}; }
    [[nodiscard]] value_type decode(std::span<const std::byte> payload, const SegmentPtr&) const { return payload; }
    [[nodiscard]] Payload encode(std::string_view s, EncodeScratch&) const {
        return {{}, std::as_bytes(std::span{s.data(), s.size()}), 1};
    }
};

const std::string long_text = "a long event line that goes on past forty-eight characters, to its very end";

/// "events" (text), "state" (JSON, as JsonCodec stores it), with metadata on "events", and an attachment.
void write_log(const std::filesystem::path& dir) {
    ObLogWriter log{dir};
    auto events = log.get_writer("events", TextCodec{},
                                 {.metadata = {{"source", "planner"}, {"note", "Grüße\tok"}}});
    events(t0, long_text);
    events(t0 + 1, "Grüße, 世界\nsecond line \x1b[31mred\x1b[0m \\ done");
    events(t0 + 2, "");
    auto state = log.get_writer("state", RawCodec{{"json", {{"content_type", "application/json"}}}});
    state(t0, std::string_view(R"({"mode":"auto","gains":[1.5,2],"name":"Grüße"})"));
    state(t0 + 5, std::string_view(R"([])"));
    log.attach("robot.urdf", "<robot name=\"arm\"/>\n");
    log.close();
}

}  // namespace

TEST_CASE("tinman CLI: cat prints text and JSON records whole, escaped, and as JSON lines") {
    test::TempDir dir;
    write_log(dir.path());
    const Run text = tinman_cli({"cat", dir.path().string(), "events"});
    CHECK(text.status == 0);
    CHECK(text.out == "2025-11-25T22:00:00.000000000Z " + long_text + "\n" +
                          "2025-11-25T22:00:00.000000001Z Grüße, 世界\\nsecond line \\x1B[31mred\\x1B[0m \\\\ done\n" +
                          "2025-11-25T22:00:00.000000002Z \n");
    const Run json = tinman_cli({"cat", dir.path().string(), "events", "--json", "--limit", "2"});
    CHECK(json.status == 0);
    CHECK(json.out == "{\"t\":1764108000000000000,\"text\":\"" + long_text + "\"}\n" +
                          "{\"t\":1764108000000000001,\"text\":\"Grüße, 世界\\nsecond line \\u001b[31mred\\u001b[0m \\\\ "
                          "done\"}\n");
    const Run state = tinman_cli({"cat", dir.path().string(), "state"});
    CHECK(state.out == "2025-11-25T22:00:00.000000000Z {\"mode\":\"auto\",\"gains\":[1.5,2],\"name\":\"Grüße\"}\n"
                       "2025-11-25T22:00:00.000000005Z []\n");
    const Run state_json = tinman_cli({"cat", dir.path().string(), "state", "--json"});
    CHECK(state_json.out == "{\"t\":1764108000000000000,\"value\":{\"mode\":\"auto\",\"gains\":[1.5,2],\"name\":\"Grüße\"}}\n"
                            "{\"t\":1764108000000000005,\"value\":[]}\n");
}

TEST_CASE("tinman CLI: export writes text and JSON channels as JSON lines") {
    test::TempDir dir;
    write_log(dir.path() / "log");
    const auto out = dir.path() / "events.jsonl";
    const Run r = tinman_cli({"export", (dir.path() / "log").string(), "events", out.string()});
    CHECK(r.status == 0);
    CHECK(has(r.out, "exported 3 text records"));
    CHECK(slurp(out) == "{\"t\":1764108000000000000,\"text\":\"" + long_text + "\"}\n" +
                            "{\"t\":1764108000000000001,\"text\":\"Grüße, 世界\\nsecond line \\u001b[31mred\\u001b[0m "
                            "\\\\ done\"}\n{\"t\":1764108000000000002,\"text\":\"\"}\n");
    const auto state = dir.path() / "state.jsonl";
    CHECK(tinman_cli({"export", (dir.path() / "log").string(), "state", state.string(), "--from",
                      std::to_string(t0 + 1)})
              .status == 0);
    CHECK(slurp(state) == "{\"t\":1764108000000000005,\"value\":[]}\n");
    // Not into the log under an attachment's name.
    const Run refused = tinman_cli({"export", (dir.path() / "log").string(), "events",
                                    (dir.path() / "log" / "x.tinman-attachment").string()});
    CHECK(refused.status != 0);
    CHECK(has(refused.err, "would be a file of the log"));
}

TEST_CASE("tinman CLI: a JSON record that is not JSON is reported with channel and record") {
    test::TempDir dir;
    {
        ObLogWriter log{dir.path()};
        auto state = log.get_writer("state", RawCodec{{"json", {{"content_type", "application/json"}}}});
        state(t0, std::string_view(R"({"ok":1})"));
        state(t0 + 1, std::string_view(R"({"cut":)"));
    }
    const auto out = dir.path() / "state.jsonl";
    const Run r = tinman_cli({"export", dir.path().string(), "state", out.string()});
    CHECK(r.status == 5);
    CHECK(has(r.err, "channel 'state'"));
    CHECK(has(r.err, "record 1"));
    CHECK(has(r.err, "not a JSON document"));
    CHECK_FALSE(std::filesystem::exists(out));
    CHECK(tinman_cli({"cat", dir.path().string(), "state", "--json"}).status == 5);
}

TEST_CASE("tinman CLI: info shows channel metadata and attachments") {
    test::TempDir dir;
    write_log(dir.path());
    const Run table = tinman_cli({"info", dir.path().string()});
    CHECK(table.status == 0);
    CHECK(has(table.out, "text(encoding=utf-8)"));
    CHECK(has(table.out, "json(content_type=application/json)"));
    CHECK(has(table.out, "events metadata: source=planner note=Grüße\\tok\n"));
    CHECK(has(table.out, "attachments: robot.urdf (20 B)\n"));
    const Run json = tinman_cli({"info", dir.path().string(), "--json"});
    CHECK(json.status == 0);
    CHECK(has(json.out, "\"metadata\": {\n        \"source\": \"planner\",\n        \"note\": \"Grüße\\tok\"\n      }"));
    CHECK(has(json.out, "\"name\": \"robot.urdf\""));
    CHECK(has(json.out, "\"intact\": true"));
}

TEST_CASE("tinman CLI: attachments lists, extracts, and reports damage") {
    test::TempDir dir;
    const auto log = dir.path() / "log";
    write_log(log);
    const Run list = tinman_cli({"attachments", log.string()});
    CHECK(list.status == 0);
    CHECK(has(list.out, "ATTACHMENT"));
    CHECK(has(list.out, "robot.urdf"));
    CHECK(has(list.out, "20  ok"));
    const auto out = dir.path() / "robot.urdf";
    const Run ex = tinman_cli({"attachments", log.string(), "--extract", "robot.urdf", "-o", out.string()});
    CHECK(ex.status == 0);
    CHECK(slurp(out) == "<robot name=\"arm\"/>\n");
    const Run to_stdout = tinman_cli({"attachments", log.string(), "--extract", "robot.urdf", "-o", "-"});
    CHECK(to_stdout.out == "<robot name=\"arm\"/>\n");
    CHECK(tinman_cli({"attachments", log.string(), "--extract", "missing", "-o", out.string()}).status == 4);
    CHECK(tinman_cli({"attachments", log.string(), "--extract", "robot.urdf"}).status == 2);
    // The channels are not attachments, nor the attachments channels.
    CHECK_FALSE(has(tinman_cli({"info", log.string()}).out, "robot.urdf  "));
    CHECK(tinman_cli({"cat", log.string(), "robot.urdf"}).status == 4);
    // Damage: listed as such (exit status 5), and never extracted.
    const auto file = log / "robot.urdf.tinman-attachment";
    auto bytes = test::read_file(file);
    bytes.back() ^= std::byte{1};
    test::write_file(file, bytes);
    const Run damaged = tinman_cli({"attachments", log.string()});
    CHECK(damaged.status == 5);
    CHECK(has(damaged.out, "damaged: attachment 'robot.urdf': data checksum mismatch"));
    const Run bad = tinman_cli({"attachments", log.string(), "--extract", "robot.urdf", "-o", out.string()});
    CHECK(bad.status == 5);
    CHECK(has(bad.err, "attachment 'robot.urdf': data checksum mismatch"));
    const Run none = tinman_cli({"attachments", dir.path().string()});
    CHECK(none.status == 0);
    CHECK(has(none.out, "no attachments"));
}

TEST_CASE("tinman CLI: attachments --help, and -o without --extract is a usage error") {
    const Run help = tinman_cli({"attachments", "--help"});
    CHECK(help.status == 0);
    CHECK(has(help.out, "usage: tinman attachments DIR"));
    CHECK(has(tinman_cli({"--help"}).out, "attachments"));
    test::TempDir dir;
    CHECK(tinman_cli({"attachments", dir.path().string(), "-o", "x"}).status == 2);
    CHECK(tinman_cli({"attachments", (dir.path() / "missing").string()}).status == 3);
}
