// tinman 0.1's header paths and names, deprecated until their removal in 0.3,
// still compile and mean what they meant: each is used once here.
#define TINMAN_NO_DEPRECATED_HEADER_WARNINGS  // the forwarders' #pragma message

#include <doctest/doctest.h>

#include <tinman/any_array_codec.hpp>
#include <tinman/blob_reader.hpp>
#include <tinman/blob_writer.hpp>
#include <tinman/bytes_codec.hpp>
#include <tinman/channel_name.hpp>
#include <tinman/codec.hpp>
#include <tinman/crc32c.hpp>
#include <tinman/dtype.hpp>
#include <tinman/float16.hpp>
#include <tinman/format.hpp>
#include <tinman/mapped_segment.hpp>
#include <tinman/ndarray_codec.hpp>
#include <tinman/oblog_reader.hpp>
#include <tinman/oblog_writer.hpp>
#include <tinman/python_blog.hpp>
#include <tinman/python_blog_format.hpp>
#include <tinman/python_blog_reader.hpp>
#include <tinman/python_blog_writer.hpp>
#include <tinman/time_index.hpp>

#include <string>
#include <type_traits>
#include <vector>

#include "test_support.hpp"

// The uses below are meant to be deprecated; nothing else in this file is.
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif

using namespace tinman;
using test::TempDir;

static_assert(std::is_same_v<BlobWriter, RecordWriter>);
static_assert(std::is_same_v<Channel<BytesCodec>, ChannelReader<BytesCodec>>);
static_assert(std::is_same_v<ChannelView<BytesCodec>, IndexedChannel<BytesCodec>>);
static_assert(std::is_same_v<Access, ReadAhead>);
static_assert(std::is_same_v<python::BlogAccess, python::CopyPolicy>);

// Each 0.1 header path brings in what it did (a name from each header it forwards to).
static_assert(std::is_class_v<RecordScanner>);        // blob_reader.hpp
static_assert(std::is_class_v<Payload>);              // blob_writer.hpp
static_assert(Codec<BytesCodec>);                     // bytes_codec.hpp, codec.hpp
static_assert(Codec<AnyArrayCodec>);                  // any_array_codec.hpp
static_assert(Codec<NdArrayCodec<double>>);           // ndarray_codec.hpp
static_assert(std::is_class_v<MappedSegment>);        // mapped_segment.hpp
static_assert(std::is_class_v<ObLogReader>);          // oblog_reader.hpp
static_assert(std::is_class_v<ObLogWriter>);          // oblog_writer.hpp
static_assert(std::is_class_v<TimeIndex>);            // time_index.hpp
static_assert(std::is_class_v<IndexWriter>);          // time_index.hpp
static_assert(std::is_class_v<python::BlogScanner>);  // python_blog_format.hpp
static_assert(std::is_class_v<python::BlogReader>);   // python_blog_reader.hpp, python_blog.hpp
static_assert(std::is_class_v<python::BlogWriter>);   // python_blog_writer.hpp

TEST_CASE("compat: the 0.1 header paths bring in what they did") {
    CHECK(crc32c(test::as_bytes("123456789")) == 0xE3069283u);           // crc32c.hpp
    CHECK(dtype_of<double> == "<f8");                                    // dtype.hpp
    CHECK(float16(1.0f).bits == 0x3C00);                                 // float16.hpp
    CHECK(channel_name_problem("imu").empty());                          // channel_name.hpp
    CHECK(format::encode_codec_descriptor({"bytes", {}}) == "bytes\n");  // format.hpp
    CHECK(format::index_header_size == 64);                              // format.hpp
    CHECK(format::record_header_size == 32);                             // format.hpp
    CHECK(python::numpy_codec_pickle.size() == 57);                      // python_blog_format.hpp
    CHECK(now_ns() > 0);                                                 // oblog_writer.hpp
}

TEST_CASE("compat: the 0.1 names read and write as the new ones") {
    TempDir dir;
    {
        BlobWriter raw(dir.path(), "raw", {"bytes", {}});
        raw.append(5, {{}, test::as_bytes("blob"), 1});
        ObLogWriter log{dir.path()};
        auto w = log.get_writer("b", BytesCodec{});
        w(1, std::string_view("one"));
        w(2, std::string_view("two"));
        CHECK(w.blob().records_written() == 2);
        CHECK(&w.blob() == &w.record_writer());
    }
    ObLogReader reader{dir.path()};

    const auto infos = reader.channels();
    REQUIRE(infos.size() == 2);
    CHECK(infos[0].name == "b");
    CHECK(infos[0].records == 2);
    CHECK(infos[1].name == "raw");
    CHECK(infos[1].records == 1);

    ReadOptions options;
    options.access = Access::random;
    Channel<BytesCodec> channel = reader.read_channel<BytesCodec>("b", {}, options);
    std::vector<std::string> values;
    for (auto&& [t, v] : channel) values.emplace_back(v.str());
    CHECK(values == std::vector<std::string>{"one", "two"});

    const ChannelView<BytesCodec> view = reader.channel<BytesCodec>("b");
    REQUIRE(view.size() == 2);
    CHECK(view[1].value.str() == "two");
    CHECK(view.seek(2) == 1);

    const python::BlogReadOptions blog_options{python::BlogAccess::zero_copy_only};
    CHECK(blog_options.access == python::CopyPolicy::zero_copy_only);
}
