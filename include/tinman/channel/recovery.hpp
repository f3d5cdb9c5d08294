#pragma once
/// @file
/// Recovery of a channel after a crash or damage: cuts a torn or damaged tail
/// the way a writer opening the channel with `OpenMode::append` does (the tail
/// becomes one skip record, so the file never shrinks under a reader), and
/// rebuilds a missing or short time index; never touches intact records.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "../framing/damage_report.hpp"
#include "oblog_reader.hpp"
#include "record_writer.hpp"

namespace tinman {

/// What `recover_channel` did.
struct Recovery {
    enum class Action {
        none,           ///< clean, and its time index covered every record
        index_rebuilt,  ///< clean; the time index was missing or short and was rebuilt
        tail_cut,       ///< a torn or damaged tail was cut (and the index brought in step)
        refused,        ///< damage is followed by intact records: nothing was changed
    };
    Action action = Action::none;
    DamageReport report;               ///< the check made before acting
    std::uint64_t indexed_before = 0;  ///< records the time index covered before
    std::uint64_t records_kept = 0;    ///< intact records the channel holds now
    std::uint64_t cut_offset = 0;      ///< where the cut was made (`tail_cut`)
    std::uint64_t cut_bytes = 0;       ///< bytes cut (`tail_cut`)
};

/// Recovers channel `name` of log directory `dir` (see the file comment). Throws
/// `channel_error` if the channel has a writer (in any process), `format_error`
/// if its header is unreadable.
[[nodiscard]] inline Recovery recover_channel(const std::filesystem::path& dir, std::string_view name) {
    const ObLogReader reader{dir};
    Recovery r;
    r.report = reader.damage_report(name);
    r.records_kept = r.report.records;
    if (!r.report.clean() && !r.report.tail_only()) {
        r.action = Recovery::Action::refused;
        return r;
    }
    if (r.report.clean()) {
        r.indexed_before = reader.info(name).indexed_records;
        if (r.indexed_before == r.report.records) return r;
    }
    RecordWriter writer(dir, std::string(name), reader.codec(name), OpenMode::append);
    r.records_kept = writer.existing_records();
    r.cut_bytes = writer.cut_bytes();
    r.cut_offset = writer.cut_offset();
    writer.close();
    r.action = r.report.clean() ? Recovery::Action::index_rebuilt : Recovery::Action::tail_cut;
    return r;
}

}  // namespace tinman
