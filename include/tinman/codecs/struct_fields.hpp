#pragma once
/// @file
/// Declaring the fields of a C++ struct once, for `StructCodec`:
///
///     struct Imu { double ax, ay, az, gx, gy, gz; std::int32_t status; };
///     TINMAN_STRUCT(Imu, ax, ay, az, gx, gy, gz, status)
///
/// next to the struct, in its namespace. Each named member is an `Element`
/// (double, std::int32_t, ...) or a fixed-size array of one (`double q[4]`,
/// `std::array<float, 3>`, `float m[3][3]`); members left out are stored as
/// unnamed bytes, like padding.

#include <array>
#include <cstddef>
#include <string_view>
#include <type_traits>

#include "../detail/for_each_macro.hpp"
#include "dtype.hpp"
#include "struct_layout.hpp"

namespace tinman {

/// The argument by which `TINMAN_STRUCT`'s declaration of `T` is found (by ADL).
template <class T>
struct struct_tag {};

namespace detail {

/// Most dimensions of a fixed-size array member.
inline constexpr std::size_t max_member_ndim = 8;

/// A member's element type and array dimensions: `double[3][4]` is `double`, {3, 4}.
template <class M>
struct member_traits {
    using element = M;
    static constexpr std::size_t ndim = 0;
    static constexpr std::array<std::size_t, max_member_ndim> dims{};
};
template <class M, std::size_t N>
struct member_traits<M[N]> {
    using element = typename member_traits<M>::element;
    static constexpr std::size_t ndim = 1 + member_traits<M>::ndim;
    static constexpr std::array<std::size_t, max_member_ndim> dims = [] {
        static_assert(member_traits<M>::ndim < max_member_ndim, "tinman: a struct field has too many array dimensions");
        std::array<std::size_t, max_member_ndim> d{N};
        for (std::size_t i = 0; i + 1 < max_member_ndim; ++i) d[i + 1] = member_traits<M>::dims[i];
        return d;
    }();
};
template <class M, std::size_t N>
struct member_traits<std::array<M, N>> : member_traits<M[N]> {};

/// One declared field, known at compile time.
struct FieldDecl {
    std::string_view name;
    std::string_view dtype;
    std::size_t offset = 0;
    std::size_t ndim = 0;
    std::array<std::size_t, max_member_ndim> dims{};
    bool is_bool = false;
};

template <class M>
[[nodiscard]] constexpr FieldDecl field_decl(std::string_view name, std::size_t offset) {
    using E = typename member_traits<M>::element;
    static_assert(Element<E>,
                  "tinman: a TINMAN_STRUCT field must be an element type (bool, (u)int8..64, float16, float, double, "
                  "complex) or a fixed-size array of one");
    static_assert(member_traits<M>::ndim == 0 || sizeof(M) == sizeof(E) * [] {
        std::size_t n = 1;
        for (std::size_t i = 0; i < member_traits<M>::ndim; ++i) n *= member_traits<M>::dims[i];
        return n;
    }(), "tinman: an array field must hold its elements contiguously");
    return {name, dtype_of<E>, offset, member_traits<M>::ndim, member_traits<M>::dims, std::is_same_v<E, bool>};
}

}  // namespace detail

/// A struct whose fields `TINMAN_STRUCT` declares: trivially copyable and standard
/// layout (so that its bytes are its value and `offsetof` is defined).
template <class T>
concept Struct = std::is_trivially_copyable_v<T> && std::is_standard_layout_v<T> && !std::is_array_v<T> &&
                 requires { tinman_struct_fields(struct_tag<T>{}); };

/// The declared fields of `T`, as a constexpr array of `detail::FieldDecl`.
template <Struct T>
inline constexpr auto struct_fields_of = tinman_struct_fields(struct_tag<T>{});

/// The structured dtype of `T`: its declared fields and itemsize `sizeof(T)`.
template <Struct T>
[[nodiscard]] StructLayout struct_layout_of() {
    std::vector<StructField> fields;
    fields.reserve(struct_fields_of<T>.size());
    for (const auto& d : struct_fields_of<T>) {
        StructField f;
        f.name = d.name;
        f.dtype = d.dtype;
        f.shape.assign(d.dims.begin(), d.dims.begin() + static_cast<std::ptrdiff_t>(d.ndim));
        f.offset = d.offset;
        fields.push_back(std::move(f));
    }
    return StructLayout(std::move(fields), sizeof(T));
}

}  // namespace tinman

#define TINMAN_DETAIL_STRUCT_FIELD(Type, member) \
    ::tinman::detail::field_decl<decltype(Type::member)>(#member, offsetof(Type, member)),

/// Declares the fields of struct `Type` (trivially copyable, standard layout)
/// that `StructCodec` stores with their names; write it next to `Type`, in its
/// namespace, with up to 64 member names.
#define TINMAN_STRUCT(Type, ...)                                                                              \
    [[maybe_unused]] constexpr auto tinman_struct_fields(::tinman::struct_tag<Type>) {                        \
        static_assert(std::is_trivially_copyable_v<Type> && std::is_standard_layout_v<Type>,                  \
                      "tinman: TINMAN_STRUCT needs a trivially copyable, standard-layout struct");            \
        return std::array{TINMAN_DETAIL_FOR_EACH(TINMAN_DETAIL_STRUCT_FIELD, Type, __VA_ARGS__)};             \
    }
