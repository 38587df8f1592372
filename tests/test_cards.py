"""Printable cards: one card per role at risk, habit, observer and check; a self-contained page
that loads nothing; the output contract; and a browser's print of it, page by page."""

from __future__ import annotations

import html.parser
import re
from pathlib import Path

import pytest
from conftest import browser, chromium, invoke

from simulator.scenario import load

HOSTILE = "<script>alert(1)</script>"


class _Cards(html.parser.HTMLParser):
    """The cards of the page by kind, each with its title, and every tag and attribute seen."""

    def __init__(self) -> None:
        super().__init__()
        self.cards: list[tuple[str, str]] = []  # (kind, title)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._kind: str | None = None
        self._in_title = False
        self._title = ""
        self.html_attrs: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "html":
            self.html_attrs = a
        classes = (a.get("class") or "").split()
        if tag == "section" and "card" in classes:
            self._kind = next(c for c in classes if c != "card")
        if tag == "h2" and self._kind is not None:
            self._in_title, self._title = True, ""

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2" and self._in_title:
            self._in_title = False
            assert self._kind is not None
            self.cards.append((self._kind, self._title.strip()))
            self._kind = None


def _parse(text: str) -> _Cards:
    parser = _Cards()
    parser.feed(text)
    return parser


def _write(tmp: Path, *args: str) -> str:
    out = tmp / "cards.html"
    result = invoke("cards", *args, "--runs", "20", "--seed", "3", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.stderr.strip().splitlines() == [result.stderr.strip()], result.stderr
    assert str(out) in result.stderr
    return out.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def border_phone(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _write(tmp_path_factory.mktemp("cards"), "border-phone")


def test_one_card_per_role_at_risk_habit_observer_and_check(border_phone):
    s = load("border-phone").scenario
    cards = _parse(border_phone).cards
    by_kind: dict[str, list[str]] = {}
    for kind, title in cards:
        by_kind.setdefault(kind, []).append(title)
    at_risk = [r for r in s.population.roles if s.at_risk(r)]
    assert sorted(by_kind["persona"]) == sorted(s.role_label(r) for r in at_risk)
    assert sorted(by_kind["habit"]) == sorted(
        cm.label or name for name, cm in s.countermeasures.items()
    )
    assert sorted(by_kind["observer"]) == sorted(s.observer_label(o) for o in s.observers)
    assert sorted(by_kind["check"]) == sorted(s.check_label(c) for c in s.checks)
    assert len(by_kind["persona"]) == 2 and len(by_kind["habit"]) == 8
    assert len(by_kind["observer"]) == 3 and len(by_kind["check"]) == 2


def test_habit_cards_give_cost_effort_and_a_paired_change_with_its_interval(border_phone):
    s = load("border-phone").scenario
    page = border_phone
    for cm in s.countermeasures.values():
        assert cm.cost.strip().split()[0] in page
    # One row per role at risk on every habit card: from → to, a change in points with an
    # interval (or no change at all).
    rows = re.findall(r'<tr class="(clear|unclear)"><th scope="row">([^<]+)</th>', page)
    assert len(rows) == 8 * 2
    changes = re.findall(r'<td class="num">[^<]* → [^<]*</td><td>([^<]*)</td></tr>', page)
    assert len(changes) == len(rows)
    assert all(re.search(r"pts? \(.+ to .+\)|no change", c) for c in changes), changes
    assert "Effort:" in page


def test_the_facilitator_sheet_has_timing_questions_limits_and_the_note(border_phone):
    s = load("border-phone").scenario
    sheet = border_phone[border_phone.index('<section class="sheet">') :]
    assert "Timing of the session" in sheet and "90 min" in sheet
    assert "Debrief questions" in sheet
    assert sheet.count("<li>") >= 5 + len(s.limits)
    assert "What this model leaves out" in sheet
    assert "not a prediction for any person" in sheet
    # The first line of each limit, escaped as HTML would have it.
    for limit in s.limits:
        assert limit.strip()[:30].replace('"', "&#34;") in sheet


def test_the_page_runs_nothing_and_loads_nothing(border_phone):
    page = border_phone
    assert "<script" not in page.lower()
    parser = _parse(page)
    for tag, attrs in parser.tags:
        assert tag not in ("script", "img", "link", "iframe", "object", "embed"), tag
        assert not {"src", "href", "srcset", "action"} & set(attrs), (tag, attrs)
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
    assert "url(" not in page and "@import" not in page
    assert "default-src 'none'; style-src 'unsafe-inline'; img-src data:" in page, (
        "the Content-Security-Policy of the report"
    )
    assert parser.html_attrs == {"lang": "en", "dir": "ltr"}


def test_scenario_text_is_escaped(tmp_path):
    page = _write(
        tmp_path,
        "border-phone",
        "--set",
        f"population.roles.source.label={HOSTILE}",
        "--set",
        f"countermeasures.fewer_calls.cost={HOSTILE}",
    )
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert ("persona", HOSTILE) in _parse(page).cards


def test_an_existing_file_is_replaced_only_with_force(tmp_path):
    out = tmp_path / "cards.html"
    out.write_text("keep me", encoding="utf-8")
    refused = invoke("cards", "border-phone", "--runs", "5", "-o", str(out))
    assert refused.exit_code == 2
    assert "already exists" in refused.stderr and "--force" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert out.read_text(encoding="utf-8") == "keep me"
    forced = invoke("cards", "border-phone", "--runs", "5", "-o", str(out), "--force")
    assert forced.exit_code == 0, forced.output
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert forced.stderr.startswith(f"wrote {out} (")


def test_cards_are_html_only(tmp_path):
    result = invoke("cards", "border-phone", "-o", str(tmp_path / "cards.pdf"))
    assert result.exit_code == 2
    assert "one .html file" in result.stderr
    assert not (tmp_path / "cards.pdf").exists()


def test_the_language_is_the_page_s(tmp_path):
    page = _write(tmp_path, "--lang", "fa", "tehran-protest")
    assert _parse(page).html_attrs == {"lang": "fa", "dir": "rtl"}


# ----------------------------------------------------------------------------- printed


def _print(page: Path, pdf: Path, tmp_path: Path) -> bytes:
    browser(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.resolve().as_uri())
    return pdf.read_bytes()


def _pages_of_each_card(pdf: bytes) -> list[set[int]] | None:
    """For each card (each child of the deck in the PDF's structure tree), the pages its content
    is drawn on; None if the PDF is not tagged."""
    objects = {int(m[1]): m[2] for m in re.finditer(rb"(\d+) 0 obj(.*?)endobj", pdf, re.DOTALL)}
    pages = [k for k, v in objects.items() if re.search(rb"/Type\s*/Page\b", v)]
    number = {k: i + 1 for i, k in enumerate(pages)}

    def kids(k: int) -> list[int]:
        found = re.search(rb"/K\s*(\[[^\]]*\]|\d+ 0 R)", objects[k])
        refs = [int(x) for x in re.findall(rb"(\d+) 0 R", found[1])] if found else []
        return [r for r in refs if b"/StructElem" in objects.get(r, b"")]

    def on(k: int) -> set[int]:
        page = re.search(rb"/Pg (\d+) 0 R", objects[k])
        found = {number[int(page[1])]} if page else set()
        for kid in kids(k):
            found |= on(kid)
        return found

    document = next((k for k, v in objects.items() if b"/S /Document" in v), None)
    if document is None:
        return None
    deck = max(kids(document), key=lambda k: len(kids(k)))
    return [on(card) for card in kids(deck)]


@pytest.mark.skipif(
    chromium() is None,
    reason="no chromium to print the cards (.ci/run installs Debian's chromium)",
)
@pytest.mark.parametrize(("paper", "fewest", "most"), [("A4", 3, 6), ("letter", 3, 7)])
def test_the_cards_print_on_a4_and_letter_without_splitting_a_card(
    border_phone, tmp_path, paper, fewest, most
):
    # The file leaves the paper to the printer; here it is fixed, as a printer's setting would.
    page = tmp_path / f"cards-{paper}.html"
    page.write_text(
        border_phone.replace(
            "@page { margin: 12mm; }", f"@page {{ size: {paper}; margin: 12mm; }}"
        ),
        encoding="utf-8",
    )
    assert page.read_text(encoding="utf-8") != border_phone
    pdf = _print(page, tmp_path / f"cards-{paper}.pdf", tmp_path)
    count = len(re.findall(rb"/Type\s*/Page\b", pdf))
    # 16 cards at six (or, with tall ones, four) a page, and the facilitator sheet on its own.
    assert fewest <= count <= most, count
    width, height = (float(x) for x in re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)[0])
    assert (round(width), round(height)) == ((595, 842) if paper == "A4" else (612, 792))
    cards = _pages_of_each_card(pdf)
    if cards is None:
        pytest.skip("this chromium writes untagged PDFs: cards cannot be told apart")
    assert len(cards) == 16
    assert all(len(pages) == 1 for pages in cards), f"a card is split across pages: {cards}"
    # The sheet starts on a page of its own, after the last card.
    assert max(min(p) for p in cards) < count


def test_the_structure_reader_sees_a_split(tmp_path):
    """_pages_of_each_card tells a card drawn on two pages (a hand-made tagged PDF)."""
    pdf = b"".join(
        [
            b"1 0 obj<</Type /Page>>endobj 2 0 obj<</Type /Page>>endobj ",
            b"3 0 obj<</Type /StructElem /S /Document /K [4 0 R]>>endobj ",
            b"4 0 obj<</Type /StructElem /S /NonStruct /K [5 0 R 6 0 R]>>endobj ",
            b"5 0 obj<</Type /StructElem /S /NonStruct /Pg 1 0 R /K 0>>endobj ",
            b"6 0 obj<</Type /StructElem /S /NonStruct /K [7 0 R 8 0 R]>>endobj ",
            b"7 0 obj<</Type /StructElem /S /P /Pg 1 0 R /K 1>>endobj ",
            b"8 0 obj<</Type /StructElem /S /P /Pg 2 0 R /K 0>>endobj ",
        ]
    )
    assert _pages_of_each_card(pdf) == [{1}, {1, 2}]
