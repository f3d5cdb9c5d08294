#pragma once
// Runs the built `tinman` tool (TINMAN_CLI_PATH) as a user does, for the CLI tests:
// its exit status, stdout and stderr.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#ifndef TINMAN_CLI_PATH
#error "TINMAN_CLI_PATH (the built tinman executable) must be defined by the build"
#endif

namespace tinman::test {

struct Run {
    int status = -1;
    std::string out;
    std::string err;
};

/// `s` quoted for /bin/sh.
inline std::string quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

/// The whole content of file `p`.
inline std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Runs `tinman args...`; stdout is a pipe, stderr goes to a file (or to `stderr_to`, e.g. a terminal).
inline Run tinman_cli(const std::vector<std::string>& args, const std::string& stderr_to = {}) {
    static int counter = 0;
    const auto err_file = std::filesystem::temp_directory_path() /
                          ("tinman-cli-err-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::string cmd = quote(TINMAN_CLI_PATH);
    for (const auto& a : args) cmd += ' ' + quote(a);
    cmd += " 2>" + quote(stderr_to.empty() ? err_file.string() : stderr_to);
    Run r;
    FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) r.out.append(buf, n);
    const int raw = ::pclose(p);
    r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
    if (stderr_to.empty()) {
        r.err = slurp(err_file);
        std::filesystem::remove(err_file);
    }
    return r;
}

inline bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace tinman::test
