"""A log directory: its native channels and Python tinman ``.blog`` channels."""
import os

from . import _format as F
from ._blog import SUFFIX as BLOG_SUFFIX, BlogChannel
from ._native import Channel


def valid_channel_name(name):
    """As in docs/format.md: 1 to 200 bytes, no / \\ NUL or control character, no "..", no leading "."."""
    raw = os.fsencode(name)
    return (0 < len(raw) <= 200 and not raw.startswith(b".") and b".." not in raw
            and not any(b < 0x20 or b == 0x7F or b in b"/\\" for b in raw))


class ChannelInfo:
    """What ``Log.channels`` lists about a channel: name, format, codec, kind, dtype, records, start, end,
    metadata, status (where reading stops), path."""

    __slots__ = ("name", "format", "codec", "kind", "dtype", "records", "start", "end", "metadata", "status", "path")

    def __init__(self, ch):
        self.name, self.format, self.path = ch.name, ch.format, ch.path
        self.codec = ch.codec if ch.format == "blog" else ch.descriptor.text.split("\n")[0]
        self.kind, self.dtype, self.metadata, self.status = ch.kind, ch.dtype, dict(ch.metadata), ch.status
        self.records = len(ch)
        ts = ch._ts
        self.start = int(ts.min()) if len(ts) else None   # ns; timestamps need not increase
        self.end = int(ts.max()) if len(ts) else None

    def __repr__(self):
        return "ChannelInfo(%s)" % ", ".join("%s=%r" % (k, getattr(self, k)) for k in self.__slots__[:-2])


class Log:
    """A log directory. ``log.names``, ``log.channels`` (ChannelInfo list), ``log[name]`` -> channel."""

    def __init__(self, path, **options):
        self.path = os.fspath(path)
        if not os.path.isdir(self.path):
            raise FileNotFoundError("no log directory %r" % self.path)
        self._options = options
        self._open = {}

    @property
    def names(self):
        """The channel names, sorted (a name with both a .tinman and a .blog file is the native one)."""
        found = set()
        for f in os.listdir(self.path):
            for suffix in (F.SUFFIX, BLOG_SUFFIX):
                if f.endswith(suffix) and valid_channel_name(f[:-len(suffix)]):
                    found.add(f[:-len(suffix)])
        return sorted(found)

    @property
    def channels(self):
        """ChannelInfo for every channel (record count, time span, codec, dtype, metadata)."""
        return [ChannelInfo(self[name]) for name in self.names]

    def __contains__(self, name):
        return name in self.names

    def __iter__(self):
        return iter(self.names)

    def __getitem__(self, name):
        """The channel ``name`` (opened once, then refreshed on each access so that it shows appended records)."""
        if not valid_channel_name(name):
            raise KeyError("invalid channel name %r" % (name,))
        ch = self._open.get(name)
        if ch is not None:
            ch.refresh()
            return ch
        native = os.path.join(self.path, name + F.SUFFIX)
        blog = os.path.join(self.path, name + BLOG_SUFFIX)
        if os.path.lexists(native):
            ch = Channel(native, name, **self._options)
        elif os.path.lexists(blog):
            opts = {k: v for k, v in self._options.items() if k == "strict"}
            ch = BlogChannel(blog, name, **opts)
        else:
            raise KeyError("log %r has no channel %r" % (self.path, name))
        self._open[name] = ch
        return ch

    def close(self):
        for ch in self._open.values():
            ch.close()
        self._open.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return "<tinman.Log %r: %s>" % (self.path, ", ".join(self.names))


def open(path, **options):  # noqa: A001 (the package's entry point: tinman.open)
    """Opens a log directory (-> Log) or one channel file (``.tinman`` -> Channel, ``.blog`` -> BlogChannel).

    Options for native channels: ``verify_max_bytes`` (4096: larger payloads are checksummed only when they are
    the last record, or with ``verify_all=True``) and ``strict`` (raise where reading would stop quietly).
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        return Log(path, **options)
    if path.endswith(BLOG_SUFFIX):
        return BlogChannel(path, **{k: v for k, v in options.items() if k == "strict"})
    return Channel(path, **options)
