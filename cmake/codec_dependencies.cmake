# The libraries of the opt-in encoded codecs, for our own tests, tools and
# benchmarks (the library never links them: a program that includes, say,
# tinman/codecs/zstd_compression.hpp links zstd itself). Each is looked up with
# find_package, then pkg-config; one that is missing, or turned off with
# -DTINMAN_WITH_<NAME>=OFF, switches its codec off, with its tests, tool support
# and benchmarks. For each found library this defines TINMAN_HAVE_<NAME> and an
# interface target tinman_codec_<name> that links it and defines TINMAN_HAVE_<NAME>=1:
#
#   ZSTD      zstd       tinman/codecs/zstd_compression.hpp
#   LZ4       lz4        tinman/codecs/lz4_compression.hpp
#   SPNG      libspng    tinman/codecs/png_codec.hpp
#   TURBOJPEG libjpeg-turbo's TurboJPEG   tinman/codecs/jpeg_codec.hpp
#   PROTOBUF  protobuf (and protoc, for the tests' messages)   tinman/codecs/protobuf_codec.hpp
#   NLOHMANN_JSON  nlohmann/json   tinman/codecs/json_codec.hpp (the tool needs it anyway, see
#             cmake/tool_dependencies.cmake: this switches only the codec's own tests)
include_guard(GLOBAL)

find_package(PkgConfig QUIET)

# tinman_codec_dependency(<NAME> <what> <target or empty> <pkg-config module>)
function(tinman_codec_dependency name what target module)
    string(TOLOWER "${name}" lower)
    option(TINMAN_WITH_${name} "Use ${what} for its codec when it is found" ON)
    set(found_target "")
    if(TINMAN_WITH_${name})
        if(target AND TARGET ${target})
            set(found_target ${target})
        elseif(PKG_CONFIG_FOUND)
            pkg_check_modules(TINMAN_PC_${name} QUIET IMPORTED_TARGET GLOBAL ${module})
            if(TINMAN_PC_${name}_FOUND)
                set(found_target PkgConfig::TINMAN_PC_${name})
            endif()
        endif()
    endif()
    if(found_target)
        add_library(tinman_codec_${lower} INTERFACE)
        target_link_libraries(tinman_codec_${lower} INTERFACE ${found_target})
        target_compile_definitions(tinman_codec_${lower} INTERFACE TINMAN_HAVE_${name}=1)
        set(TINMAN_HAVE_${name} TRUE PARENT_SCOPE)
        message(STATUS "tinman: ${what} found: its codec, tests and tool support are on")
    else()
        set(TINMAN_HAVE_${name} FALSE PARENT_SCOPE)
        if(TINMAN_WITH_${name})
            message(STATUS "tinman: ${what} not found: its codec's tests, tool support and benchmarks are skipped")
        else()
            message(STATUS "tinman: ${what} turned off (TINMAN_WITH_${name}=OFF): its codec is skipped")
        endif()
    endif()
endfunction()

find_package(zstd CONFIG QUIET)
set(_tinman_zstd_target "")
foreach(_t IN ITEMS zstd::libzstd_shared zstd::libzstd_static zstd::libzstd)
    if(NOT _tinman_zstd_target AND TARGET ${_t})
        set(_tinman_zstd_target ${_t})
    endif()
endforeach()
tinman_codec_dependency(ZSTD "zstd" "${_tinman_zstd_target}" libzstd)

tinman_codec_dependency(LZ4 "lz4" "" liblz4)
tinman_codec_dependency(SPNG "libspng" "" spng)

find_package(libjpeg-turbo CONFIG QUIET)
tinman_codec_dependency(TURBOJPEG "libjpeg-turbo (TurboJPEG)" "libjpeg-turbo::turbojpeg" libturbojpeg)

# protobuf: the library, and protoc for the .proto files of tests and benchmarks.
if(TINMAN_WITH_PROTOBUF OR NOT DEFINED TINMAN_WITH_PROTOBUF)
    find_package(Protobuf QUIET)
endif()
set(_tinman_protobuf_target "")
if(Protobuf_FOUND AND TARGET protobuf::libprotobuf AND TARGET protobuf::protoc)
    set(_tinman_protobuf_target protobuf::libprotobuf)
endif()
tinman_codec_dependency(PROTOBUF "protobuf (with protoc)" "${_tinman_protobuf_target}" __tinman_no_pkg_config__)

if(TINMAN_WITH_NLOHMANN_JSON OR NOT DEFINED TINMAN_WITH_NLOHMANN_JSON)
    find_package(nlohmann_json 3 CONFIG QUIET)
endif()
tinman_codec_dependency(NLOHMANN_JSON "nlohmann/json" "nlohmann_json::nlohmann_json" nlohmann_json)

# tinman_protobuf_messages(): the target tinman_test_messages, the messages of
# tests/encoded/proto compiled with protoc, for the protobuf tests and benchmark.
# Generated code is built apart, without our warning flags.
function(tinman_protobuf_messages)
    if(NOT TINMAN_HAVE_PROTOBUF OR TARGET tinman_test_messages)
        return()
    endif()
    set(src ${PROJECT_SOURCE_DIR}/tests/encoded/proto)
    set(out ${PROJECT_BINARY_DIR}/tinman_test_messages)
    file(MAKE_DIRECTORY ${out})
    add_custom_command(OUTPUT ${out}/tinman_test.pb.h ${out}/tinman_test.pb.cc
        COMMAND protobuf::protoc --cpp_out=${out} -I ${src} ${src}/tinman_test.proto
        DEPENDS ${src}/tinman_test.proto protobuf::protoc
        COMMENT "protoc tinman_test.proto")
    add_library(tinman_test_messages STATIC ${out}/tinman_test.pb.cc)
    target_link_libraries(tinman_test_messages PUBLIC protobuf::libprotobuf)
    target_include_directories(tinman_test_messages SYSTEM PUBLIC ${out})
endfunction()
