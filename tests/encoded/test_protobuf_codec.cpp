// ProtobufCodec<M>: generated messages through a channel, the schema in its header, hostile payloads.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <google/protobuf/util/message_differencer.h>
#include <tinman.hpp>
#include <tinman/codecs/dynamic_protobuf_codec.hpp>
#include <tinman/codecs/protobuf_codec.hpp>
#include <tinman/detail/base64.hpp>

#include "encoded_support.hpp"
#include "test_support.hpp"
#include "tinman_test.pb.h"

using namespace tinman;
using tinman::test::PoseStamped;

namespace {

PoseStamped pose(int i) {
    PoseStamped p;
    p.mutable_stamp()->set_seconds(1700000000 + i);
    p.mutable_stamp()->set_nanos(i * 1000);
    p.set_frame_id("map");
    p.mutable_position()->set_x(i * 0.5);
    p.mutable_position()->set_y(-i);
    p.mutable_orientation()->set_w(1.0);
    for (int k = 0; k < 6; ++k) p.add_covariance(static_cast<float>(k * i));
    (*p.mutable_tags())["run"] = i;
    p.set_quality(i % 2 ? PoseStamped::QUALITY_GOOD : PoseStamped::QUALITY_DEGRADED);
    return p;
}

bool equal(const google::protobuf::Message& a, const google::protobuf::Message& b) {
    return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

std::vector<std::byte> stored(const Payload& p) { return {p.body.begin(), p.body.end()}; }

}  // namespace

TEST_CASE("base64: round trip and refusals") {
    const std::vector<std::string> samples{"", "f", "fo", "foo", "foob", "fooba", "foobar", std::string("\0\xff\n", 3)};
    for (const std::string& s : samples)
        CHECK(detail::base64_decode(detail::base64_encode(s)) == s);
    CHECK(detail::base64_encode("foobar") == "Zm9vYmFy");
    CHECK(detail::base64_encode("fo") == "Zm8=");
    CHECK_FALSE(detail::base64_decode("Zm9").has_value());
    CHECK_FALSE(detail::base64_decode("Zm9*").has_value());
    CHECK_FALSE(detail::base64_decode("Z===").has_value());
}

TEST_CASE("ProtobufCodec: round trip through a channel, with random access and time ranges") {
    test::TempDir dir;
    {
        ObLogWriter log{dir.path()};
        auto write = log.get_writer("pose", ProtobufCodec<PoseStamped>{});
        for (int i = 0; i < 20; ++i) write(1000 + i, pose(i));
        write(2000, PoseStamped{});  // the empty message: a zero-byte payload
        log.close();
    }
    const ObLogReader reader{dir.path()};
    const auto stored_codec = reader.codec("pose");
    CHECK(stored_codec.name == "protobuf");
    CHECK(stored_codec.param("message") == "tinman.test.PoseStamped");

    int i = 0;
    for (auto&& [t, msg] : reader.read_channel<ProtobufCodec<PoseStamped>>("pose")) {
        CHECK(equal(msg, i < 20 ? pose(i) : PoseStamped{}));
        ++i;
    }
    CHECK(i == 21);
    const auto records = reader.indexed_channel<ProtobufCodec<PoseStamped>>("pose");
    CHECK(equal(records[13].value, pose(13)));
    CHECK(records.seek(1005) == 5);

    SUBCASE("decode_into reuses the caller's message") {
        auto channel = reader.read_channel<ProtobufCodec<PoseStamped>>("pose");
        PoseStamped out;
        int k = 0;
        for (auto it = channel.begin(); it != channel.end() && k < 20; ++it, ++k) {
            ProtobufCodec<PoseStamped>{}.decode_into(it.record().payload, out);
            CHECK(equal(out, pose(k)));
        }
    }
    SUBCASE("encode -> decode -> encode gives identical bytes") {
        EncodeScratch a, b;
        const auto once = stored(ProtobufCodec<PoseStamped>{}.encode(pose(3), a));
        CHECK(stored(ProtobufCodec<PoseStamped>{}.encode(ProtobufCodec<PoseStamped>{}.decode(once), b)) == once);
    }
    SUBCASE("another message type, another codec") {
        CHECK_THROWS_WITH_AS((void)reader.read_channel<ProtobufCodec<tinman::test::Other>>("pose"),
                             doctest::Contains("stored message type 'tinman.test.PoseStamped'"), codec_mismatch);
        CHECK_THROWS_WITH_AS((void)reader.read_channel<AnyArrayCodec>("pose"),
                             doctest::Contains("encoded with protobuf: use ProtobufCodec<M>"), codec_mismatch);
    }
}

TEST_CASE("ProtobufCodec: the header holds the schema of the message and its imports") {
    const auto d = ProtobufCodec<PoseStamped>{}.descriptor();
    const auto bytes = detail::base64_decode(*d.param("schema"));
    REQUIRE(bytes.has_value());
    google::protobuf::FileDescriptorSet set;
    REQUIRE(set.ParseFromString(*bytes));
    REQUIRE(set.file_size() == 2);
    CHECK(set.file(0).name() == "google/protobuf/timestamp.proto");  // imports first
    CHECK(set.file(1).name() == "tinman_test.proto");
    CHECK_FALSE(set.file(1).has_source_code_info());
    CHECK(d.to_string().find("schema=") != std::string::npos);
    CHECK(d.to_string().size() < 200);  // messages show the schema's length, not its bytes
}

TEST_CASE("ProtobufCodec: hostile payloads give clear errors") {
    test::TempDir dir;
    std::vector<std::byte> bad{std::byte{0x0a}, std::byte{0xff}, std::byte{0xff}, std::byte{0xff}, std::byte{0x0f}};
    {
        ObLogWriter log{dir.path()};
        auto write = log.get_writer("pose", test::RawPayloadCodec{ProtobufCodec<PoseStamped>{}.descriptor()});
        EncodeScratch s;
        const auto good = stored(ProtobufCodec<PoseStamped>{}.encode(pose(1), s));
        write(1, std::span<const std::byte>(good));
        write(2, std::span<const std::byte>(bad));  // field 1 claims 4 GiB of a 5-byte payload
        log.close();
    }
    const auto records = ObLogReader{dir.path()}.indexed_channel<ProtobufCodec<PoseStamped>>("pose");
    CHECK(equal(records[0].value, pose(1)));
    CHECK_THROWS_WITH_AS((void)records[1], doctest::Contains("record 1"), format_error);
    CHECK_THROWS_WITH_AS((void)records[1], doctest::Contains("is not a valid tinman.test.PoseStamped message"),
                         format_error);
}

TEST_CASE("ProtobufCodec: schemas over 4 KiB are stored whole and read back") {
    test::TempDir dir;
    SUBCASE("a generated type with a large schema: google.protobuf.FileDescriptorSet") {
        using Set = google::protobuf::FileDescriptorSet;
        const auto d = ProtobufCodec<Set>{}.descriptor();
        CHECK(d.param("schema")->size() > 4096);
        Set value;
        PoseStamped::descriptor()->file()->CopyTo(value.add_file());
        {
            ObLogWriter log{dir.path()};
            auto write = log.get_writer("schemas", ProtobufCodec<Set>{});
            write(1, value);
            log.close();
        }
        const ObLogReader reader{dir.path()};
        CHECK(reader.codec("schemas") == d);
        const auto records = reader.indexed_channel<ProtobufCodec<Set>>("schemas");
        REQUIRE(records.size() == 1);
        CHECK(equal(records[0].value, value));
        // Through the stored schema only.
        const DynamicProtobufCodec dynamic{reader.codec("schemas")};
        CHECK(dynamic.schema().type().full_name() == "google.protobuf.FileDescriptorSet");
        CHECK(reader.indexed_channel("schemas", dynamic)[0].value.message().SerializeAsString() ==
              value.SerializeAsString());
    }
    SUBCASE("a wide message with imports, built at run time, written and read without generated code") {
        google::protobuf::FileDescriptorProto file;
        file.set_name("tinman/wide.proto");
        file.set_package("tinman.wide");
        file.set_syntax("proto3");
        file.add_dependency("google/protobuf/timestamp.proto");
        file.add_dependency("tinman_test.proto");
        auto* type = file.add_message_type();
        type->set_name("Wide");
        using Field = google::protobuf::FieldDescriptorProto;
        for (int i = 1; i <= 300; ++i) {
            auto* f = type->add_field();
            f->set_name("measurement_channel_" + std::to_string(i));
            f->set_number(i);
            f->set_label(Field::LABEL_OPTIONAL);
            if (i % 3 == 0) {
                f->set_type(Field::TYPE_MESSAGE);
                f->set_type_name(i % 2 ? ".google.protobuf.Timestamp" : ".tinman.test.Vector3");
            } else {
                f->set_type(Field::TYPE_DOUBLE);
            }
        }
        google::protobuf::DescriptorPool pool(google::protobuf::DescriptorPool::generated_pool());
        const auto* built = pool.BuildFile(file);
        REQUIRE(built != nullptr);
        const auto d = protobuf_descriptor(*built->message_type(0));
        CHECK(format::encode_codec_descriptor(d).size() > 8192);
        const DynamicProtobufCodec codec{d};
        auto message = codec.schema().new_message();
        const auto* reflection = message->GetReflection();
        reflection->SetDouble(message.get(), message->GetDescriptor()->FindFieldByNumber(1), 2.5);
        auto* vector3 = reflection->MutableMessage(message.get(), message->GetDescriptor()->FindFieldByNumber(6));
        vector3->GetReflection()->SetDouble(vector3, vector3->GetDescriptor()->FindFieldByName("z"), -1.0);
        {
            ObLogWriter log{dir.path()};
            auto write = log.get_writer("wide", codec);
            write(10, *message);
            log.close();
        }
        {  // appending checks the stored descriptor against the writer's, all of it
            ObLogWriter log{dir.path()};
            auto write = log.get_writer("wide", codec, OpenMode::append);
            write(20, *message);
            log.close();
        }
        const ObLogReader reader{dir.path()};
        CHECK(reader.codec("wide") == d);
        const DynamicProtobufCodec read{reader.codec("wide")};
        int n = 0;
        for (auto&& [t, msg] : reader.read_channel("wide", read)) {
            CHECK(t == (n + 1) * 10);
            CHECK(msg.text() == "measurement_channel_1: 2.5 measurement_channel_6 { z: -1 }");
            ++n;
        }
        CHECK(n == 2);
    }
}
