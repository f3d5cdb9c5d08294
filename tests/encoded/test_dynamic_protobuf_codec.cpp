// DynamicProtobufCodec: any protobuf channel read through the schema in its header, as text and JSON.
#include <doctest/doctest.h>

#include <string>

#include <tinman.hpp>
#include <tinman/codecs/dynamic_protobuf_codec.hpp>
#include <tinman/codecs/protobuf_codec.hpp>
#include <tinman/detail/base64.hpp>

#include "encoded_support.hpp"
#include "test_support.hpp"
#include "tinman_test.pb.h"

using namespace tinman;
using tinman::test::PoseStamped;

TEST_CASE("DynamicProtobufCodec: decodes without the generated type") {
    test::TempDir dir;
    PoseStamped p;
    p.mutable_stamp()->set_seconds(12);
    p.set_frame_id("map");
    p.mutable_position()->set_x(1.5);
    p.add_covariance(0.25f);
    p.set_quality(PoseStamped::QUALITY_GOOD);
    {
        ObLogWriter log{dir.path()};
        auto write = log.get_writer("pose", ProtobufCodec<PoseStamped>{});
        write(7, p);
        log.close();
    }
    const ObLogReader reader{dir.path()};
    const DynamicProtobufCodec codec{reader.codec("pose")};
    CHECK(codec.schema().type().full_name() == "tinman.test.PoseStamped");
    int n = 0;
    for (auto&& [t, msg] : reader.read_channel("pose", codec)) {
        CHECK(t == 7);
        CHECK(msg->GetDescriptor() != PoseStamped::descriptor());  // from the stored schema, not the generated one
        CHECK(msg.text() ==
              "stamp { seconds: 12 } frame_id: \"map\" position { x: 1.5 } covariance: 0.25 quality: QUALITY_GOOD");
        CHECK(msg.json() ==
              R"({"stamp":"1970-01-01T00:00:12Z","frame_id":"map","position":{"x":1.5},"covariance":[0.25],"quality":"QUALITY_GOOD"})");
        CHECK(msg.message().SerializeAsString() == p.SerializeAsString());
        ++n;
    }
    CHECK(n == 1);

    SUBCASE("it writes messages of the stored type, generated or dynamic") {
        ObLogWriter log{dir.path()};
        auto write = log.get_writer("copy", codec);
        const auto records = reader.indexed_channel("pose", codec);
        write(1, records[0].value);
        write(2, p);
        CHECK_THROWS_AS(write(3, tinman::test::Other{}), usage_error);
        log.close();
        CHECK(reader.codec("copy") == reader.codec("pose"));
        const auto copied = reader.indexed_channel<ProtobufCodec<PoseStamped>>("copy");
        CHECK(copied[0].value.SerializeAsString() == p.SerializeAsString());
    }
}

TEST_CASE("DynamicProtobufCodec: malformed schemas and other channels are refused clearly") {
    const auto good = ProtobufCodec<PoseStamped>{}.descriptor();
    auto with = [&](std::string key, std::string value) {
        CodecDescriptor d = good;
        for (auto& [k, v] : d.params)
            if (k == key) v = value;
        return d;
    };
    CHECK_THROWS_WITH_AS(DynamicProtobufCodec{with("schema", "!!!!")}, doctest::Contains("not a FileDescriptorSet"),
                         format_error);
    CHECK_THROWS_WITH_AS(DynamicProtobufCodec{with("message", "tinman.test.Nope")},
                         doctest::Contains("has no message 'tinman.test.Nope'"), format_error);
    // The schema without its import: the file does not build.
    google::protobuf::FileDescriptorSet set;
    REQUIRE(set.ParseFromString(*detail::base64_decode(*good.param("schema"))));
    set.mutable_file()->DeleteSubrange(0, 1);
    CHECK_THROWS_WITH_AS(DynamicProtobufCodec{with("schema", detail::base64_encode(set.SerializeAsString()))},
                         doctest::Contains("does not build"), format_error);
    const CodecDescriptor arrays{"ndarray", {}}, bare{"protobuf", {}};
    CHECK_THROWS_AS(DynamicProtobufCodec{arrays}, codec_mismatch);
    CHECK_THROWS_AS(DynamicProtobufCodec{bare}, format_error);
}
