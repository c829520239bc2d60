"""Mergeable statistics merge exactly and independently of order."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.aggregate import Counts, Records, ValueCounts, merge_all, merge_tree


def test_counts_add():
    a = Counts(np.array([1, 2, 3]))
    b = Counts(np.array([10, 0, 5]))
    np.testing.assert_array_equal(a.merge(b).array, [11, 2, 8])


def test_value_counts_table_by_hand():
    vc = ValueCounts.of(np.array([1.0, 1.0, 2.5, 1.0]), np.array([0, 1, 1, 1]), n_cells=2)
    values, table = vc.table()
    np.testing.assert_array_equal(values, [1.0, 2.5])
    np.testing.assert_array_equal(table, [[1, 2], [0, 1]])


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.tuples(st.integers(-500, 500), st.integers(0, 3)), min_size=1, max_size=60),
    st.integers(1, 5),
    st.randoms(use_true_random=False),
)
def test_value_counts_merge_is_split_and_order_invariant(rows, pieces, rnd):
    values = np.array([v / 4 for v, _ in rows])
    cells = np.array([c for _, c in rows])
    whole = ValueCounts.of(values, cells, 4)
    idx = list(range(len(rows)))
    rnd.shuffle(idx)
    splits = np.array_split(np.array(idx), pieces)
    parts = [ValueCounts.of(values[s], cells[s], 4) for s in splits if len(s)]
    rnd.shuffle(parts)
    merged = merge_tree(parts)
    np.testing.assert_array_equal(merged.keys, whole.keys)
    np.testing.assert_array_equal(merged.counts, whole.counts)


def test_records_sorted_by_person():
    a = Records({"person_id": np.array([5, 1]), "x": np.array([50, 10])})
    b = Records({"person_id": np.array([3]), "x": np.array([30])})
    for merged in (a.merge(b), b.merge(a)):
        cols = merged.sorted()
        np.testing.assert_array_equal(cols["person_id"], [1, 3, 5])
        np.testing.assert_array_equal(cols["x"], [10, 30, 50])


def test_merge_all_nested_and_identity():
    a = {"s": {"n": Counts(np.array([1]))}}
    b = {"s": {"n": Counts(np.array([2]))}}
    assert merge_all(None, a) is a
    assert merge_all(a, b)["s"]["n"].array.tolist() == [3]


def test_a_value_shared_by_several_keys_is_merged_once_and_stays_shared():
    calls = []

    class Counted(Counts):
        def merge(self, other):
            calls.append((self, other))
            return Counted(self.array + other.array)

    pool_a, pool_b = Counted(np.array([1, 2])), Counted(np.array([10, 20]))
    own_a, own_b = Counted(np.array([5, 5])), Counted(np.array([1, 1]))
    a = {"appeal": {"pool": pool_a}, "reversibility": {"pool": pool_a, "n": own_a}}
    b = {"appeal": {"pool": pool_b}, "reversibility": {"pool": pool_b, "n": own_b}}
    merged = merge_all(a, b)
    assert merged["appeal"]["pool"] is merged["reversibility"]["pool"]
    assert merged["appeal"]["pool"].array.tolist() == [11, 22]
    assert merged["reversibility"]["n"].array.tolist() == [6, 6]
    assert len(calls) == 2  # the shared pair once, the audit's own counts once
    # equal values that are different objects are merged each on their own
    c = {"appeal": {"pool": Counted(np.array([1, 2]))}, "reversibility": {"pool": Counted(np.array([1, 2]))}}
    calls.clear()
    again = merge_all(c, b)
    assert len(calls) == 2 and again["appeal"]["pool"] is not again["reversibility"]["pool"]


def test_exact_sums_are_exact_and_order_free():
    rng = np.random.default_rng(0)
    values = rng.uniform(350, 950, 10_000)
    cells = rng.integers(0, 3, 10_000)
    whole = ValueCounts.of(values, cells, 3)
    parts = [ValueCounts.of(values[i::7], cells[i::7], 3) for i in range(7)]
    a = merge_tree(parts).cell_sums()
    b = merge_tree(parts[::-1]).cell_sums()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, whole.cell_sums())
    import math

    for c in range(3):
        assert abs(a[c] - math.fsum(values[cells == c])) <= 1e-9 * max(1, np.sum(cells == c))


def test_exact_sums_handle_negative_values():
    vc = ValueCounts.of(np.array([-1.25, -3.5, 2.0]), np.array([0, 0, 1]), 2)
    np.testing.assert_array_equal(vc.cell_sums(), [-4.75, 2.0])
