"""Korean and Persian: catalogues, the choice of language, scenario text by language, the report."""

from __future__ import annotations

import gettext
import html
import io
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import browser, chromium, golden, invoke

from simulator import i18n
from simulator.cli import cli
from simulator.po import compile_po, parse_po

ROOT = Path(__file__).parent.parent
LOCALE = ROOT / "simulator" / "locale"
LANGS = ("ko", "fa")
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def _entries(lang: str) -> list[dict[str, object]]:
    path = LOCALE / lang / "LC_MESSAGES" / "exposure.po"
    return [e for e in parse_po(path.read_text(encoding="utf-8"), str(path)) if e["msgid"]]


def _template() -> set[str]:
    text = (LOCALE / "exposure.pot").read_text(encoding="utf-8")
    return {str(e["msgid"]) for e in parse_po(text) if e["msgid"]}


@pytest.mark.parametrize("lang", LANGS)
def test_every_template_message_is_translated_with_its_placeholders(lang):
    entries = {str(e["msgid"]): e for e in _entries(lang)}
    missing = sorted(_template() - set(entries))
    assert not missing, f"{lang}: not in the catalogue (msgmerge it): {missing[:3]}"
    for msgid in _template():
        entry = entries[msgid]
        strings = [str(s) for s in entry.get("msgstr", [])]  # type: ignore[attr-defined]
        assert strings and all(strings), f"{lang}: untranslated: {msgid!r}"
        assert not entry.get("fuzzy"), f"{lang}: fuzzy: {msgid!r}"
        forms = [msgid, str(entry.get("msgid_plural", msgid))]
        for i, text in enumerate(strings):
            source = forms[min(i, 1)] if len(strings) > 1 else msgid
            expected = set(PLACEHOLDER.findall(source))
            if "msgid_plural" in entry and len(strings) == 1:
                # One form for every count (Korean) is filled as the English plural is.
                expected = set(PLACEHOLDER.findall(forms[1]))
            # The same placeholders, each spelled as in the source (a sentence may name one twice).
            assert set(PLACEHOLDER.findall(text)) == expected, (lang, msgid, text)
            # A fragment glued to another keeps its glue.
            assert text[:1].isspace() == msgid[:1].isspace(), (lang, msgid, text)
            assert text[-1:].isspace() == msgid[-1:].isspace(), (lang, msgid, text)


@pytest.mark.parametrize("lang", LANGS)
def test_compiled_catalogue_gives_every_translation(lang):
    path = LOCALE / lang / "LC_MESSAGES" / "exposure.po"
    catalogue = gettext.GNUTranslations(io.BytesIO(compile_po(path.read_text(encoding="utf-8"))))
    assert catalogue.info()["language"] == lang
    for entry in _entries(lang):
        strings = [str(s) for s in entry["msgstr"]]  # type: ignore[union-attr]
        if not all(strings):
            continue  # untranslated: the test above names it
        if "msgid_plural" in entry:
            got = catalogue.ngettext(str(entry["msgid"]), str(entry["msgid_plural"]), 1)
            assert got == strings[0]
        else:
            assert catalogue.gettext(str(entry["msgid"])) == strings[0]


def test_po_reader_handles_continuations_plurals_and_fuzzy():
    text = (
        'msgid ""\nmsgstr ""\n"Language: ko\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Plural-Forms: nplurals=1; plural=0;\\n"\n\n'
        '#, fuzzy\nmsgid "old"\nmsgstr "낡은"\n\n'
        'msgid "a "\n"long one"\nmsgstr "긴 "\n"문장"\n\n'
        'msgid "{n} day"\nmsgid_plural "{n} days"\nmsgstr[0] "{n}일"\n\n'
        'msgid "untranslated"\nmsgstr ""\n'
    )
    catalogue = gettext.GNUTranslations(io.BytesIO(compile_po(text)))
    assert catalogue.gettext("a long one") == "긴 문장"
    assert catalogue.gettext("old") == "old"  # fuzzy entries are left out, as msgfmt does
    assert catalogue.gettext("untranslated") == "untranslated"
    assert catalogue.ngettext("{n} day", "{n} days", 5) == "{n}일"


def test_the_wheel_ships_the_catalogues_compiled(tmp_path):
    from hatchling.builders.wheel import WheelBuilder

    wheel = next(
        iter(WheelBuilder(str(ROOT)).build(directory=str(tmp_path), versions=["standard"]))
    )
    with zipfile.ZipFile(wheel) as archive:
        for lang in LANGS:
            data = archive.read(f"simulator/locale/{lang}/LC_MESSAGES/exposure.mo")
            catalogue = gettext.GNUTranslations(io.BytesIO(data))
            assert catalogue.gettext("What this model leaves out") != "What this model leaves out"


