"""Partial states of records per (region, year) group: exact limb sums, counts, min/max; one
fused scan of a chunk; merging states across chunks, partitions and threads.

Sums count every record at its decimal (the shortest decimal of its float, see
:mod:`qualityrules.tables.decimals`): ``7.1 + 4.3`` is exactly ``11.4``. A block whose values
are all decimals of one scale ``10**-K`` is summed as the integers ``M = x * 10**K``; otherwise
each value is summed at its own scale (``0`` for a value with more than 15 significant digits,
which counts at its exact binary value). Each scale has its own exact integer accumulator, so
results do not depend on how records were chunked, threaded or partitioned.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from ..errors import DataError, Diagnostic
from ..i18n import tr
from ..language.units import to_base, value_kind
from ..packs.regions import Hierarchy
from ..tables.decimals import decimal_digits, decimal_parts, not_whole
from ..tables.record_chunks import ABOVE, INFINITE, NEGATIVE, NOT_WHOLE
from .plan import All, Any_, Grouping, Pass, Predicate

Array = npt.NDArray[Any]
_MIN_BLOCK = 1 << 17   # rows per block (grown when there are many groups)

# ------------------------------------------------------------------------------------------
# Exact sums


_LIMB = 32
_TWO32 = float(1 << 32)
_TWO64 = float(1 << 64)


class Limbs:
    """Exact sums of floats, one per cell of ``shape``: ``Σ_j a[j] · 2^(32·(base + j))`` with
    int64 limbs. Adding a value touches three limbs; :meth:`normalize` propagates carries before
    the limbs could overflow. Integer arithmetic, so the sums do not depend on the order of the
    additions."""

    __slots__ = ("a", "base", "adds")

    def __init__(self, shape: tuple[int, ...], a: Array | None = None, base: int = 0) -> None:
        self.a: Array = np.zeros((0, *shape), np.int64) if a is None else a
        self.base = base
        self.adds = 0

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.a.shape[1:])

    def cover(self, low: int, high: int) -> None:
        """Grow so limbs ``low .. high-1`` (absolute indices) exist (with room to spare, since
        the next block's slices usually land next to these)."""
        if self.a.shape[0] == 0:
            self.a = np.zeros((high - low, *self.shape), np.int64)
            self.base = low
            return
        below = max(0, self.base - low)
        above = max(0, high - (self.base + self.a.shape[0]))
        if below or above:
            below, above = below and below + 2, above and above + 2
            pad = [(below, above)] + [(0, 0)] * (self.a.ndim - 1)
            self.a = np.pad(self.a, pad)
            self.base -= below

    def add_window(self, sums: Array, lo: int) -> None:
        """Add float sums that are exact multiples of ``2^lo`` and below ``2^(lo+53)`` in size."""
        j0 = lo // _LIMB
        self.cover(j0, j0 + 3)
        if not self.a.flags.c_contiguous:
            self.a = np.ascontiguousarray(self.a)
        flat = self.a.reshape(self.a.shape[0], -1)
        cells: Any = slice(None)
        if sums.size > 4096:                   # many groups: convert only the bins that have rows
            nonzero = np.flatnonzero(sums)
            if len(nonzero) < sums.size // 4:
                cells, sums = nonzero, sums[nonzero]
        scaled = np.ldexp(sums, -_LIMB * j0)          # integers below 2^85 in size
        q2 = np.trunc(scaled / _TWO64)
        rest = scaled - q2 * _TWO64
        q1 = np.trunc(rest / _TWO32)
        q0 = rest - q1 * _TWO32
        i = j0 - self.base
        flat[i, cells] += q0.astype(np.int64)
        flat[i + 1, cells] += q1.astype(np.int64)
        flat[i + 2, cells] += q2.astype(np.int64)
        self._count(1)

    def _count(self, adds: int) -> None:
        self.adds += adds
        if self.adds > (1 << 28):
            self.normalize()

    def add(self, other: Limbs, index: Any = ...) -> None:
        """``self[index] += other`` (``index`` selects cells of ``self``)."""
        if other.a.shape[0] == 0:
            return
        self.cover(other.base, other.base + other.a.shape[0])
        i = other.base - self.base
        rows = slice(i, i + other.a.shape[0])
        if index is ...:
            self.a[rows] += other.a
        else:
            view = self.a[rows]                          # a view: the fancy-indexed += writes through
            view[(slice(None), *index)] += other.a
        self._count(other.adds + 1)

    def normalize(self) -> None:
        """Carry so every limb but the top one lies in [0, 2^32); the top one holds the sign."""
        a = self.a
        for j in range(a.shape[0] - 1):
            carry = a[j] >> _LIMB
            a[j] -= carry << _LIMB
            a[j + 1] += carry
        while a.shape[0] and np.any((a[-1] >= (1 << 31)) | (a[-1] < -(1 << 31))):
            carry = a[-1] >> _LIMB
            a[-1] -= carry << _LIMB
            a = np.concatenate([a, carry[None]])
        self.a = a
        self.adds = 0

    def sum_cells(self, select: Callable[[Array], Array]) -> Limbs:
        """A new accumulator whose cells are ``select(limb)`` of every limb (e.g. a sum over bins)."""
        self.normalize()
        if self.a.shape[0] == 0:
            return Limbs(select(np.zeros(self.shape, np.int64)).shape)
        return Limbs((0,), np.stack([select(limb) for limb in self.a]), self.base)

    def exact(self) -> tuple[list[int], int]:
        """Each cell as an integer ``n`` with the common exponent ``e``: value = n · 2^e."""
        self.normalize()
        cells = math.prod(self.shape)
        if self.a.shape[0] == 0:
            return [0] * cells, 0
        flat = self.a.reshape(self.a.shape[0], cells)
        values = [0] * cells
        for j in range(flat.shape[0] - 1, -1, -1):
            limb = flat[j].tolist()
            values = [(v << _LIMB) + x for v, x in zip(values, limb, strict=True)]
        return values, _LIMB * self.base


class ExactSum:
    """Exact sums of decimals, one per cell of ``shape``: ``Σ_K limbs[K] / 10**K``, each scale's
    integer limbs holding sums of exact binary values (integers ``M`` for decimals of ``K``
    places, the floats themselves at scale 0). A key ``K + 1000`` holds values scaled up by
    ``2**1000`` (products too small for a float). Merges add scale by scale."""

    __slots__ = ("scales", "shape")

    def __init__(self, shape: tuple[int, ...], scales: dict[int, Limbs] | None = None) -> None:
        self.shape = tuple(shape)
        self.scales: dict[int, Limbs] = {} if scales is None else scales

    def at(self, scale: int) -> Limbs:
        found = self.scales.get(scale)
        if found is None:
            found = self.scales[scale] = Limbs(self.shape)
        return found

    def add(self, other: ExactSum, index: Any = ...) -> None:
        for scale, limbs in other.scales.items():
            self.at(scale).add(limbs, index)

    def pad(self, pad: Any, shape: tuple[int, ...]) -> None:
        self.shape = tuple(shape)
        for limbs in self.scales.values():
            limbs.a = np.pad(limbs.a, ((0, 0), *pad))

    def mapped(self, change: Callable[[Array], Array], shape: tuple[int, ...]) -> ExactSum:
        """A new sum whose limb arrays are ``change(limbs)`` (limb axis first), carries normalised."""
        out = ExactSum(shape)
        for scale, limbs in self.scales.items():
            limbs.normalize()
            new = Limbs(shape, change(limbs.a), limbs.base)
            new.normalize()
            out.scales[scale] = new
        return out

    def sum_cells(self, select: Callable[[Array], Array]) -> ExactSum:
        parts = {scale: limbs.sum_cells(select) for scale, limbs in self.scales.items()}
        shape = next(iter(parts.values())).shape if parts else select(np.zeros(self.shape, np.int64)).shape
        return ExactSum(shape, parts)

    def exact(self) -> tuple[list[int], int]:
        """Each cell's exact sum as a numerator over one common (positive) denominator."""
        cells = math.prod(self.shape)
        parts = []
        for key, limbs in self.scales.items():
            values, exponent = limbs.exact()
            parts.append((values, exponent - _SHIFT * (key // _SHIFT), key % _SHIFT))
        if not parts:
            return [0] * cells, 1
        # One common denominator 2**-low * 10**high, so each cell is one integer sum.
        low = min(min(e for _, e, _ in parts), 0)
        high = max(k for _, _, k in parts)
        numerators = [0] * cells
        for values, exponent, places in parts:
            factor = (1 << (exponent - low)) * 10 ** (high - places)
            numerators = [n + v * factor if v else n for n, v in zip(numerators, values, strict=True)]
        return numerators, (1 << -low) * 10 ** high


_SHIFT = 1000               # binary shift of products that would underflow (a key's thousands)
_SPLIT = 134217729.0        # 2**27 + 1: Veltkamp's split of a float into two halves


def _two_product(a: Array, b: Array) -> tuple[Array, Array]:
    """``a * b == hi + lo`` exactly (Dekker), elementwise."""
    hi = a * b
    ca, cb = _SPLIT * a, _SPLIT * b
    a1 = ca - (ca - a)
    a2 = a - a1
    b1 = cb - (cb - b)
    b2 = b - b1
    lo = ((a1 * b1 - hi) + a1 * b2 + a2 * b1) + a2 * b2
    return hi, lo


def _block_scale(x: Array) -> int | None:
    """The decimal places of the block's values if a sample of them all has a short decimal."""
    finite = x[:256][np.isfinite(x[:256])][:32]
    if not len(finite):
        return 0
    _, k, ok = decimal_parts(finite)
    return int(k.max()) if ok.all() else None


def _decimal_rows(x: Array) -> tuple[Array, Array, Array] | tuple[Array, int, None]:
    """``(a, scale, None)`` when every finite value is ``a / 10**scale`` with ``a`` an integer
    below 10**15 (one scale for the block), else ``(a, k, dec)`` per row: ``a`` the integer of a
    short decimal where ``dec``, else the float itself at scale 0."""
    scale = _block_scale(x)
    if scale is not None and scale <= 22:
        power = 10.0 ** scale
        with np.errstate(invalid="ignore", over="ignore"):
            whole = np.rint(x * power)           # NaN and ±inf stay what they are
            differ = np.flatnonzero(np.divide(whole, power) != x)      # NaN rows, and decimals of another scale
            small = float(np.fmax.reduce(np.abs(whole))) < 1e15 if len(whole) else True
        if small and not np.isfinite(x[differ]).any():
            return whole, scale, None
    m, k, dec = decimal_digits(x)
    np.copyto(m, x, where=~dec)
    k[~dec] = 0
    return m, k, dec


class _Scale:
    """The decimal places the previous block of a sum's column was read at: the next block is
    usually of the same kind, so it is tried first and the block is not sampled again. (Shared by
    threads; any scale a block passes at gives the same exact sums.)"""

    __slots__ = ("places",)

    def __init__(self) -> None:
        self.places: int | None = None


def _scaled_sums(code: Array, x: Array, present: Array | None, nbins: int, acc: ExactSum, scratch: _Scratch,
                 scale: _Scale, counts: Array | None) -> bool | None:
    """The common case in a few passes over the block: every present value is a decimal of one
    scale ``10**-K`` (``x == fl(M / 10**K)`` with ``M = rint(x * 10**K)``) and one float bincount of
    the integers ``M`` is exact (every partial sum an integer below 2**53, every ``M`` below 10**15).
    None when the block is not of that kind (nothing added); else whether the bins' row counts
    were added to ``counts`` by the same bincount (see :func:`_scaled_sums_at`)."""
    tried = scale.places
    places = tried if tried is not None else _block_scale(x)
    if places is None or places > 22:
        return None
    done = _scaled_sums_at(code, x, present, nbins, acc, scratch, places, counts)
    if done is None and tried is not None:
        places = _block_scale(x)           # the previous block's scale does not fit this block
        if places is None or places == tried or places > 22:
            return None
        done = _scaled_sums_at(code, x, present, nbins, acc, scratch, places, counts)
    if done is not None:
        scale.places = places
    return done


def _scaled_sums_at(code: Array, x: Array, present: Array | None, nbins: int, acc: ExactSum, scratch: _Scratch,
                    places: int, counts: Array | None) -> bool | None:
    """:func:`_scaled_sums` at ``10**-places``. When the integers are not negative and small
    enough, the bins' row counts ride along in the same bincount: each row weighs ``M + 2**S``
    (rows without a value ``2**S``) with ``n·max(M) < 2**S`` and ``n·2**S`` below 2**53, so a bin's
    total is exactly ``count·2**S + ΣM`` and splits into the two."""
    n = len(x)
    power = 10.0 ** places
    whole, back, differ = scratch.high[:n], scratch.rest[:n], scratch.flag[:n]
    with np.errstate(invalid="ignore", over="ignore"):
        np.multiply(x, power, out=whole)
        np.rint(whole, out=whole)                   # NaN and ±inf stay what they are
        np.divide(whole, power, out=back)
        np.not_equal(back, x, out=differ)           # NaN rows, and values of another scale
    if present is not None:                         # missing rows lie in bins that are never read
        np.logical_and(differ, present, out=differ)
    if differ.any():
        return None
    low = float(np.fmin.reduce(whole)) if n else math.nan
    high = float(np.fmax.reduce(whole)) if n else math.nan
    if math.isnan(low):                             # no values at all (only missing rows)
        return False
    shift = math.frexp(n * high)[1] if high > 0 else 0       # n·high < 2**shift
    if counts is not None and low >= 0 and high < 1e15 and shift + n.bit_length() <= 53:
        np.fmax(whole, 0.0, out=whole)        # NaN is the only value that is not a finite M >= 0: 0
        np.add(whole, math.ldexp(1.0, shift), out=whole)
        totals = np.bincount(code, weights=whole, minlength=nbins)
        rows = np.floor(np.ldexp(totals, -shift))
        counts += rows.astype(np.int64)
        acc.at(places).add_window(totals - np.ldexp(rows, shift), 0)
        return True
    one_sign = low >= 0 or high <= 0
    biggest = max(high, -low)
    if not one_sign and not (biggest < 1e15 and biggest * n < 2.0 ** 53):
        return None
    sums = np.bincount(code, weights=whole, minlength=nbins)
    finite = np.isfinite(sums)
    if one_sign and not float(np.abs(sums[finite]).max(initial=0.0)) < 1e15:
        return None
    sums[~finite] = 0.0
    acc.at(places).add_window(sums, 0)
    return False


def _sum_block(code: Array, x: Array, present: Array | None, weight: Array | None, nbins: int, acc: ExactSum,
               scratch: _Scratch, scale: _Scale, counts: Array | None = None) -> bool:
    """Add one block's per-bin sums of ``x`` (or of ``x * weight``) to ``acc``: the common case
    of decimals of one scale in a few passes, anything else row by row at its own decimal.
    ``present`` marks the rows of bins that are read (None: every row). Returns whether the bins'
    row counts were added to ``counts`` too (only ever when ``counts`` is given)."""
    if weight is None:
        done = _scaled_sums(code, x, present, nbins, acc, scratch, scale, counts)
        if done is not None:
            return done
    _exact_sums(code, x, weight, nbins, acc, scratch)
    return False


def _exact_sums(code: Array, x: Array, weight: Array | None, nbins: int, acc: ExactSum,
                scratch: _Scratch | None = None) -> None:
    """Add the per-bin sums of ``x`` (or of ``x * weight``) to ``acc``, each value at its decimal."""
    a, ka, dec_a = _decimal_rows(x)
    if weight is None:
        if dec_a is None:
            assert isinstance(ka, int)
            _window_sums(code, a, nbins, acc.at(ka), scratch, integral=True)
            return
        _by_scale(code, [a], np.asarray(ka), nbins, acc)
        return
    b, kb, dec_b = _decimal_rows(weight)
    with np.errstate(over="ignore", invalid="ignore"):
        # A product (or Dekker's pieces) that would underflow: scale the smaller factor up by
        # 2**1000 (then the other, for two subnormals) and remember it in the scale's key.
        shifts = np.zeros(x.shape, np.int64)
        for _ in range(2):
            ea, eb = np.frexp(a)[1], np.frexp(b)[1]
            tiny = (ea + eb < -900) & (a != 0) & (b != 0)
            if not tiny.any():
                break
            a = np.where(tiny & (ea <= eb), np.ldexp(a, _SHIFT), a)
            b = np.where(tiny & (ea > eb), np.ldexp(b, _SHIFT), b)
            shifts += tiny
        hi, lo = _two_product(a, b)
    _check_product(hi, x, weight)
    if shifts.any():
        scales = (np.broadcast_to(np.asarray(ka), x.shape) + np.broadcast_to(np.asarray(kb), x.shape)
                  + _SHIFT * shifts)
        _by_scale(code, [hi, lo], scales, nbins, acc)
        return
    if dec_a is None and dec_b is None:
        assert isinstance(ka, int) and isinstance(kb, int)
        for part in (hi, lo):
            _window_sums(code, part, nbins, acc.at(ka + kb), scratch)
        return
    scales = np.broadcast_to(np.asarray(ka), x.shape) + np.broadcast_to(np.asarray(kb), x.shape)
    _by_scale(code, [hi, lo], scales, nbins, acc)


def _by_scale(code: Array, parts: list[Array], scales: Array, nbins: int, acc: ExactSum) -> None:
    """Window-sum each row's parts into the accumulator of its scale. Most rows share one scale
    (usually 0: values with more digits than a short decimal): all rows are summed there, and the
    rows of every other scale are moved, compressed, from it to their own."""
    counts = np.bincount(scales.ravel() if scales.min() >= 0 else scales.ravel() - scales.min())
    offset = min(int(scales.min()), 0)
    common = int(np.argmax(counts)) + offset
    for part in parts:
        _window_sums(code, part, nbins, acc.at(common))
    for scale in (np.flatnonzero(counts) + offset).tolist():
        if scale == common:
            continue
        rows = np.flatnonzero(scales == scale)
        sub = code[rows]
        for part in parts:
            moved = part[rows]
            _window_sums(sub, moved, nbins, acc.at(scale))
            _window_sums(sub, -moved, nbins, acc.at(common))


def _check_product(product: Array, x: Array, w: Array) -> None:
    """An overflow of two finite values is an error, not a missing row."""
    if np.isinf(product).any() and (np.isinf(product) & np.isfinite(x) & np.isfinite(w)).any():
        raise DataError(Diagnostic("QR206", tr("a value times its weight is too large for a weighted mean"),
                                   suggestion=tr("check the units of the value and weight columns")))


class _Scratch:
    """Buffers for one block, so the row loop allocates nothing per block. Lent to one row loop at
    a time and kept for the next (in any thread, in any later call): fresh buffers would cost
    their page faults again on every call."""

    _free: list[_Scratch] = []
    _lock = threading.Lock()

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.group = np.empty(rows, np.intp)
        self.code = np.empty(rows, np.intp)
        self.region = np.empty(rows, np.intp)        # viewed as the narrowest integers that hold it
        self.high = np.empty(rows, np.float64)
        self.rest = np.empty(rows, np.float64)
        self.bits = np.empty(rows, np.uint16)          # a pass has at most MAX_INDICATOR_BITS bits
        self.shifted = np.empty(rows, np.uint16)
        self.flag = np.empty(rows, bool)

    @classmethod
    @contextlib.contextmanager
    def lent(cls, rows: int) -> Iterator[_Scratch]:
        """Buffers of at least ``rows`` rows, returned to the pool afterwards (only the largest
        few are kept: as many as there have been row loops at once)."""
        with cls._lock:
            fits = [s for s in cls._free if s.rows >= rows]
            found = min(fits, key=lambda s: s.rows) if fits else None
            if found is not None:
                cls._free.remove(found)
        if found is None:
            found = cls(rows)
        try:
            yield found
        finally:
            with cls._lock:
                cls._free.append(found)
                if len(cls._free) > 4:
                    cls._free.remove(min(cls._free, key=lambda s: s.rows))


def _window_sums(code: Array, x: Array, nbins: int, acc: Limbs, scratch: _Scratch | None = None,
                 integral: bool = False) -> None:
    """Add the per-bin sums of ``x`` to ``acc`` exactly: slices of about 53 - log2(n) bits are
    summed in float64 without rounding, from the largest magnitude down until nothing is left.
    ``integral``: the finite values are whole numbers (digits of decimals at one scale), so when
    ``n`` of the largest cannot reach 2**53 one float sum per bin is already exact.

    Rows whose value is NaN or ±inf must lie in bins that are never read (their "present" bit is
    0): their slices are NaN, and bins whose sum is not finite are dropped."""
    n = len(x)
    if n == 0:
        return
    highest, lowest = float(np.fmax.reduce(x)), float(np.fmin.reduce(x))
    if math.isinf(highest) or math.isinf(lowest):
        x = np.where(np.isinf(x), np.nan, x)
        highest, lowest = float(np.fmax.reduce(x)), float(np.fmin.reduce(x))
    biggest = max(highest, -lowest)
    if not biggest > 0.0:        # all zero or all missing
        return
    if integral and biggest * n < 2.0 ** 53:
        sums = np.bincount(code, weights=x, minlength=nbins)
        sums[~np.isfinite(sums)] = 0.0
        acc.add_window(sums, 0)
        return
    top = math.frexp(biggest)[1]                 # |x| < 2^top
    if top > 960:
        about = f"{biggest:.3g}"
        raise DataError(Diagnostic("QR206", tr("a value of about {value} is too large to sum", value=about),
                                   suggestion=tr("check the unit of the column")))
    # A slice must fit the rounding trick (|x| <= 2^(lo+51)) and n slices must sum exactly.
    width = min(51, 53 - n.bit_length())
    lo = top - width
    acc.cover((lo - 2 * width) // _LIMB, top // _LIMB + 3)     # room for three slices at once
    high = scratch.high[:n] if scratch is not None and len(scratch.high) >= n else np.empty(n)
    rest = scratch.rest[:n] if scratch is not None and len(scratch.rest) >= n else np.empty(n)
    # When every value has one sign and the smallest is within ~2^19 of the largest (measurements
    # usually are), the rest after one slice is a multiple of ulp(smallest) small enough to be
    # summed exactly as it is: two bincounts and no checks.
    smallest = lowest if lowest > 0 else -highest if highest < 0 else 0.0
    floor_exponent = math.frexp(smallest)[1] - 1 if smallest > 0 else None   # 2^e <= smallest
    source = x
    with np.errstate(invalid="ignore"):
        if floor_exponent is not None and floor_exponent >= lo + n.bit_length() - 2:
            big = 1.5 * math.ldexp(1.0, lo + 52)
            np.add(x, big, out=high)
            np.subtract(high, big, out=high)
            np.subtract(x, high, out=rest)
            for part, grid in ((high, lo), (rest, floor_exponent - 52)):
                sums = np.bincount(code, weights=part, minlength=nbins)
                sums[~np.isfinite(sums)] = 0.0
                acc.add_window(sums, grid)
            return
        while True:
            big = 1.5 * math.ldexp(1.0, lo + 52)
            np.add(source, big, out=high)
            np.subtract(high, big, out=high)             # the slice: source rounded to a multiple of 2^lo
            np.subtract(source, high, out=rest)
            sums = np.bincount(code, weights=high, minlength=nbins)
            sums[~np.isfinite(sums)] = 0.0
            acc.add_window(sums, lo)
            left_high, left_low = np.fmax.reduce(rest), np.fmin.reduce(rest)
            if not (left_high > 0.0 or left_low < 0.0):  # nothing left (NaN: only missing rows)
                return
            source = rest                                  # the next slice comes from the rest, in place
            lo -= width


# ------------------------------------------------------------------------------------------
# Partial states


class GroupingState:
    """The partial states of one grouping, arrays indexed by year × region × bin. Merging adds
    counts and exact sums and takes minima and maxima, so states from chunks, partitions or threads
    combine in any order to the same result."""

    def __init__(self, grouping: Grouping, regions: Sequence[str] = (), years: Sequence[int] = ()) -> None:
        self.grouping = grouping
        self.regions: list[str] = list(regions)
        self.years: list[int] = list(years)
        self._region_index = {r: i for i, r in enumerate(self.regions)}
        self._year_index = {y: i for i, y in enumerate(self.years)}
        shape = (len(self.years), len(self.regions))
        passes = grouping.passes
        self.counts: list[Array] = [np.zeros((*shape, p.nbins), np.int64) for p in passes]
        self.sums: list[list[ExactSum]] = [[ExactSum((*shape, p.nbins)) for _ in p.sums] for p in passes]
        self.mins: list[list[Array]] = [[np.full((*shape, p.nbins), np.inf) for _ in p.mins] for p in passes]
        self.maxs: list[list[Array]] = [[np.full((*shape, p.nbins), -np.inf) for _ in p.maxs] for p in passes]
        self.rows = 0
        self.unassigned = 0
        # (what, measured column) -> rows per year × region holding a value that is no measurement
        # (``what``: ±inf, or a value the column's unit cannot hold; see :func:`_doubtful_fns`),
        # only for columns that hold some
        self.doubtful: dict[tuple[str, str], Array] = {}

    def _grow(self, regions: Sequence[str], years: Sequence[int]) -> tuple[Array, Array]:
        for region in regions:
            if region not in self._region_index:
                self._region_index[region] = len(self.regions)
                self.regions.append(region)
        for year in years:
            if year not in self._year_index:
                self._year_index[year] = len(self.years)
                self.years.append(year)
        y, r = len(self.years), len(self.regions)
        old_y, old_r = self.counts[0].shape[:2]
        if (y, r) != (old_y, old_r):
            pad = ((0, y - old_y), (0, r - old_r), (0, 0))
            self.counts = [np.pad(a, pad) for a in self.counts]
            self.mins = [[np.pad(a, pad, constant_values=np.inf) for a in p] for p in self.mins]
            self.maxs = [[np.pad(a, pad, constant_values=-np.inf) for a in p] for p in self.maxs]
            for sums, p in zip(self.sums, self.grouping.passes, strict=True):
                for exact in sums:
                    exact.pad(pad, (y, r, p.nbins))
            self.doubtful = {key: np.pad(a, pad[:2]) for key, a in self.doubtful.items()}
        return (np.array([self._year_index[x] for x in years], np.intp),
                np.array([self._region_index[x] for x in regions], np.intp))

    def copy(self) -> GroupingState:
        """An independent copy (arrays copied, nothing shared)."""
        out = GroupingState(self.grouping)
        out.regions, out.years = list(self.regions), list(self.years)
        out._region_index, out._year_index = dict(self._region_index), dict(self._year_index)
        out.counts = [a.copy() for a in self.counts]
        out.sums = [[total.mapped(np.copy, total.shape) for total in p] for p in self.sums]
        out.mins = [[a.copy() for a in p] for p in self.mins]
        out.maxs = [[a.copy() for a in p] for p in self.maxs]
        out.rows, out.unassigned = self.rows, self.unassigned
        out.doubtful = {key: a.copy() for key, a in self.doubtful.items()}
        return out

    def merge(self, other: GroupingState) -> None:
        years, regions = self._grow(other.regions, other.years)
        index: Any = np.ix_(years, regions)
        if np.array_equal(years, np.arange(len(years))) and np.array_equal(regions, np.arange(len(regions))):
            index = (slice(0, len(years)), slice(0, len(regions)))    # the usual case: same order
        for p in range(len(self.counts)):
            self.counts[p][index] += other.counts[p]
            for mine, theirs in zip(self.sums[p], other.sums[p], strict=True):
                mine.add(theirs, index)
            for a, b in zip(self.mins[p], other.mins[p], strict=True):
                a[index] = np.minimum(a[index], b)
            for a, b in zip(self.maxs[p], other.maxs[p], strict=True):
                a[index] = np.maximum(a[index], b)
        for key, found in other.doubtful.items():
            if key not in self.doubtful:
                self.doubtful[key] = np.zeros((len(self.years), len(self.regions)), np.int64)
            self.doubtful[key][index] += found
        self.rows += other.rows
        self.unassigned += other.unassigned

    def rolled_up(self, hierarchy: Hierarchy) -> GroupingState:
        """A state whose regions also include every ancestor, each with its descendants' records
        (and its own): exact, so a city's value is computed from exactly its districts' records."""
        pairs = [(i, target) for i, region in enumerate(self.regions)
                 for target in (region, *hierarchy.ancestors(region))]
        position = {name: i for i, name in enumerate(dict.fromkeys(t for _, t in pairs))}
        out = GroupingState(self.grouping, list(position), self.years)
        source = np.array([i for i, _ in pairs], np.intp)
        target = np.array([position[t] for _, t in pairs], np.intp)
        for p in range(len(self.counts)):
            to: Any = (slice(None), target)
            np.add.at(out.counts[p], to, self.counts[p][:, source])
            for k, theirs in enumerate(self.sums[p]):
                shape = out.sums[p][k].shape

                def roll(a: Array, shape: tuple[int, ...] = shape) -> Array:
                    rolled = np.zeros((a.shape[0], *shape), np.int64)
                    limbs_to: Any = (slice(None), slice(None), target)
                    np.add.at(rolled, limbs_to, a[:, :, source])
                    return rolled
                out.sums[p][k] = theirs.mapped(roll, shape)
            for a, b in zip(out.mins[p], self.mins[p], strict=True):
                np.minimum.at(a, to, b[:, source])
            for a, b in zip(out.maxs[p], self.maxs[p], strict=True):
                np.maximum.at(a, to, b[:, source])
        into: Any = (slice(None), target)
        for key, found in self.doubtful.items():
            out.doubtful[key] = np.zeros((len(self.years), len(position)), np.int64)
            np.add.at(out.doubtful[key], into, found[:, source])
        out.rows, out.unassigned = self.rows, self.unassigned
        return out


TableState = dict[int, GroupingState]   # grouping index -> state


def merge_states(left: TableState, right: TableState) -> TableState:
    """Merge two tables' partial states (in place into ``left``, which is returned; ``right``'s
    states are copied, never shared)."""
    for index, state in right.items():
        if index in left:
            left[index].merge(state)
        else:
            left[index] = state.copy()
    return left


# ------------------------------------------------------------------------------------------
# The scan: one pass over a chunk's rows per grouping


BlockFn = Callable[[int, int, dict[Any, Array]], Array]


def _present_fn(name: str, numbers: Any) -> BlockFn | None:
    """Rows where the column has a value (None: always)."""
    if numbers.always_present:
        return None
    values, valid = numbers.values, numbers.valid

    def present(s: int, e: int, memo: dict[Any, Array]) -> Array:
        key = ("present", name)
        if key not in memo:
            mask = np.isfinite(values[s:e]) if numbers.floating else valid[s:e]
            if numbers.floating and valid is not None:
                mask &= valid[s:e]
            memo[key] = mask
        return memo[key]
    return present


def _values_fn(name: str, numbers: Any) -> BlockFn:
    """The column as float64. Missing rows keep whatever they hold (NaN, ±inf, a filler): their
    "present" bit keeps them in bins that are never read."""
    values = numbers.values

    def block(s: int, e: int, memo: dict[Any, Array]) -> Array:
        key = ("values", name)
        if key not in memo:
            x = values[s:e]
            memo[key] = x if x.dtype == np.float64 else x.astype(np.float64)
        return memo[key]
    return block


_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal, "==": np.equal,
}


def _predicate_fn(predicate: Predicate, chunk: Any) -> BlockFn:
    """Rows where the predicate is known to be true."""
    if isinstance(predicate, (All, Any_)):
        parts = [_predicate_fn(p, chunk) for p in predicate.parts]
        combine = np.logical_and if isinstance(predicate, All) else np.logical_or

        def both(s: int, e: int, memo: dict[Any, Array]) -> Array:
            out: Array = parts[0](s, e, memo).copy()
            for part in parts[1:]:
                combine(out, part(s, e, memo), out=out)
            return out
        return both
    column, op, literal = predicate.column, predicate.op, predicate.literal
    if isinstance(literal, bool):
        flags = chunk.flags(column)
        truth, valid = flags.truth, flags.valid
        if (op == "==") == literal:
            return lambda s, e, memo: truth[s:e]
        if valid is None:
            return lambda s, e, memo: ~truth[s:e]
        return lambda s, e, memo: ~truth[s:e] & valid[s:e]
    if isinstance(literal, str):
        codes = chunk.codes(column)
        compare = _COMPARE.get(op)
        table = np.array([(v != literal) if compare is None else bool(compare(v, literal)) for v in codes.values]
                         + [False], bool)
        index = codes.codes
        return lambda s, e, memo: np.take(table, index[s:e])
    numbers = chunk.numbers(column)
    values = numbers.values
    number = float(literal)
    # NaN compares false already; an infinity (missing too) could pass every order but ==.
    present = _present_fn(column, numbers) if op != "==" or numbers.valid is not None else None

    def test(s: int, e: int, memo: dict[Any, Array]) -> Array:
        x = values[s:e]
        out: Array
        if op != "!=":
            out = _COMPARE[op](x, number)
        elif numbers.floating:
            out = (x < number) | (x > number)
        else:
            out = x != number
        if present is not None:
            out &= present(s, e, memo)
        return out
    return test


@attrs.frozen
class _SumScan:
    """One sum of a pass prepared for one chunk: the column's values and presence (None: always
    present), the weight's values for a weighted mean, and the scale its last block was read at."""

    values: BlockFn
    present: BlockFn | None
    weight: BlockFn | None
    scale: _Scale = attrs.field(factory=_Scale)


@attrs.define
class _PassScan:
    """A pass prepared for one chunk: bit sources, value sources, and bins."""

    shift: int
    nbins: int
    variable: list[tuple[int, BlockFn]]
    constant: int
    sums: list[_SumScan]
    mins: list[BlockFn]
    maxs: list[BlockFn]


def _prepare_pass(pass_: Pass, chunk: Any, ngroups: int) -> _PassScan:
    variable: list[tuple[int, BlockFn]] = []
    constant = 0
    for position, bit in enumerate(pass_.bits):
        if isinstance(bit, str):
            present = _present_fn(bit, chunk.numbers(bit))
            if present is None:
                constant |= 1 << position
            else:
                variable.append((position, present))
        else:
            variable.append((position, _predicate_fn(bit, chunk)))
    sums = [_SumScan(_values_fn(s.column, chunk.numbers(s.column)), _present_fn(s.column, chunk.numbers(s.column)),
                     _values_fn(s.weight, chunk.numbers(s.weight)) if s.weight else None) for s in pass_.sums]
    mins = [_values_fn(c, chunk.numbers(c)) for c in pass_.mins]
    maxs = [_values_fn(c, chunk.numbers(c)) for c in pass_.maxs]
    return _PassScan(len(pass_.bits), ngroups << len(pass_.bits), variable, constant, sums, mins, maxs)


@attrs.define
class _Accumulator:
    counts: Array
    sums: list[ExactSum]
    mins: list[Array]
    maxs: list[Array]

    @classmethod
    def empty(cls, scan: _PassScan) -> _Accumulator:
        n = scan.nbins
        return cls(np.zeros(n, np.int64), [ExactSum((n,)) for _ in scan.sums],
                   [np.full(n, np.inf) for _ in scan.mins], [np.full(n, -np.inf) for _ in scan.maxs])

    def add(self, other: _Accumulator) -> None:
        self.counts += other.counts
        for a, b in zip(self.sums, other.sums, strict=True):
            a.add(b)
        for x, y in zip(self.mins, other.mins, strict=True):
            np.minimum(x, y, out=x)
        for x, y in zip(self.maxs, other.maxs, strict=True):
            np.maximum(x, y, out=x)


def _bits(scan: _PassScan, s: int, e: int, memo: dict[Any, Array], scratch: _Scratch) -> Array | int:
    """The pass's condition/presence bits of the block's rows (bool or uint8, in ``scratch``), or a
    constant."""
    if not scan.variable:
        return scan.constant
    (first, fn), *others = scan.variable
    if first == 0 and not others and not scan.constant:
        return fn(s, e, memo)
    n = e - s
    kind = np.uint8 if scan.shift <= 8 else np.uint16
    out, shifted = scratch.bits.view(kind)[:n], scratch.shifted.view(kind)[:n]
    # (bits are placed by multiplying: numpy shifts bytes several times slower than it multiplies them)
    np.multiply(fn(s, e, memo).view(np.uint8), kind(1 << first), out=out)
    for position, more in others:
        np.bitwise_or(out, np.multiply(more(s, e, memo).view(np.uint8), kind(1 << position), out=shifted), out=out)
    if scan.constant:
        np.bitwise_or(out, scan.constant, out=out)
    return out


@attrs.frozen
class _ChunkScan:
    """A grouping prepared for one chunk: ``code(s, e, shift, bits, out, scratch)`` writes each
    row's bin of a pass, its group number (region × year, with an extra "unassigned" region and
    year, ``ngroups`` in all) shifted left by ``shift`` plus its ``bits``; ``doubtful`` finds the
    rows of a block whose measurement is no measurement (±inf, or a value its column's unit cannot
    hold), by (what, column)."""

    code: Callable[[int, int, int, Array | int, Array, _Scratch], Array]
    passes: list[_PassScan]
    block: int
    ngroups: int
    doubtful: list[tuple[tuple[str, str], RowsFn]]


RowsFn = Callable[[int, int, dict[Any, Array], "_Scratch"], Array | None]


def _infinite_fn(name: str, kind: str, chunk: Any) -> RowsFn | None:
    """The rows of a block (from its start) where measured column ``name`` holds ±inf, or None
    when there are none; None when the column cannot hold any (not a float column)."""
    if kind == "flag":
        rows = chunk.flags(name).infinite
        if rows is None:
            return None

        def listed(s: int, e: int, memo: dict[Any, Array], scratch: _Scratch) -> Array | None:
            first, last = np.searchsorted(rows, (s, e))
            return rows[first:last] - s if last > first else None
        return listed
    numbers = chunk.numbers(name)
    if not numbers.floating:
        return None
    values = numbers.values
    if numbers.valid is not None:
        def found(s: int, e: int, memo: dict[Any, Array], scratch: _Scratch) -> Array | None:
            infinite = np.isinf(values[s:e], out=scratch.flag[:e - s])
            return np.flatnonzero(infinite) if infinite.any() else None
        return found

    present = _present_fn(name, numbers)      # a float column: isfinite, the rows' presence bit
    assert present is not None

    def among_missing(s: int, e: int, memo: dict[Any, Array], scratch: _Scratch) -> Array | None:
        # ±inf is looked for only among the rows without a value (the presence the passes read too)
        finite = present(s, e, memo)
        if finite.all():
            return None
        missing = np.flatnonzero(np.logical_not(finite, out=scratch.flag[:e - s]))
        rows = missing[np.isinf(values[s:e][missing])]
        return rows if len(rows) else None
    return among_missing


def _implausible_fns(grouping: Grouping, chunk: Any) -> list[tuple[tuple[str, str], RowsFn]]:
    """For each measured column of a declared unit (``column volume 立方米``), the rows of a block
    holding a value the unit cannot hold (:func:`~qualityrules.language.units.value_kind`): below
    0 (``NEGATIVE``), above a share's whole (``ABOVE``), a count that is not whole (``NOT_WHOLE``).
    One comparison per block and column; the rows are looked for only in a block that has some."""
    found: list[tuple[tuple[str, str], RowsFn]] = []
    for name, unit in grouping.units:
        kind = value_kind(name, unit)
        if kind is None:
            continue
        numbers = chunk.numbers(name)
        values = numbers.values
        found.append(((NEGATIVE, name), _rows_where(values, np.less, 0.0)))
        if kind.highest is not None:
            found.append(((ABOVE, name), _rows_where(values, np.greater, kind.highest * (1 + 1e-9))))
        if kind.whole and numbers.floating:
            found.append(((NOT_WHOLE, name), _not_whole_fn(values, float(to_base(unit)))))
    return found


def _rows_where(values: Array, compare: Any, bound: float) -> RowsFn:
    """The rows of a block whose finite value compares true with ``bound`` (±inf is said apart:
    QR214; NaN compares false)."""
    def rows(s: int, e: int, memo: dict[Any, Array], scratch: _Scratch) -> Array | None:
        x = values[s:e]
        hit = compare(x, bound, out=scratch.flag[:e - s])
        if not hit.any():
            return None
        found = np.flatnonzero(hit)
        found = found[np.isfinite(x[found])]
        return found if len(found) else None
    return rows


def _not_whole_fn(values: Array, factor: float) -> RowsFn:
    """The rows of a block of a float count column whose finite value is not a whole number of the
    base unit (``factor`` of it each; :func:`~qualityrules.tables.decimals.not_whole`)."""
    def rows(s: int, e: int, memo: dict[Any, Array], scratch: _Scratch) -> Array | None:
        found = not_whole(values[s:e], factor)
        return found if len(found) else None
    return rows


@attrs.define
class _Rows:
    """Rows of one measured column that hold no measurement (±inf, or a value its unit cannot
    hold): rows per group (``counts``), the ``first`` row (of the chunk) and the ``total``."""

    counts: Array
    first: int
    total: int

    def add(self, other: _Rows) -> None:
        self.counts += other.counts
        self.first = min(self.first, other.first)
        self.total += other.total


def _scan_rows(job: _ChunkScan, lo: int, hi: int) -> tuple[list[_Accumulator], dict[tuple[str, str], _Rows]]:
    """The row loop: per block, one combined code per row and pass, then bincounts (and the
    groups of rows whose measurements are no measurement)."""
    accs = [_Accumulator.empty(scan) for scan in job.passes]
    doubtful: dict[tuple[str, str], _Rows] = {}
    with _Scratch.lent(min(job.block, max(hi - lo, 0))) as scratch:
        for s in range(lo, hi, job.block):
            e = min(s + job.block, hi)
            n = e - s
            memo: dict[Any, Array] = {}
            group: Array | None = None              # the rows' group numbers, only wanted for doubtful rows
            for key, rows_of in job.doubtful:
                rows = rows_of(s, e, memo, scratch)
                if rows is not None:
                    if group is None:
                        group = job.code(s, e, 0, 0, scratch.group[:n], scratch)
                    more = _Rows(np.bincount(group[rows], minlength=job.ngroups), s + int(rows[0]), len(rows))
                    if key in doubtful:
                        doubtful[key].add(more)
                    else:
                        doubtful[key] = more
            for scan, acc in zip(job.passes, accs, strict=True):
                code = job.code(s, e, scan.shift, _bits(scan, s, e, memo, scratch), scratch.code[:n], scratch)
                counted = False                  # a sum may count the bins' rows in its own bincount
                for sum_, exact in zip(scan.sums, acc.sums, strict=True):
                    counted |= _sum_block(code, sum_.values(s, e, memo),
                                          None if sum_.present is None else sum_.present(s, e, memo),
                                          None if sum_.weight is None else sum_.weight(s, e, memo), scan.nbins, exact,
                                          scratch, sum_.scale, None if counted else acc.counts)
                if not counted:
                    acc.counts += np.bincount(code, minlength=scan.nbins)
                with np.errstate(invalid="ignore"):  # NaN lands only in bins of missing rows, never read
                    for fn, low in zip(scan.mins, acc.mins, strict=True):
                        np.minimum.at(low, code, fn(s, e, memo))
                    for fn, high in zip(scan.maxs, acc.maxs, strict=True):
                        np.maximum.at(high, code, fn(s, e, memo))
    return accs, doubtful


def _distinct(years: Array) -> list[int]:
    """The distinct values of a year table, sorted (counted over their range: a table has an
    entry per day of the records' range, and their years span a few values)."""
    if not len(years):
        return []
    low, high = int(years.min()), int(years.max())
    if high - low > len(years):
        return [int(y) for y in np.unique(years)]
    return (np.flatnonzero(np.bincount(years - low)) + low).tolist()


def scan_chunk(grouping: Grouping, chunk: Any, pool: Any = None, workers: int = 1) -> GroupingState:
    """The partial states of one chunk of records for one grouping (rows split over ``workers``
    threads of ``pool`` when the chunk is large)."""
    regions = chunk.regions(grouping.region)     # (a totals row, 合计, is no region: -1, as an empty cell)
    names = list(dict.fromkeys(regions.values))
    position = {name: i for i, name in enumerate(names)}
    entry = np.array([position[v] for v in regions.values] + [len(names)], np.intp)
    times = chunk.times(grouping.time, grouping.time_is_date)
    years = _distinct(times.years[times.years >= 0])
    n_regions, n_years = len(names), len(years)
    width = n_regions + 1                        # the last region and the last year are "unassigned"
    year_code = np.searchsorted(np.array(years, np.int64), times.years)
    year_code[times.years < 0] = n_years
    year_lut = year_code.astype(np.intp) * width
    codes = regions.codes
    # Region codes are used as they are when the dictionary is already the region list and
    # has no nulls; otherwise they go through a lookup table (nulls, -1, read its last entry).
    direct = len(codes) == 0 or (np.array_equal(entry[:-1], np.arange(n_regions)) and int(codes.min()) >= 0)
    ngroups = width * (n_years + 1)
    scans = [_prepare_pass(p, chunk, ngroups) for p in grouping.passes]
    # By shift: the year's part of each key's bin number, and the narrowest integers that hold the
    # region's part and the bits (usually bytes): combined there, only the year's lookup and the
    # final sum write a row-sized integer each.
    layouts = {shift: (year_lut << shift,
                       np.min_scalar_type(width << shift) if width << shift < 1 << 31 else np.dtype(np.intp))
               for shift in {0, *(scan.shift for scan in scans)}}

    def code(s: int, e: int, shift: int, bits: Array | int, out: Array, scratch: _Scratch) -> Array:
        year, narrow = layouts[shift]
        np.take(year, times.keys(s, e), out=out, mode="clip")   # keys are in range; "raise" would buffer
        region = codes[s:e] if direct else np.take(entry, codes[s:e].astype(np.intp))
        part = scratch.region.view(narrow)[:e - s]
        np.left_shift(region, shift, out=part, dtype=narrow, casting="unsafe")   # (region numbers are >= 0)
        if not isinstance(bits, int) or bits:
            np.bitwise_or(part, bits, out=part)
        return np.add(out, part, out=out)

    widest = max(scan.nbins for scan in scans)
    block = max(_MIN_BLOCK, 1 << (8 * widest).bit_length())
    doubtful = [((INFINITE, name), found) for name, kind in grouping.columns().items() if kind in ("number", "flag")
                for found in [_infinite_fn(name, kind, chunk)] if found is not None]
    doubtful.extend(_implausible_fns(grouping, chunk))
    job = _ChunkScan(code, scans, block, ngroups, doubtful)
    n = chunk.n
    parts = min(workers if pool is not None else 1, max(1, n // block))
    if parts > 1:
        edges = [((n * i // parts) // block) * block for i in range(parts)] + [n]
        futures = [pool.submit(_scan_rows, job, a, b) for a, b in zip(edges, edges[1:], strict=False)]
        results = [f.result() for f in futures]
    else:
        results = [_scan_rows(job, 0, n)]
    accs, doubtful_rows = results[0]
    for other, more_doubtful in results[1:]:
        for acc, more in zip(accs, other, strict=True):
            acc.add(more)
        for key, found in more_doubtful.items():
            if key in doubtful_rows:
                doubtful_rows[key].add(found)
            else:
                doubtful_rows[key] = found
    state = GroupingState(grouping, names, years)
    keep = (slice(0, n_years), slice(0, n_regions))          # drop the "unassigned" year and region
    for (what, name), found in doubtful_rows.items():
        state.doubtful[(what, name)] = found.counts.reshape(n_years + 1, width)[keep]
        chunk.note_doubtful(what, name, found.first, found.total)
    for p, (scan, acc) in enumerate(zip(scans, accs, strict=True)):
        shape = (n_years + 1, width, 1 << scan.shift)
        state.counts[p] = acc.counts.reshape(shape)[keep]
        kept = (n_years, n_regions, 1 << scan.shift)
        state.sums[p] = [total.mapped(lambda a, shape=shape: a.reshape((a.shape[0], *shape))[(slice(None), *keep)],
                                      kept) for total in acc.sums]
        state.mins[p] = [a.reshape(shape)[keep] for a in acc.mins]
        state.maxs[p] = [a.reshape(shape)[keep] for a in acc.maxs]
    state.rows = n
    state.unassigned = n - int(state.counts[0].sum()) - chunk.totals(grouping.region)   # (no records: QR216)
    if state.unassigned:                 # said where they are (QR215), not only counted
        chunk.note_unassigned(grouping.region, grouping.time, grouping.time_is_date)
    return state
