"""The example finder and the quick-size rewrite, on hand-written pages."""

from __future__ import annotations

import pytest

from tests.docs._examples import commands, examples, quick

PAGE = """# A page

```python
print("not marked: never run")
```

<!-- runnable file=my_scorer.py -->
```python
class S:
    pass
```

- a list item:

  <!-- runnable exit=0,1 -->
  ```bash
  scs-audit run --scorer my_scorer.py:S \\
      --out o   # a comment
  # a comment line
  pytest test_x.py
  ```
"""


def test_examples_finds_only_marked_blocks_with_their_attributes(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(PAGE)
    first, second = examples(page)
    assert (first.lang, first.file, first.exits, first.line) == ("python", "my_scorer.py", (0,), 8)
    assert first.code == "class S:\n    pass\n"
    assert (second.lang, second.file, second.exits, second.line) == ("bash", None, (0, 1), 16)
    assert second.code.startswith("scs-audit run --scorer")  # dedented out of the list item
    assert commands(second.code) == ["scs-audit run --scorer my_scorer.py:S  --out o   # a comment", "pytest test_x.py"]


@pytest.mark.parametrize("bad, message", [
    ("<!-- runnable -->\ntext\n", "must be followed by"),
    ("<!-- runnable -->\n```toml\nx = 1\n```\n", "must be followed by"),
    ("<!-- runnable -->\n```python\nx = 1\n", "never closed"),
    ("<!-- runnable size=3 -->\n```python\nx = 1\n```\n", "unknown runnable attribute"),
])
def test_a_broken_marker_is_an_error_naming_the_page(tmp_path, bad, message):
    page = tmp_path / "bad.md"
    page.write_text(bad)
    with pytest.raises(ValueError, match=message) as info:
        examples(page)
    assert "bad.md:1" in str(info.value) or "bad.md:2" in str(info.value)


def test_quick_caps_sizes_and_adds_a_small_population():
    assert quick("scs-audit run --size 1400000000 --bootstrap 400\n") == (
        "scs-audit run --size 2000 --bootstrap 50 --population tiny --replay-sample 200\n"
    )
    assert quick("scs-audit run --size 1e6   # big\n") == (
        "scs-audit run --size 2000 --population tiny --replay-sample 200  # big\n"
    )
    assert quick("scs-audit run --population tiny --size 500 --replay-sample 20\n") == (
        "scs-audit run --population tiny --size 500 --replay-sample 20\n"
    )
    assert quick("scs-audit compare a b --size 50000\n") == "scs-audit compare a b --size 2000 --population tiny\n"
    assert quick('pop = P("x", size=100_000, seed=0)\n', "python") == 'pop = P("x", size=2000, seed=0)\n'
    suite = 'pytestmark = pytest.mark.audit_population("x", size=200_000)\npytest.mark.slow\n'
    assert quick(suite, "python") == 'pytestmark = pytest.mark.audit_population("x", size=2000)\npytest.mark.slow\n'
    assert quick("pytest t.py --audit-size 3000  # quick\n") == (
        "pytest t.py --audit-size 2000 --audit-replay-sample 200  # quick\n"
    )
    assert quick("ls quick\n") == "ls quick\n"
