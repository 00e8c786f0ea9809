"""Property tests over hostile input for diff packing: whatever the file names and the budget, a packed
commit stays within its budget, always carries the complete file list (listed, or counted in collapsed
directory lines), keeps each file to one line, and carries no planted secret."""

from __future__ import annotations

import re
import string

from hypothesis import given, settings
from hypothesis import strategies as st

from commitwatch.analysis.budget import pack_commit, raw_estimate
from commitwatch.redact import redact_commit
from tests.fakes import file_change, make_commit, make_triage
from tests.hostile import SECRETS, surviving

_NAME = st.text(alphabet=string.ascii_letters + string.digits + "/._- \n\t|#<>[]()`*\u202e\u200b中", min_size=1,
                max_size=30).filter(lambda s: s.strip("/") != "")
_COLLAPSED = re.compile(r"\((\d+) more files, \+\d+/-\d+\) \[collapsed\]$")
_NOT_LISTED = re.compile(r"^\[… (\d+) more files not listed\]$")


def _files_section(text: str) -> list[str]:
    section = text.split("## Files (", 1)[1].split("\n\n", 1)[0]
    return section.split("\n")[1:]


@settings(max_examples=60, deadline=None)
@given(names=st.lists(_NAME, min_size=1, max_size=60, unique=True), budget=st.integers(min_value=200, max_value=4000),
       secret=st.sampled_from(sorted(SECRETS)))
def test_packing_keeps_the_whole_file_list_within_budget_and_no_secret(names, budget, secret):
    text, _ = SECRETS[secret]
    files = [file_change(f"d{i % 7}/{name}", lines=[f"x = {j}  # {text}" for j in range(i % 5 + 1)])
             for i, name in enumerate(names)]
    commit, _ = redact_commit(make_commit(3, "feat: " + text, files, body=text))
    packed = pack_commit(commit, make_triage(commit), budget)
    assert raw_estimate(packed.text) <= max(budget, 200)
    assert f"## Files ({len(files)} changed" in packed.text
    lines = _files_section(packed.text)
    counted = 0
    for line in lines:
        collapsed, not_listed = _COLLAPSED.search(line), _NOT_LISTED.match(line)
        counted += int(collapsed.group(1)) if collapsed else int(not_listed.group(1)) if not_listed else 1
    assert counted == len(files), lines  # every file is listed or counted: the list is never dropped
    assert surviving(packed.text) == []
