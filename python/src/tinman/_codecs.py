"""Payload decoders, chosen by a channel's codec descriptor (docs/format.md, "Payloads of the built-in codecs")."""
import codecs
import json
import re
import struct
import warnings

import numpy as np

_DTYPE_RE = re.compile(r"^[<>|]([biufcSUV][1-9][0-9]{0,8}|[mM]8(\[[A-Za-z0-9]+\])?)$")
_U32 = struct.Struct("<I")
_VALID_COUNTS = {"b": (1,), "i": (1, 2, 4, 8), "u": (1, 2, 4, 8), "f": (2, 4, 8, 12, 16), "c": (8, 16, 24, 32)}


class UnknownCodecWarning(UserWarning):
    """A channel's codec is not one this package decodes: its records are given as raw bytes."""


def parse_dtype(text):
    """A numpy dtype from a tinman dtype string (docs/format.md), or ValueError."""
    if not _DTYPE_RE.match(text):
        raise ValueError("invalid dtype string %r" % text)
    kind = text[1]
    count = int(text[2:].split("[")[0])
    if kind in _VALID_COUNTS and count not in _VALID_COUNTS[kind]:
        raise ValueError("invalid dtype string %r" % text)
    try:
        dt = np.dtype(text)
    except TypeError as e:
        raise ValueError("dtype %r: %s" % (text, e)) from None
    if dt.hasobject:
        raise ValueError("object arrays cannot be read")
    return dt


def struct_dtype(value, itemsize):
    """The structured dtype of a struct channel's ``struct=`` parameter (formats agreed for struct channels)."""
    spec = json.loads(value)
    if not isinstance(spec, dict) or set(spec) - {"names", "formats", "offsets", "itemsize"}:
        raise ValueError("struct parameter is not a names/formats/offsets/itemsize object")
    for name in spec.get("names", []):
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_]+", name):
            raise ValueError("invalid struct field name %r" % (name,))
    dt = np.dtype(spec)
    if dt.names is None or dt.itemsize != itemsize or dt.hasobject:
        raise ValueError("struct dtype of %s bytes does not match the channel's |V%d" % (dt.itemsize, itemsize))
    return dt


def ndarray_head(m, start, size):
    """Parses an ndarray payload head at ``start``: (dtype string, shape, head length); ValueError when malformed."""
    if size < 8:
        raise ValueError("payload of %d bytes is too short" % size)
    (dlen,) = _U32.unpack_from(m, start)
    if dlen == 0 or dlen > 32 or size < 8 + dlen:
        raise ValueError("dtype length %d is out of range" % dlen)
    dstr = bytes(m[start + 4:start + 4 + dlen]).decode("ascii", "replace")
    (ndim,) = _U32.unpack_from(m, start + 4 + dlen)
    head = 8 + dlen + 8 * ndim
    if ndim > 64 or size < head:
        raise ValueError("ndim %d is out of range" % ndim)
    shape = struct.unpack_from("<%dQ" % ndim, m, start + 8 + dlen)
    return dstr, shape, head


class Codec:
    """Decodes one channel's payloads. ``kind``: ndarray, bytes, text, json or raw (an unknown codec)."""

    def __init__(self, descriptor, where=""):
        self.descriptor = descriptor
        self.name = descriptor.name
        self.dtype = None          # the channel's dtype when the descriptor gives one
        self.struct = None         # the structured dtype of a struct channel
        self._dtypes = {}
        if self.name == "ndarray":
            self.kind = "ndarray"
            dstr = descriptor.get("dtype")
            if dstr is not None:
                try:
                    self.dtype = parse_dtype(dstr)
                    spec = descriptor.get("struct")
                    if spec is not None:
                        if self.dtype.kind != "V":
                            raise ValueError("a struct channel needs dtype |V<itemsize>, not %s" % dstr)
                        self.struct = struct_dtype(spec, self.dtype.itemsize)
                        self.dtype = self.struct
                except ValueError as e:
                    raise ValueError("codec descriptor: %s" % e) from None
        elif self.name in ("bytes", "text", "json"):
            self.kind = self.name
            self.encoding = descriptor.get("encoding", "utf-8") if self.name == "text" else "utf-8"
            try:
                codecs.lookup(self.encoding)
            except LookupError:
                raise ValueError("codec descriptor: unknown text encoding %r" % self.encoding) from None
        else:
            self.kind = "raw"
            warnings.warn("%s: codec %r is not decoded by this package; records are raw bytes"
                          % (where, descriptor.text.split("\n")[0]), UnknownCodecWarning, stacklevel=4)

    def record_dtype(self, dstr):
        """The numpy dtype of a record's dtype string (a struct channel's |V records get its fields)."""
        dt = self._dtypes.get(dstr)
        if dt is None:
            dt = parse_dtype(dstr)
            if self.struct is not None and dt.kind == "V" and dt.itemsize == self.struct.itemsize:
                dt = self.struct
            self._dtypes[dstr] = dt
        return dt

    def decode(self, m, start, size):
        """The value of the payload of ``size`` bytes at ``start`` of mapping ``m``; ValueError when malformed."""
        kind = self.kind
        if kind == "ndarray":
            dstr, shape, head = ndarray_head(m, start, size)
            dt = self.record_dtype(dstr)
            count = 1
            for d in shape:
                count *= d
            if size - head != count * dt.itemsize:
                raise ValueError("array data is %d bytes, dtype %s and shape %s need %d"
                                 % (size - head, dstr, shape, count * dt.itemsize))
            # A view of the mmap itself (its base is the mmap): no copy, read-only.
            return np.ndarray(shape, dt, m, start + head)
        if kind == "text":
            return str(m[start:start + size], self.encoding)
        if kind == "json":
            return json.loads(str(m[start:start + size], "utf-8"))
        # bytes and unknown codecs: a read-only memoryview of the mapping
        return memoryview(m)[start:start + size]
