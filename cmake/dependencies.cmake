# xtensor (and its xtl dependency): an installed copy is used when found,
# otherwise the pinned release below is fetched.
include(FetchContent)

# Treat fetched headers as system headers so their warnings don't trip -Werror.
set(_tinman_fetch_system)
if(CMAKE_VERSION VERSION_GREATER_EQUAL 3.25)
    set(_tinman_fetch_system SYSTEM)
endif()

FetchContent_Declare(xtl
    GIT_REPOSITORY https://github.com/xtensor-stack/xtl.git
    GIT_TAG 0.7.5
    GIT_SHALLOW TRUE
    ${_tinman_fetch_system}
    FIND_PACKAGE_ARGS 0.7)
FetchContent_Declare(xtensor
    GIT_REPOSITORY https://github.com/xtensor-stack/xtensor.git
    GIT_TAG 0.24.7
    GIT_SHALLOW TRUE
    ${_tinman_fetch_system}
    FIND_PACKAGE_ARGS 0.24)
FetchContent_MakeAvailable(xtl xtensor)
