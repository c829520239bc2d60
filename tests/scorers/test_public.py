"""The package's public face: ``scorers.__all__`` names what others may import, and importing it stays cheap."""

from __future__ import annotations

import subprocess
import sys

import pytest

import scorers
from scorers import (
    joint_punishment,
    points,
    protocol,
    registry,
    rongcheng,
    sesame,
    suining,
    testing,
)


@pytest.mark.parametrize("name", scorers.__all__)
def test_every_public_name_resolves(name):
    assert getattr(scorers, name) is not None
    assert name in dir(scorers)


def test_public_names_are_the_objects_of_their_modules():
    assert scorers.Scorer is protocol.Scorer
    assert scorers.load_scorer is registry.load_scorer
    assert scorers.check_scorer is testing.check_scorer
    assert scorers.PointsScheme is points.PointsScheme
    assert (scorers.Suining, scorers.Rongcheng, scorers.Sesame, scorers.JointPunishment) == (
        suining.Suining, rongcheng.Rongcheng, sesame.Sesame, joint_punishment.JointPunishment,
    )


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'Suinning'"):
        scorers.Suinning  # noqa: B018


def test_importing_the_contract_loads_no_compiled_kernel():
    code = "import sys, scorers; print('numba' in sys.modules, 'scorers._kernels' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]
