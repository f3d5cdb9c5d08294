# Dependencies of the `tinman` tool (tools/), never of the library: CLI11 for
# the command line and nlohmann/json for --json output. Installed copies are
# used when found, otherwise the pinned releases below are fetched.
include(FetchContent)

set(_tinman_fetch_system)
if(CMAKE_VERSION VERSION_GREATER_EQUAL 3.25)
    set(_tinman_fetch_system SYSTEM)
endif()

# 2.1 is what Debian 12 ships; the tool uses nothing newer.
FetchContent_Declare(CLI11
    GIT_REPOSITORY https://github.com/CLIUtils/CLI11.git
    GIT_TAG v2.3.2
    GIT_SHALLOW TRUE
    ${_tinman_fetch_system}
    FIND_PACKAGE_ARGS 2.1 CONFIG)
FetchContent_Declare(nlohmann_json
    GIT_REPOSITORY https://github.com/nlohmann/json.git
    GIT_TAG v3.11.2
    GIT_SHALLOW TRUE
    ${_tinman_fetch_system}
    FIND_PACKAGE_ARGS 3 CONFIG)
FetchContent_MakeAvailable(CLI11 nlohmann_json)
