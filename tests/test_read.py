"""``kg.read``: every input form gives its records with a precise source; bad content is a value."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from conftest import CTGOV, RECORD_FILES, SEED

from kg import read
from kg.errors import InputError, RecordError
from kg.read import Record, records

PAGE = CTGOV / "page-cyanheads-2025-06-17T11-15-33.json"
STUDY_FILES = RECORD_FILES


def _one(items: list) -> Record | RecordError:
    assert len(items) == 1, items
    return items[0]


def _study(nct_id: str | None, **extra: object) -> dict:
    ident = {"nctId": nct_id} if nct_id else {"briefTitle": "no id"}
    return {"protocolSection": {"identificationModule": ident}, **extra}


def test_single_study_file():
    path = CTGOV / "NCT03418623.json"
    item = _one(list(records([path])))
    assert isinstance(item, Record)
    assert item.source == str(path)
    assert item.nct_id == "NCT03418623"
    assert item.data == json.loads(path.read_text(encoding="utf-8"))


def test_a_single_path_is_not_taken_for_a_list_of_characters():
    item = _one(list(records(str(CTGOV / "NCT03418623.json"))))
    assert item.nct_id == "NCT03418623"


def test_api_page_gives_one_record_per_study():
    item = _one(list(records([PAGE])))
    assert isinstance(item, Record)
    assert item.source == f"{PAGE}#studies[0]"
    assert item.nct_id == "NCT05147467"
    assert item.data == json.loads(PAGE.read_text(encoding="utf-8"))["studies"][0]


def test_json_lines_bad_line_in_the_middle(tmp_path):
    path = tmp_path / "data.jsonl"
    lines = [
        json.dumps(_study("NCT00000001")),
        json.dumps(_study("NCT00000002")),
        '{"protocolSection": {"identificationModule": {"nctId": "NCT00000003", ',
        "",
        json.dumps(_study("NCT00000004")),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items = list(records([path]))
    assert [i.source for i in items] == [f"{path}:{n}" for n in (1, 2, 3, 5)]
    good = [i.nct_id for i in items if isinstance(i, Record)]
    assert good == ["NCT00000001", "NCT00000002", "NCT00000004"]
    error = items[2]
    assert isinstance(error, RecordError)
    assert error.path == "$"
    assert error.nct_id == "NCT00000003"
    assert "invalid JSON" in error.problem and "line 3" in error.problem


def test_json_lines_are_recognised_by_content(tmp_path):
    path = tmp_path / "dump.txt"
    path.write_text(
        "\n".join(json.dumps(_study(f"NCT0000000{n}")) for n in (1, 2)) + "\n", encoding="utf-8"
    )
    items = list(records([path]))
    assert [(i.source, i.nct_id) for i in items] == [
        (f"{path}:1", "NCT00000001"),
        (f"{path}:2", "NCT00000002"),
    ]


def test_one_line_json_file_is_a_document_not_json_lines(tmp_path):
    path = tmp_path / "one.json"
    path.write_text(json.dumps(_study("NCT00000001")) + "\n\n", encoding="utf-8")
    assert _one(list(records([path]))).source == str(path)


def test_shared_directory_in_sorted_order_without_the_markdown():
    items = list(records([CTGOV]))
    assert all(isinstance(i, Record) for i in items)
    assert len(items) == 15
    assert [i.source for i in items] == [*map(str, STUDY_FILES), f"{PAGE}#studies[0]"]
    assert not any("SOURCES.md" in i.source for i in items)


def test_directory_recurses_and_skips_hidden_and_unknown_files(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "b" / "x.json").write_text(json.dumps(_study("NCT00000002")))
    (tmp_path / "a.ndjson").write_text(json.dumps(_study("NCT00000001")) + "\n")
    (tmp_path / "c.json").write_text(json.dumps(_study("NCT00000003")))
    (tmp_path / ".d.json").write_text("not read")
    (tmp_path / ".hidden" / "e.json").write_text("not read")
    (tmp_path / "notes.md").write_text("not read")
    (tmp_path / "data.csv").write_text("not read")
    items = list(records([tmp_path]))
    assert [i.nct_id for i in items] == ["NCT00000001", "NCT00000002", "NCT00000003"]
    assert items[0].source == f"{tmp_path / 'a.ndjson'}:1"
    assert items[1].source == str(tmp_path / "b" / "x.json")


def test_bulk_zip_is_read_in_name_order_without_extracting(tmp_path, monkeypatch):
    archive = tmp_path / "ctg-studies.json.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in reversed(STUDY_FILES[:3]):
            zf.write(path, path.name)
        zf.write(STUDY_FILES[3], f"more/{STUDY_FILES[3].name}")
        zf.writestr("more/", "")
        zf.writestr("README.txt", "not a record")
        zf.writestr("__MACOSX/._NCT00000000.json", b"\x00\x05\x16\x07")
    monkeypatch.setattr(zipfile.ZipFile, "extract", None)
    monkeypatch.setattr(zipfile.ZipFile, "extractall", None)
    items = list(records([archive]))
    names = [p.name for p in STUDY_FILES[:3]] + [f"more/{STUDY_FILES[3].name}"]
    assert [i.source for i in items] == [f"{archive}!{name}" for name in names]
    assert all(isinstance(i, Record) for i in items)
    assert [i.nct_id for i in items] == [p.stem for p in STUDY_FILES[:4]]
    assert items[0].data == json.loads(STUDY_FILES[0].read_text(encoding="utf-8"))
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["ctg-studies.json.zip"]


def test_bad_zip_member_is_an_error_and_the_others_are_read(tmp_path):
    archive = tmp_path / "studies.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("NCT99999999.json", '{"protocolSection": ')
        zf.write(STUDY_FILES[0], STUDY_FILES[0].name)
    good, bad = records([archive])
    assert isinstance(bad, RecordError)
    assert bad.source == f"{archive}!NCT99999999.json"
    assert bad.nct_id == "NCT99999999"
    assert bad.path == "$" and "invalid JSON" in bad.problem
    assert isinstance(good, Record) and good.nct_id == STUDY_FILES[0].stem


def test_file_that_is_not_a_zip_despite_its_name(tmp_path):
    path = tmp_path / "ctg-studies.json.zip"
    path.write_text("{}")
    error = _one(list(records([path])))
    assert isinstance(error, RecordError)
    assert (error.source, error.path) == (str(path), "$")
    assert "not a readable zip archive" in error.problem


def test_stdin_argument_and_default(monkeypatch):
    raw = (CTGOV / "NCT03418623.json").read_bytes()
    item = _one(list(records(["-"], stdin=io.BytesIO(raw))))
    assert (item.source, item.nct_id) == ("<stdin>", "NCT03418623")
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(PAGE.read_bytes())))
    item = _one(list(records(["-"])))
    assert (item.source, item.nct_id) == ("<stdin>#studies[0]", "NCT05147467")


def test_records_are_read_one_at_a_time():
    lines = b"".join(json.dumps(_study(f"NCT0000000{n}")).encode() + b"\n" for n in range(5))
    stdin = io.BytesIO(lines)
    stream = records(["-"], stdin=stdin)
    assert next(stream).nct_id == "NCT00000000"
    assert stdin.tell() < len(lines)
    assert [i.nct_id for i in stream][-1] == "NCT00000004"


def test_seed_python_literal_dump():
    item = _one(list(records([SEED])))
    assert isinstance(item, Record)
    assert item.source == str(SEED)
    assert item.nct_id == "NCT07366658"
    assert item.data["hasResults"] is False
    assert "\u00d7" in json.dumps(item.data, ensure_ascii=False)


def test_python_literal_without_header(tmp_path):
    path = tmp_path / "study.txt"
    path.write_text(repr(_study("NCT00000001", hasResults=True)), encoding="utf-8")
    item = _one(list(records([path])))
    assert item.nct_id == "NCT00000001" and item.data["hasResults"] is True


def test_python_literal_is_never_evaluated_as_code(tmp_path):
    path = tmp_path / "evil.txt"
    path.write_text(
        "Raw JSON\n{'protocolSection': {'identificationModule': {'nctId': 'NCT00000001'}},\n"
        " 'x': __import__('os').system('touch pwned')}\n"
    )
    error = _one(list(records([path])))
    assert isinstance(error, RecordError)
    assert (error.source, error.path, error.nct_id) == (str(path), "$", "NCT00000001")
    assert "invalid Python literal" in error.problem and "line 3" in error.problem
    assert not (tmp_path / "pwned").exists()


def test_list_of_studies_file(tmp_path):
    path = tmp_path / "list.json"
    path.write_text(json.dumps([_study("NCT00000001"), _study("NCT00000002")]))
    items = list(records([path]))
    assert [(i.source, i.nct_id) for i in items] == [
        (f"{path}#[0]", "NCT00000001"),
        (f"{path}#[1]", "NCT00000002"),
    ]


def test_study_without_nct_id_is_still_a_record(tmp_path):
    path = tmp_path / "anon.json"
    path.write_text(json.dumps(_study(None)))
    item = _one(list(records([path])))
    assert isinstance(item, Record) and item.nct_id is None


def test_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(_study("NCT00000001")).encode())
    assert _one(list(records([path]))).nct_id == "NCT00000001"


def test_empty_file(tmp_path):
    path = tmp_path / "empty.json"
    path.write_text("")
    error = _one(list(records([path])))
    assert isinstance(error, RecordError)
    assert (error.source, error.path, error.problem) == (str(path), "$", "empty file")


def test_truncated_json_names_the_place_and_the_study(tmp_path):
    path = tmp_path / "cut.json"
    path.write_bytes((CTGOV / "NCT03418623.json").read_bytes()[:400])
    error = _one(list(records([path])))
    assert isinstance(error, RecordError)
    assert (error.source, error.path, error.nct_id) == (str(path), "$", "NCT03418623")
    assert error.problem.startswith("invalid JSON: ")
    assert "line " in error.problem and "column " in error.problem


def test_nct_id_of_an_error_comes_from_the_file_name(tmp_path):
    path = tmp_path / "NCT01234567.json"
    path.write_text("[1, 2")
    error = _one(list(records([path])))
    assert isinstance(error, RecordError)
    assert (error.source, error.path, error.nct_id) == (str(path), "$", "NCT01234567")
    assert "invalid JSON" in error.problem


def test_bytes_that_are_not_utf8(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes('{"x": "caf\xe9"}'.encode("latin-1"))
    error = _one(list(records([path])))
    assert isinstance(error, RecordError)
    assert (error.source, error.path) == (str(path), "$")
    assert error.problem == "not valid UTF-8 (byte 0xe9 at offset 10)"


def test_non_object_entry_in_a_page(tmp_path):
    path = tmp_path / "page.json"
    page = {"studies": [_study("NCT00000001"), [1, 2], _study("NCT00000003")], "nextPageToken": "x"}
    path.write_text(json.dumps(page))
    first, error, last = records([path])
    assert isinstance(error, RecordError)
    assert (error.source, error.path) == (str(path), "$.studies[1]")
    assert error.problem == "expected a study object, got list"
    assert (first.source, last.source) == (f"{path}#studies[0]", f"{path}#studies[2]")


@pytest.mark.parametrize(("content", "kind"), [("[[]]", "list"), ('"NCT1"', "string")])
def test_non_object_where_a_study_is_expected(tmp_path, content, kind):
    path = tmp_path / "odd.json"
    path.write_text(content)
    error = _one(list(records([path])))
    assert isinstance(error, RecordError)
    assert error.problem == f"expected a study object, got {kind}"
    assert error.path == ("$[0]" if content.startswith("[") else "$")


def test_file_over_the_size_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(read, "MAX_BYTES", 64)
    path = tmp_path / "big.json"
    path.write_text(json.dumps(_study("NCT00000001", padding="x" * 100), indent=2))
    error = _one(list(records([path])))
    assert isinstance(error, RecordError)
    assert (error.source, error.path) == (str(path), "$")
    assert error.problem == "larger than 256 MiB"


def test_missing_path_raises_before_anything_is_read(tmp_path):
    missing = tmp_path / "nope.json"
    with pytest.raises(InputError, match=r"nope\.json"):
        records([CTGOV / "NCT03418623.json", missing])


def test_characters_no_text_file_can_hold_are_replaced_and_named(tmp_path):
    """Control characters (no XML document can hold them), lone surrogates (no UTF-8 text can)
    and U+FFFF: JSON escapes them, Python literals too; each becomes U+FFFD, with a warning."""
    study = _study("NCT01234567")
    ident = study["protocolSection"]["identificationModule"]
    ident["briefTitle"] = "a\ud800b\x0bc\x00"
    ident["x\udc00"] = "paired \U0001f600, tab\t and an escaped backslash: \\ud800"
    ident["officialTitle"] = "\uffff"
    document, page = tmp_path / "study.json", tmp_path / "page.json"
    document.write_text(json.dumps(study, indent=1))
    page.write_text(json.dumps({"studies": [_study("NCT07654321"), study]}))
    literal = tmp_path / "dump.txt"
    literal.write_text("Raw JSON\n" + repr(study).replace("\\ud800", "\\x01"))
    at = "NCT01234567: $.protocolSection.identificationModule"
    warned = "cannot stand in XML or UTF-8 text; replaced by U+FFFD"
    clean_one, from_page = records([page])
    for record in (_one(list(records([document]))), from_page):
        mended = record.data["protocolSection"]["identificationModule"]
        assert mended["briefTitle"] == "a\ufffdb\ufffdc\ufffd"
        assert mended["x\ufffd"] == ident["x\udc00"]
        assert record.warnings == (
            f"{at}.briefTitle: U+0000, U+000B, U+D800 {warned}",
            f"{at}.x\ufffd (the field's name): U+DC00 {warned}",
            f"{at}.officialTitle: U+FFFF {warned}",
        )
    assert clean_one.warnings == ()
    from_literal = _one(list(records([literal])))
    assert from_literal.data["protocolSection"]["identificationModule"]["briefTitle"] == (
        "a\ufffdb\ufffdc\ufffd"
    )
    assert len(from_literal.warnings) == 3
    lines = tmp_path / "studies.jsonl"
    lines.write_text(json.dumps(_study("NCT07654321")) + "\n" + json.dumps(study) + "\n")
    first, second = records([lines])
    assert (first.warnings, len(second.warnings)) == ((), 3)
    raw = tmp_path / "raw.json"  # not escaped: U+FFFF as UTF-8, a control in a Python literal
    raw.write_text(json.dumps(_study("NCT01234567", note="\uffff"), ensure_ascii=False))
    raw_literal = tmp_path / "raw.txt"
    raw_literal.write_text(
        "Raw JSON\n" + repr(_study("NCT01234567", note="")).replace("''", "'\x01'")
    )
    for path in (raw, raw_literal):
        assert _one(list(records([path]))).data["note"] == "\ufffd"
    clean = tmp_path / "clean.json"
    clean.write_text(json.dumps({"note": "\\ud800 \\b is text here", **_study("NCT07654321")}))
    assert _one(list(records([clean]))).warnings == ()
