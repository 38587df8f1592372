"""The README quotes real output: its example sentence is the one `exposure run` prints today.

After a change of output that is meant, `EXPOSURE_REFRESH_GOLDEN=1 python3 -m pytest
tests/test_readme.py` rewrites the quote in README.md from the real command.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from conftest import REFRESH, invoke, prose

README = Path(__file__).parent.parent / "README.md"
# The quote is the block of "> " lines after this sentence.
LEAD = "`run` prints a table and one sentence per role at risk, for example:\n\n"
QUOTE = re.compile(re.escape(LEAD) + r"((?:> .*\n)+)")


def test_the_readme_quotes_what_exposure_run_prints():
    result = invoke("run")  # the README's own command: the default scenario, default seed
    assert result.exit_code == 0, result.output
    found = re.search(r"The reporting partner is [^.]*\.", prose(result.stdout))
    assert found, result.stdout
    sentence = found.group(0)
    text = README.read_text(encoding="utf-8")
    match = QUOTE.search(text)
    assert match, "README.md lost its example quote"
    quoted = " ".join(line[2:] for line in match.group(1).splitlines())
    if REFRESH and quoted != sentence:
        block = "".join(f"> {line}\n" for line in textwrap.wrap(sentence, 98))
        README.write_text(text[: match.start(1)] + block + text[match.end(1) :], encoding="utf-8")
        quoted = sentence
    assert quoted == sentence, (
        "README.md's example is stale; refresh with EXPOSURE_REFRESH_GOLDEN=1"
    )
