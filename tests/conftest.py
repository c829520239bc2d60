"""Test-session settings shared by the whole suite."""

from __future__ import annotations

import os

from hypothesis import settings

# On CI, property-based tests run the same examples on every run (derandomized),
# so a submission's result does not depend on the draw; locally they explore anew.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