# ----------------------------------------------------------------------------- choosing


def _first_line(*args: str, **env: str) -> str:
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()[-1]


def test_lang_flag_then_environment_then_locale(monkeypatch):
    english = _first_line("list")
    assert english.startswith("*") and "exercise" in english
    korean = _first_line("--lang", "ko", "list")
    assert re.search("[가-힣]", korean)
    assert _first_line("list", "--lang", "ko") == korean  # on the command as well as before it
    monkeypatch.setenv("EXPOSURE_LANG", "fa")
    i18n.choose(None)
    persian = _first_line("list")
    assert re.search("[\u0600-\u06ff]", persian)
    assert _first_line("--lang", "en", "list") == english  # the flag wins
    monkeypatch.delenv("EXPOSURE_LANG")
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANG", "ko_KR.UTF-8")
    i18n.choose(None)
    assert _first_line("list") == korean
    monkeypatch.setenv("LANGUAGE", "xx:fa")  # a list: the first one spoken
    i18n.choose(None)
    assert _first_line("list") == persian
    monkeypatch.setenv("LANGUAGE", "")
    monkeypatch.setenv("LC_ALL", "de_DE.UTF-8")  # set but not spoken: English, not LANG's Korean
    i18n.choose(None)
    assert _first_line("list") == english


def test_unknown_language_is_one_line_and_exit_2(monkeypatch):
    result = invoke("--lang", "de", "list")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "`de`" in result.stderr and "ko" in result.stderr
    monkeypatch.setenv("EXPOSURE_LANG", "xx")
    i18n.choose(None)
    result = invoke("list")
    assert result.exit_code == 2 and result.stderr.startswith("EXPOSURE_LANG: ")
    assert invoke("list", "--lang", "ko").exit_code == 0  # the flag overrides a bad variable


def test_korean_particles_follow_the_word_before_them():
    i18n.choose("ko")
    fill = i18n.Message("{x}은(는) {y}을(를) {z}(으)로 {w}이(가)").format
    assert fill(x="인민반장", y="손전화", z="집", w="손님") == "인민반장은 손전화를 집으로 손님이"
    assert fill(x="109상무", y="기록", z="전파탐지", w="62%") == "109상무는 기록을 전파탐지로 62%가"
    assert fill(x="서울", y="1", z="길", w="“숙박등록”") == "서울은 1을 길로 “숙박등록”이"
    # A parenthesis after the word is read past: "62%(55–69%)" ends, for the ear, in "%".
    assert i18n.Message("{p}이(가)").format(p="62%(55–69%)") == "62%(55–69%)가"
    i18n.choose("en")
    assert i18n.Message("{x}은(는)").format(x="a") == "a은(는)"  # only Korean settles particles


def test_persian_numbers_use_persian_digits_and_separators():
    i18n.choose("fa")
    assert i18n.numerals("62% (55–69%), 1,999 people, 3.4") == "۶۲٪ (۵۵–۶۹٪), ۱٬۹۹۹ people, ۳٫۴"
    # Placeholders are filled with Persian digits; code in backticks keeps its digits.
    assert i18n._("{n} days").format(n=12) != f"{12} days"
    assert "۱۲" in i18n._("{n} days").format(n=12)
    i18n.choose("en")
    assert i18n.numerals("62%") == "62%"


# ----------------------------------------------------------------------------- scenario text


def _translated_scenario(tmp_path: Path, extra: str = "") -> Path:
    text = (ROOT / "scenarios" / "block-committee.yaml").read_text(encoding="utf-8")
    text = re.sub(
        r"^title: (.*)$",
        "languages: [en, ko]\n" + r'title: {en: "\1", ko: "블록 위원회"}' + extra,
        text,
        count=1,
        flags=re.M,
    )
    path = tmp_path / "guest.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_scenario_text_in_the_readers_language(tmp_path):
    path = str(_translated_scenario(tmp_path))
    assert invoke("show", path).stdout.startswith("The block committee\n")
    assert invoke("--lang", "ko", "show", path).stdout.startswith("블록 위원회\n" + "=" * 11 + "\n")
    # Persian is not given: the scenario's own language, English.
    assert invoke("--lang", "fa", "show", path).stdout.startswith("The block committee\n")


