#pragma once
/// @file
/// Protobuf schemas as a channel header stores them: the message's full name
/// and a `FileDescriptorSet` of its .proto file and every file it imports (the
/// way MCAP's protobuf schema encoding works), so that any reader, in any
/// language, decodes the records without the .proto files or generated code.

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/message.h>

#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "../detail/base64.hpp"
#include "../error.hpp"
#include "../framing/codec_descriptor.hpp"
#include "codec.hpp"

namespace tinman {

namespace detail {

inline constexpr std::string_view protobuf_name = "protobuf";

/// Adds `file` to `set` after the files it imports (each once), so that the set
/// can be built into a pool in order.
inline void add_with_imports(const google::protobuf::FileDescriptor* file, google::protobuf::FileDescriptorSet& set,
                             std::set<std::string>& added) {
    if (!added.insert(file->name()).second) return;
    for (int i = 0; i < file->dependency_count(); ++i) add_with_imports(file->dependency(i), set, added);
    file->CopyTo(set.add_file());  // without source code info: only what decoding needs
}

}  // namespace detail

/// The serialized `FileDescriptorSet` that describes message type `type`.
[[nodiscard]] inline std::string protobuf_file_descriptor_set(const google::protobuf::Descriptor& type) {
    google::protobuf::FileDescriptorSet set;
    std::set<std::string> added;
    detail::add_with_imports(type.file(), set, added);
    return set.SerializeAsString();
}

/// The channel descriptor of messages of type `type`:
/// `protobuf`, `message=<full name>`, `schema=<base64 of the FileDescriptorSet>`.
/// Throws `usage_error` when the schema does not fit in a channel header.
[[nodiscard]] inline CodecDescriptor protobuf_descriptor(const google::protobuf::Descriptor& type) {
    CodecDescriptor d{std::string(detail::protobuf_name),
                      {{"message", type.full_name()},
                       {"schema", detail::base64_encode(protobuf_file_descriptor_set(type))}}};
    std::size_t size = d.name.size() + 1;  // as format::encode_codec_descriptor lays it out
    for (const auto& [k, v] : d.params) size += k.size() + v.size() + 2;
    if (size > format::max_codec_descriptor_size)
        throw usage_error("the schema of " + type.full_name() + " with its imports takes " + std::to_string(size) +
                          " bytes in base64, over the channel header's " +
                          std::to_string(format::max_codec_descriptor_size));
    return d;
}

/// A schema read back from a channel header: a descriptor pool holding its
/// files, and the message type the channel stores. Shared by the messages it makes.
class ProtobufSchema {
public:
    /// Builds the schema stored in `stored` (a `protobuf` descriptor); throws
    /// `codec_mismatch` for another kind and `format_error` for a malformed schema.
    explicit ProtobufSchema(const CodecDescriptor& stored) {
        if (stored.name != detail::protobuf_name)
            throw codec_mismatch(codec_kind_mismatch(stored, {std::string(detail::protobuf_name), {}}));
        const auto message = stored.param("message");
        const auto schema = stored.param("schema");
        if (!message || !schema) throw format_error("protobuf channel header without message name or schema");
        const auto bytes = detail::base64_decode(*schema);
        google::protobuf::FileDescriptorSet set;
        if (!bytes || !set.ParseFromString(*bytes)) throw format_error("protobuf schema is not a FileDescriptorSet");
        Collector errors;
        for (const auto& file : set.file())
            if (pool_.BuildFileCollectingErrors(file, &errors) == nullptr)
                throw format_error("protobuf schema file '" + file.name() + "' does not build: " + errors.first);
        type_ = pool_.FindMessageTypeByName(std::string(*message));
        if (type_ == nullptr) throw format_error("protobuf schema has no message '" + std::string(*message) + "'");
        prototype_ = factory_.GetPrototype(type_);
    }
    ProtobufSchema(const ProtobufSchema&) = delete;
    ProtobufSchema& operator=(const ProtobufSchema&) = delete;

    /// The stored message type.
    [[nodiscard]] const google::protobuf::Descriptor& type() const noexcept { return *type_; }
    /// A new, empty message of the stored type (a `DynamicMessage`).
    [[nodiscard]] std::unique_ptr<google::protobuf::Message> new_message() const {
        return std::unique_ptr<google::protobuf::Message>(prototype_->New());
    }

private:
    struct Collector : google::protobuf::DescriptorPool::ErrorCollector {
        std::string first;
        void AddError(const std::string& filename, const std::string& element, const google::protobuf::Message*,
                      ErrorLocation, const std::string& message) override {
            if (first.empty()) first = filename + ": " + element + ": " + message;
        }
    };

    google::protobuf::DescriptorPool pool_;
    google::protobuf::DynamicMessageFactory factory_{&pool_};
    const google::protobuf::Descriptor* type_ = nullptr;
    const google::protobuf::Message* prototype_ = nullptr;
};

}  // namespace tinman
