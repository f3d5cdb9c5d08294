#pragma once
/// @file
/// The HDF5 peer of the benchmarks (C API): arrays of one length stored as the
/// rows of an extensible, chunked 2-d float64 dataset, appended one row at a
/// time (H5Dset_extent, then a hyperslab write), read back one row or all rows.

#include <hdf5.h>

#include <array>
#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>

namespace tinman_bench::h5 {

template <class T>
T check(T rc, const char* what) {
    if (rc < 0) throw std::runtime_error(std::string("HDF5: ") + what + " failed");
    return rc;
}

/// An HDF5 identifier closed by the matching H5*close.
class Id {
public:
    using Closer = herr_t (*)(hid_t);
    Id() = default;
    Id(hid_t id, Closer close, const char* what) : id_(check(id, what)), close_(close) {}
    Id(Id&& o) noexcept : id_(std::exchange(o.id_, -1)), close_(o.close_) {}
    Id& operator=(Id&& o) noexcept {
        if (this != &o) {
            reset();
            id_ = std::exchange(o.id_, -1);
            close_ = o.close_;
        }
        return *this;
    }
    Id(const Id&) = delete;
    Id& operator=(const Id&) = delete;
    ~Id() { reset(); }

    [[nodiscard]] hid_t get() const noexcept { return id_; }
    void reset() noexcept {
        if (id_ >= 0 && close_ != nullptr) close_(id_);
        id_ = -1;
    }
    /// Closes, reporting failure.
    void close(const char* what) {
        if (id_ < 0) return;
        const herr_t rc = close_(std::exchange(id_, -1));
        check(rc, what);
    }

private:
    hid_t id_ = -1;
    Closer close_ = nullptr;
};

/// Rows per chunk: about 64 KiB chunks for short rows, one row per chunk for long ones.
[[nodiscard]] inline hsize_t chunk_rows(std::size_t row) {
    const std::size_t rows = (std::size_t{64} << 10) / (row * sizeof(double));
    return rows == 0 ? 1 : static_cast<hsize_t>(rows);
}

/// A new file (replacing any) with an empty dataset "arrays" of rows of `row`
/// doubles, extensible along the first dimension; rows are appended one at a time.
class RowWriter {
public:
    RowWriter(const std::filesystem::path& path, std::size_t row) : row_(row) {
        Id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "H5Pcreate");
        // The newest file format: extensible datasets get an extensible-array chunk index.
        check(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_LATEST, H5F_LIBVER_LATEST), "H5Pset_libver_bounds");
        file_ = Id(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose, "H5Fcreate");
        const std::array<hsize_t, 2> dims{0, row}, maxdims{H5S_UNLIMITED, row}, chunk{chunk_rows(row), row};
        Id space(H5Screate_simple(2, dims.data(), maxdims.data()), H5Sclose, "H5Screate_simple");
        Id dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "H5Pcreate");
        check(H5Pset_chunk(dcpl.get(), 2, chunk.data()), "H5Pset_chunk");
        dset_ = Id(H5Dcreate2(file_.get(), "arrays", H5T_NATIVE_DOUBLE, space.get(), H5P_DEFAULT, dcpl.get(),
                              H5P_DEFAULT),
                   H5Dclose, "H5Dcreate2");
        const std::array<hsize_t, 1> mdims{row};
        mem_ = Id(H5Screate_simple(1, mdims.data(), nullptr), H5Sclose, "H5Screate_simple");
    }

    /// Appends one row of `row` doubles.
    void append(const double* data) {
        const std::array<hsize_t, 2> dims{rows_ + 1, row_}, start{rows_, 0}, count{1, row_};
        check(H5Dset_extent(dset_.get(), dims.data()), "H5Dset_extent");
        Id space(H5Dget_space(dset_.get()), H5Sclose, "H5Dget_space");
        check(H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
              "H5Sselect_hyperslab");
        check(H5Dwrite(dset_.get(), H5T_NATIVE_DOUBLE, mem_.get(), space.get(), H5P_DEFAULT, data), "H5Dwrite");
        ++rows_;
    }

    /// Closes the dataset and the file (writing HDF5's metadata).
    void close() {
        mem_.close("H5Sclose");
        dset_.close("H5Dclose");
        file_.close("H5Fclose");
    }

private:
    std::size_t row_;
    hsize_t rows_ = 0;
    Id file_, dset_, mem_;
};

/// An open file written by `RowWriter`.
class RowReader {
public:
    explicit RowReader(const std::filesystem::path& path) {
        file_ = Id(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "H5Fopen");
        dset_ = Id(H5Dopen2(file_.get(), "arrays", H5P_DEFAULT), H5Dclose, "H5Dopen2");
        space_ = Id(H5Dget_space(dset_.get()), H5Sclose, "H5Dget_space");
        std::array<hsize_t, 2> dims{};
        check(H5Sget_simple_extent_dims(space_.get(), dims.data(), nullptr), "H5Sget_simple_extent_dims");
        rows_ = static_cast<std::size_t>(dims[0]);
        row_ = static_cast<std::size_t>(dims[1]);
        const std::array<hsize_t, 1> mdims{dims[1]};
        mem_ = Id(H5Screate_simple(1, mdims.data(), nullptr), H5Sclose, "H5Screate_simple");
    }

    [[nodiscard]] std::size_t rows() const noexcept { return rows_; }
    [[nodiscard]] std::size_t row_size() const noexcept { return row_; }

    /// Reads row `i` into `out` (row_size() doubles).
    void read_row(std::size_t i, double* out) {
        const std::array<hsize_t, 2> start{i, 0}, count{1, row_};
        check(H5Sselect_hyperslab(space_.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
              "H5Sselect_hyperslab");
        check(H5Dread(dset_.get(), H5T_NATIVE_DOUBLE, mem_.get(), space_.get(), H5P_DEFAULT, out), "H5Dread");
    }

    /// Reads every row into `out` (rows() * row_size() doubles).
    void read_all(double* out) {
        check(H5Dread(dset_.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out), "H5Dread");
    }

private:
    Id file_, dset_, space_, mem_;
    std::size_t rows_ = 0, row_ = 0;
};

}  // namespace tinman_bench::h5