def test_validate_names_each_text_missing_a_declared_language(tmp_path):
    path = str(_translated_scenario(tmp_path))
    result = invoke("validate", path)
    assert result.exit_code == 0
    warnings = result.stderr.splitlines()
    assert warnings and all("no `ko` text" in w for w in warnings)
    assert not any(": title: " in w for w in warnings)  # the title has its Korean
    assert any(": summary: " in w for w in warnings)
    assert any(": exercise.choices.0.label: " in w for w in warnings)


@pytest.mark.parametrize(
    "title, message",
    [
        ('{EN: "x"}', "language codes"),
        ("{en: 5}", "must be text"),
        ("{}", "at least one"),
    ],
)
def test_a_bad_text_by_language_is_refused(tmp_path, title, message):
    path = tmp_path / "bad.yaml"
    text = (ROOT / "scenarios" / "block-committee.yaml").read_text(encoding="utf-8")
    path.write_text(re.sub(r"^title: .*$", f"title: {title}", text, count=1, flags=re.M))
    result = invoke("validate", str(path))
    assert result.exit_code == 2
    assert "title" in result.stderr and message in result.stderr


def test_old_name_of_the_tehran_scenario_still_works_with_a_note():
    result = invoke("show", "siam-protest")
    assert result.exit_code == 0
    assert "now called `tehran-protest`" in result.stderr


# ----------------------------------------------------------------------------- in a browser


def _hangul_fonts() -> set[str]:
    """Families of the installed fonts that have Hangul, as a PDF names them (no spaces)."""
    if shutil.which("fc-list") is None:
        return set()
    out = subprocess.run(
        ["fc-list", ":lang=ko", "family"], capture_output=True, text=True, check=False
    ).stdout
    return {f.replace(" ", "") for line in out.splitlines() for f in line.split(",") if f}


