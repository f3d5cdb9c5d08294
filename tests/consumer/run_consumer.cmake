# Configures, builds and tests a consumer project (cmake -P).
#   CONSUMER_SOURCE_DIR, CONSUMER_BINARY_DIR  consumer project and its (fresh) build dir
#   TINMAN_SOURCE_DIR                         tinman checkout, for FetchContent
#   GENERATOR, CXX_COMPILER, BUILD_TYPE       forwarded to the consumer
#   INSTALL_FROM, INSTALL_PREFIX              optional: install that build tree into the
#                                             prefix first and point find_package at it
cmake_minimum_required(VERSION 3.24)

function(run)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
        list(JOIN ARGN " " cmd)
        message(FATAL_ERROR "failed (${rc}): ${cmd}")
    endif()
endfunction()

set(configure_args
    -S ${CONSUMER_SOURCE_DIR} -B ${CONSUMER_BINARY_DIR}
    -G ${GENERATOR}
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
    -DCMAKE_BUILD_TYPE=${BUILD_TYPE}
    -DTINMAN_SOURCE_DIR=${TINMAN_SOURCE_DIR})

if(INSTALL_FROM)
    file(REMOVE_RECURSE ${INSTALL_PREFIX})
    run(${CMAKE_COMMAND} --install ${INSTALL_FROM} --prefix ${INSTALL_PREFIX} --config ${BUILD_TYPE})
    list(APPEND configure_args -DCMAKE_PREFIX_PATH=${INSTALL_PREFIX})
endif()

file(REMOVE_RECURSE ${CONSUMER_BINARY_DIR})
run(${CMAKE_COMMAND} ${configure_args})
run(${CMAKE_COMMAND} --build ${CONSUMER_BINARY_DIR} --config ${BUILD_TYPE})
run(${CMAKE_CTEST_COMMAND} --test-dir ${CONSUMER_BINARY_DIR} -C ${BUILD_TYPE} --output-on-failure)
