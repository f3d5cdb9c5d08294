#pragma once
/// @file
/// `BytesCodec`, opaque byte strings, read zero-copy as `BytesView`.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "codec.hpp"

namespace tinman {

/// Bytes of one record, inside the memory `owner` keeps alive (the mapping, or the
/// first bytes of the file read into memory: see `ObLogReader::read_channel`).
struct BytesView {
    std::span<const std::byte> bytes;
    SegmentPtr owner;

    /// The bytes as characters.
    [[nodiscard]] std::string_view str() const noexcept {
        return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
    }
};

/// Stores byte strings as they are. Each payload starts at a multiple of
/// `alignment` bytes in the file (8 by default), so fixed-layout structs can be
/// read in place.
class BytesCodec {
public:
    using value_type = BytesView;

    constexpr BytesCodec() = default;
    /// `alignment`: a power of two, at most 4096.
    explicit BytesCodec(std::size_t alignment) : alignment_(alignment) {
        if (alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment > 4096)
            throw usage_error("BytesCodec alignment must be a power of two up to 4096");
    }

    [[nodiscard]] CodecDescriptor descriptor() const { return {"bytes", {}}; }
    [[nodiscard]] std::string mismatch(const CodecDescriptor& stored) const {
        return stored.name == "bytes" ? std::string{} : codec_kind_mismatch(stored, descriptor());
    }
    [[nodiscard]] value_type decode(std::span<const std::byte> payload, const SegmentPtr& owner) const {
        return {payload, owner};
    }
    [[nodiscard]] Payload encode(std::span<const std::byte> bytes, EncodeScratch&) const {
        return {{}, bytes, alignment_};
    }
    [[nodiscard]] Payload encode(std::string_view s, EncodeScratch& scratch) const {
        return encode(std::as_bytes(std::span{s.data(), s.size()}), scratch);
    }

private:
    std::size_t alignment_ = 8;
};

static_assert(Codec<BytesCodec>);
static_assert(CodecFor<BytesCodec, std::string_view>);

}  // namespace tinman