@pytest.mark.skipif(
    chromium() is None or not _hangul_fonts(),
    reason="no chromium or no Hangul font (.ci/run installs chromium and fonts-nanum)",
)
def test_korean_report_is_drawn_in_a_hangul_font(tmp_path):
    out = tmp_path / "report.html"
    result = invoke("--lang", "ko", "report", "border-phone", "--runs", "20", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    assert '<html lang="ko" dir="ltr">' in page
    assert len(re.findall("[가-힣]", page)) > 2000  # the page is Korean, not English with a title
    pdf = tmp_path / "report.pdf"
    browser(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", out.resolve().as_uri())
    used = {
        name.split("+", 1)[-1]
        for name in re.findall(rb"/BaseFont\s*/([A-Za-z0-9+\-_,]+)", pdf.read_bytes())
        for name in [name.decode()]
    }
    hangul = {u for u in used if any(u.startswith(f) for f in _hangul_fonts())}
    # Without a font that has Hangul the letters would be drawn as empty boxes from a Latin font.
    assert hangul, f"no Hangul font drew the page: {sorted(used)}"


_PROBE = """<script>
const probe = (el) => {
  const range = document.createRange(); range.selectNodeContents(el);
  const text = range.getBoundingClientRect(), box = el.getBoundingClientRect();
  return {dir: getComputedStyle(el).direction, left: Math.round(text.left - box.left),
          right: Math.round(box.right - text.right)};
};
document.body.setAttribute('data-probe', JSON.stringify({
  heading: probe(document.querySelector('h2')),
  cell: getComputedStyle(document.querySelector('td')).textAlign,
}));
</script>"""


@pytest.mark.skipif(chromium() is None, reason="no chromium (.ci/run installs it)")
def test_persian_report_reads_right_to_left_in_abrowser(tmp_path):
    out = tmp_path / "report.html"
    result = invoke("--lang", "fa", "report", "tehran-protest", "--runs", "20", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    assert '<html lang="fa" dir="rtl">' in page
    # The page forbids scripts; a copy without that rule measures where the browser put the text.
    probe = tmp_path / "probe.html"
    probe.write_text(
        re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page).replace(
            "</body>", _PROBE + "</body>"
        ),
        encoding="utf-8",
    )
    dom = browser(tmp_path, "--dump-dom", probe.resolve().as_uri()).stdout
    found = re.search(r'data-probe="([^"]*)"', dom)
    assert found, "the browser ran no probe"
    measured = json.loads(html.unescape(found.group(1)))
    heading = measured["heading"]
    assert heading["dir"] == "rtl"
    # A right-to-left heading starts at the right edge and leaves its room on the left.
    assert heading["right"] <= 2 < heading["left"], heading
    assert measured["cell"] == "start"


# ----------------------------------------------------------------------------- Korean throughout

NORTH_KOREAN = ("border-phone", "overnight-guest", "pandemic-controls", "city")
# Words that stay as they are in Korean text: the program's name, file formats, a hash's name.
KEPT = {"Exposure", "SVG", "SHA-256", "RMB", "min", "tau", "exp", "NK", "DPRK", "UN"}
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'’-]*")


def _english_left(scenario: str, text: str) -> set[str]:
    """Latin words in Korean output that are neither code, addresses, titles, names nor units.

    Publication titles and authors' names stay as published (a reader needs them to look a
    source up): every word of the scenario's English source citations counts as a proper noun.
    """
    from simulator.scenario import bundled_names, read_document

    doc, _label = read_document(scenario)
    proper = set(KEPT) | set(bundled_names())  # a scenario's name is what one types
    for source in doc.data.get("sources", {}).values():
        cite = source["cite"]
        proper |= set(LATIN_WORD.findall(cite["en"] if isinstance(cite, dict) else cite))
    text = " ".join(text.split())  # titles wrapped over two lines are still one quotation
    text = re.sub(r"`[^`]*`", " ", text)  # code: commands, keys
    text = re.sub(r"https?://\S+|\S+\.(?:svg|yaml|html|md)\b|--[a-z-]+", " ", text)
    text = re.sub(
        r"\"[^\"]*\"|“[^”]*”", lambda m: m.group() if re.search("[가-힣]", m.group()) else " ", text
    )
    text = re.sub(r"\b[0-9a-f]{64}\b", " ", text)  # a file's hash
    return {w for w in LATIN_WORD.findall(text) if w not in proper and len(w) > 1}


@pytest.mark.parametrize("scenario", NORTH_KOREAN)
def test_korean_output_has_no_english_left(scenario, tmp_path):
    size = ["--people", "20000"] if scenario == "city" else []
    outputs = [
        invoke("--lang", "ko", "show", scenario),
        invoke("--lang", "ko", "run", scenario, "--runs", "10", *size),
        invoke("--lang", "ko", "trace", scenario, "--seed", "2", *size),
    ]
    report = tmp_path / "report.md"
    outputs.append(
        invoke("--lang", "ko", "report", scenario, "--runs", "4", *size, "-o", str(report))
    )
    assert all(r.exit_code == 0 for r in outputs), [r.stderr for r in outputs]
    text = "\n".join(r.stdout for r in outputs) + report.read_text(encoding="utf-8")
    assert len(re.findall("[가-힣]", text)) > 3000
    assert _english_left(scenario, text) == set()


def test_korean_show_border_phone_golden():
    result = invoke("--lang", "ko", "show", "border-phone")
    assert result.exit_code == 0
    golden("show-border-phone-ko.txt", result.stdout)


@pytest.mark.parametrize("scenario", ["border-phone", "overnight-guest"])
def test_exercise_plays_through_in_korean(scenario):
    result = CliRunner().invoke(
        cli,
        ["--lang", "ko", "exercise", scenario, "--seed", "3", "--runs", "4"],
        input="2\n" * 20,
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr
    assert len(re.findall("[가-힣]", result.stdout)) > 1000
    assert _english_left(scenario, result.stdout) == set()


@pytest.mark.parametrize(
    "args, korean",
    [
        (["run", "border-phone", "--runs", "0"], "'--runs'의 값이 잘못되었습니다: 0은 "),
        (["rn"], "'rn'이라는 명령은 없습니다. 'run'을 뜻했습니까?"),
        (["run", "border-phon"], "(`border-phone`를 뜻했습니까?)"),
        (["seize", "group-chat"], "누구의 손전화인지"),
    ],
)
def test_errors_a_trainer_meets_are_in_korean_with_their_particles_settled(args, korean):
    result = invoke("--lang", "ko", *args)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and korean in result.stderr, result.stderr


def test_an_existing_file_is_refused_in_korean(tmp_path):
    out = tmp_path / "r.md"
    out.write_text("keep", encoding="utf-8")
    result = invoke("--lang", "ko", "report", "border-phone", "--runs", "2", "-o", str(out))
    assert result.exit_code == 2
    assert "이미 있습니다. 덮어쓰려면 --force를 더하십시오" in result.stderr
    assert out.read_text(encoding="utf-8") == "keep"


def test_the_language_changes_words_never_results():
    runs = {}
    for lang in ("en", "ko"):
        result = invoke("--lang", lang, "run", "border-phone", "--runs", "30", "--format", "json")
        runs[lang] = json.loads(result.stdout)
    assert runs["en"]["scenario"]["title"] != runs["ko"]["scenario"]["title"]
    assert runs["en"]["roles"] == runs["ko"]["roles"]
