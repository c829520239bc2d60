"""The chunk format for --resume holds data only: what it stores comes back equal, nothing else loads."""

from __future__ import annotations

import dataclasses
import io
import json
import pickle

import numpy as np
import pandas as pd
import pytest

from audit.aggregate import Counts, ValueCounts
from audit.engine.chunk_format import ChunkFormatError, dumps, encode, loads
from audit.engine.contract import ChunkOutput


def test_round_trip_keeps_types_dtypes_and_values():
    frame = pd.DataFrame({
        "score": np.array([1.5, -2.0, np.nan]),
        "tier": pd.Categorical(["A", "C", "A"], categories=["A", "B", "C"], ordered=True),
        "small": np.array([1, 2, 3], dtype=np.int16),
        "reasons": pd.Series([("a", "b"), (), None], dtype=object),
    })
    value = ChunkOutput(
        aggregates={"s": {"disparity": {"tiers": Counts(np.arange(6).reshape(2, 3)),
                                        "scores": ValueCounts.of(np.array([0.5, 1.25]), np.array([0, 1]), 2),
                                        "frame": frame, "pair": (1, "x"), "inf": float("inf"),
                                        "scalar": np.float32(0.5), 3: [None, True]}}},
        errors={"t": "boom"}, seconds={"generate": 0.25}, people=3,
    )
    back = loads(dumps(value))
    agg, got = value.aggregates["s"]["disparity"], back.aggregates["s"]["disparity"]
    assert type(back) is ChunkOutput and back.errors == value.errors and back.people == 3
    assert np.array_equal(got["tiers"].array, agg["tiers"].array) and got["tiers"].array.dtype == agg["tiers"].array.dtype
    assert np.array_equal(got["scores"].keys, agg["scores"].keys) and np.array_equal(got["scores"].sum_limbs, agg["scores"].sum_limbs)
    pd.testing.assert_frame_equal(got["frame"], frame, check_exact=True)
    assert got["frame"]["reasons"].tolist() == [("a", "b"), (), None]
    assert got["pair"] == (1, "x") and got["inf"] == float("inf") and got[3] == [None, True]
    assert type(got["scalar"]) is np.float32 and got["scalar"] == np.float32(0.5)


@dataclasses.dataclass(frozen=True)
class Foreign:
    x: int


def test_values_from_outside_the_package_are_not_stored():
    with pytest.raises(ChunkFormatError, match="Foreign"):
        dumps({"a": Foreign(1)})
    with pytest.raises(ChunkFormatError, match="set"):
        dumps({1, 2})


def _npz(doc: dict) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, doc=np.frombuffer(json.dumps(doc).encode(), dtype=np.uint8))
    return buf.getvalue()


@pytest.mark.parametrize("doc", [
    {"format": "scs-audit chunk 1", "value": {"$dc": "os:system", "fields": {}}},
    {"format": "scs-audit chunk 1", "value": {"$dc": "audit.aggregate:Counts", "fields": {"array": 1, "x": 2}}},
    {"format": "scs-audit chunk 1", "value": {"$reduce": ["os", "system"]}},
    {"format": "scs-audit chunk 1", "value": {"$nd": "a7"}},
    {"format": "other", "value": 1},
])
def test_documents_that_are_not_plain_data_are_refused(doc):
    with pytest.raises(ChunkFormatError):
        loads(_npz(doc))


def test_a_pickle_or_an_object_array_is_refused(tmp_path):
    with pytest.raises(ChunkFormatError):
        loads(pickle.dumps(ChunkOutput(aggregates={}, errors={}, seconds={}, people=0)))
    buf = io.BytesIO()
    np.savez(buf, doc=np.frombuffer(b'{"format": "scs-audit chunk 1", "value": {"$nd": "a0"}}', dtype=np.uint8),
             a0=np.array([Foreign(1)], dtype=object))
    with pytest.raises(ChunkFormatError):
        loads(buf.getvalue())


def test_a_value_held_in_several_places_is_stored_once_and_read_back_as_one_object():
    shared = Counts(np.arange(4).reshape(2, 2))
    other = Counts(np.arange(4).reshape(2, 2))  # equal but distinct: stays distinct
    value = {"appeal": {"pool": shared}, "reversibility": {"pool": shared}, "spillover": [shared, other]}
    arrays = encode(value)
    doc = json.loads(arrays["doc"].tobytes())
    assert len(arrays) == 3  # the document, the shared array once, the other's array
    assert doc["value"]["$dict"][1][1] == {"$dict": [["pool", {"$ref": 0}]]}
    back = loads(dumps(value))
    first = back["appeal"]["pool"]
    assert first is back["reversibility"]["pool"] and first is back["spillover"][0]
    assert back["spillover"][1] is not first and np.array_equal(back["spillover"][1].array, other.array)
    assert np.array_equal(first.array, shared.array)


@pytest.mark.parametrize("ref", [0, "0", 5])
def test_a_reference_to_no_earlier_value_is_refused(ref):
    doc = {"format": "scs-audit chunk 1", "value": {"$list": [
        {"$ref": ref}, {"$dc": "audit.aggregate:Counts", "fields": {"array": None}, "$id": 0}]}}
    with pytest.raises(ChunkFormatError, match="reference"):
        loads(_npz(doc))


def test_an_object_column_of_text_is_stored_as_codes_and_comes_back_equal():
    reasons = [("a", "b"), (), None, ("a", "b"), "x", ("c", "d"), ("a", "b")]
    frame = pd.DataFrame({"reasons": pd.Series(reasons, dtype=object)})
    arrays = encode(frame)
    doc = json.loads(arrays["doc"].tobytes())
    node = doc["value"]["$df"][0][1]
    assert node["values"] == [{"$tuple": ["a", "b"]}, {"$tuple": []}, None, "x", {"$tuple": ["c", "d"]}]  # once each
    assert arrays[node["$objcodes"]["$nd"]].tolist() == [0, 1, 2, 0, 3, 4, 0]
    back = loads(dumps(frame))
    assert back["reasons"].tolist() == reasons
    assert [type(v) for v in back["reasons"]] == [type(v) for v in reasons]


def test_an_object_array_of_other_values_keeps_each_element_apart():
    mixed = np.empty(4, dtype=object)
    mixed[:] = [1, 1.0, True, ("a", 1)]  # equal as Python values, but of different types: never one code
    back = loads(dumps({"m": mixed}))["m"]
    assert back.tolist() == [1, 1.0, True, ("a", 1)]
    assert [type(v) for v in back] == [int, float, bool, tuple]


@pytest.mark.parametrize("codes", [[0, 2], [-1, 0]])
def test_object_codes_outside_their_values_are_refused(codes):
    buf = io.BytesIO()
    doc = {"format": "scs-audit chunk 1", "value": {"$objcodes": {"$nd": "a0"}, "values": ["x", "y"], "shape": [2]}}
    np.savez(buf, doc=np.frombuffer(json.dumps(doc).encode(), dtype=np.uint8), a0=np.array(codes, dtype=np.int32))
    with pytest.raises(ChunkFormatError, match="codes"):
        loads(buf.getvalue())
