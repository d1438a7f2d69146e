"""yamlsrc: line-aware YAML loading, duplicate keys, merge keys, and locating a field's line."""

from __future__ import annotations

from pathlib import Path

import pytest

from lifecycle.model.yamlsrc import LineDict, LineList, Problem, YamlError, load_file, load_text, locate

DOC = """\
# a comment
site:
  name: x
racks:
  - name: r1
    leaves:
      uplinks:
        - {port: Ethernet49/1, subnet: 10.0.0.0/31}
        - port: Ethernet50/1
          subnet: 10.0.0.2/31
  - name: r2
"""


def problem_of(text: str) -> Problem:
    with pytest.raises(YamlError) as exc:
        load_text(text, "f.yaml")
    return exc.value.problem


def test_lines_of_mappings_and_sequences():
    doc = load_text(DOC, "f.yaml")
    assert isinstance(doc, LineDict) and isinstance(doc["racks"], LineList)
    assert doc.key_lines == {"site": 2, "racks": 4}
    assert doc["racks"].line == 5 and doc["racks"].item_lines == [5, 11]
    uplinks = doc["racks"][0]["leaves"]["uplinks"]
    assert uplinks.item_lines == [8, 9]
    assert uplinks[1].key_lines == {"port": 9, "subnet": 10}


def test_locate():
    doc = load_text(DOC, "f.yaml")
    assert locate(doc, ("site", "name")) == 3
    assert locate(doc, ("racks", 1)) == 11
    assert locate(doc, ("racks", 0, "leaves", "uplinks", 0, "subnet")) == 8  # flow mapping
    assert locate(doc, ("racks", 0, "leaves", "uplinks", 1, "subnet")) == 10
    # a missing key or index: the line of the deepest part that exists
    assert locate(doc, ("racks", 1, "leaves")) == 11
    assert locate(doc, ("racks", 7, "name")) == 4
    assert locate(doc, ()) == doc.line == 2
    assert locate({"plain": "dict"}, ("plain",)) == 0


def test_duplicate_key_is_an_error_at_the_second_key():
    p = problem_of("a: 1\nb:\n  c: 1\n  d: 2\n  c: 3\n")
    assert (p.file, p.line, p.field, p.code) == ("f.yaml", 5, "", "yaml")
    assert "duplicate key 'c'" in p.message and "(from line 3)" in p.message
    assert "duplicate key 'a'" in problem_of("a: 1\na: 1\n").message
    assert "duplicate key 'x'" in problem_of("- {x: 1, y: 2, x: 3}\n").message


def test_merge_keys_may_be_overridden_but_own_keys_not_repeated():
    text = ("base: &b {rack: c01, cloud: old}\n"
            "more: &m {cloud: other, role: x}\n"
            "one: {<<: *b, cloud: new}\n"
            "two: {<<: [*b, *m], name: s2}\n")
    doc = load_text(text, "f.yaml")
    assert doc["one"] == {"rack": "c01", "cloud": "new"}
    assert doc["one"].key_lines["cloud"] == 3
    assert doc["two"] == {"rack": "c01", "cloud": "old", "role": "x", "name": "s2"}  # first wins
    assert "duplicate key 'cloud'" in problem_of(text + "three: {<<: *b, cloud: a, cloud: b}\n").message


@pytest.mark.parametrize(("text", "line", "message"), [
    ("a:\n  b: 1\n   c: 2\n", 3, "mapping values are not allowed here"),
    ("a: [1, 2\nb: 3\n", 2, "flow sequence (from line 1)"),
    ("a:\n\tb: 1\n", 2, "found character '\\t'"),
    ("a: {b: 1\n", 2, "flow mapping (from line 1)"),
    ("a: 'open\n", 2, "found unexpected end of stream"),
])
def test_malformed_yaml_names_the_line(text: str, line: int, message: str):
    p = problem_of(text)
    assert p.line == line and p.message.startswith("malformed YAML: ") and message in p.message


def test_scalars_and_empty_documents():
    doc = load_text("d: 2024-01-02\nn: 3\nb: true\ns: '3'\n", "f.yaml")
    assert doc == {"d": "2024-01-02", "n": 3, "b": True, "s": "3"}  # dates stay strings
    assert load_text("", "f.yaml") is None
    assert load_text("# only a comment\n", "f.yaml") is None


def test_load_file(tmp_path: Path):
    good = tmp_path / "ok.yaml"
    good.write_text("a: 1\n", encoding="utf-8")
    assert load_file(good) == {"a": 1}
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("a: caf\xe9\n".encode("latin-1"))
    with pytest.raises(YamlError) as exc:
        load_file(bad, "sites/latin1.yaml")
    assert exc.value.problem.file == "sites/latin1.yaml"
    assert "not UTF-8" in exc.value.problem.message


def test_problem_text_and_order():
    p = Problem("racks/c01.yaml", 12, "servers[s1].u", "too big", "less_than_equal")
    assert str(p) == "racks/c01.yaml:12: servers[s1].u: too big"
    assert str(Problem("site.yaml", 0, "", "gone")) == "site.yaml: gone"
    assert p.as_dict()["code"] == "less_than_equal"
    assert Problem("a.yaml", 9, "", "x") < Problem("b.yaml", 1, "", "x") < Problem("b.yaml", 2, "", "x")
    assert Problem("a.yaml", 1, "f", "m", "one") == Problem("a.yaml", 1, "f", "m", "other")
