"""``vanishgui report`` when its output fails: a closed pipe, a full disk, a closed stdout,
a console that cannot encode δ or ∂, a file name that is not UTF-8. Each is one sentence
on stderr and a non-zero exit (a closed pipe: 141, quietly), never a traceback. Run as the
command is run, in a child process."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hostile import EXAMPLES, assert_one_sentence

from vanishgui.core import report as report_module

ROOT = Path(__file__).resolve().parents[2]
CHAIN = EXAMPLES / "deep-chain-sigmoid.json"
posix = pytest.mark.skipif(os.name != "posix", reason="needs a POSIX shell and /dev/full")


def env(**extra: str) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("PYTHONIO")}
    out.update(PYTHONPATH=str(ROOT), **extra)
    return out


def report(*args: str | bytes, stdout: int | None = subprocess.PIPE,
           **extra: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "vanishgui", "report", *args], cwd=ROOT,
                          env=env(**extra), stdout=stdout, stderr=subprocess.PIPE, timeout=120)


def assert_one_sentence_on_stderr(err: bytes, *words: str) -> str:
    text = err.decode("utf-8", "replace")
    assert "Traceback" not in text and "Exception ignored" not in text, text
    assert text.endswith("\n") and text.count("\n") == 1, text
    assert_one_sentence(text[:-1])
    for word in words:
        assert word in text, (word, text)
    return text


# -- the output fails ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_closed_pipe_exits_quietly_with_141(fmt: str) -> None:
    args = [str(CHAIN), *(["--json"] if fmt == "json" else [])]
    with subprocess.Popen([sys.executable, "-m", "vanishgui", "report", *args], cwd=ROOT,
                          env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE) as child:
        assert child.stdout is not None and child.stderr is not None
        child.stdout.close()  # no reader left: the child's first write breaks the pipe
        err = child.stderr.read()
        code = child.wait(timeout=120)
    assert err == b"", err.decode(errors="replace")
    assert code == 141
    assert report_module.CLOSED_PIPE == 141  # the code says which convention it follows


@posix
def test_a_long_output_into_head_exits_quietly_with_141() -> None:
    script = ('"$0" -m vanishgui report "$1" --json --steps 3000 | head -c 100 >/dev/null; '
              'exit "${PIPESTATUS[0]}"')
    done = subprocess.run(["bash", "-c", script, sys.executable, str(CHAIN)], cwd=ROOT,
                          env=env(), stderr=subprocess.PIPE, timeout=120)
    assert done.returncode == 141
    assert done.stderr == b"", done.stderr.decode(errors="replace")


@posix
@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_full_disk_is_one_sentence_and_exit_1(fmt: str) -> None:
    with open("/dev/full", "wb") as full:
        done = report(str(CHAIN), *(["--json"] if fmt == "json" else []), stdout=full.fileno())
    assert done.returncode == 1
    assert_one_sentence_on_stderr(done.stderr, "vanishgui report:", "standard output",
                                  "No space left on device")


@posix
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_closed_stdout_is_one_sentence_and_exit_1(fmt: str) -> None:
    script = 'exec "$0" -m vanishgui report "$@" >&-'
    done = subprocess.run(["bash", "-c", script, sys.executable, str(CHAIN),
                           *(["--json"] if fmt == "json" else [])],
                          cwd=ROOT, env=env(), stderr=subprocess.PIPE, timeout=120)
    assert done.returncode == 1
    assert_one_sentence_on_stderr(done.stderr, "vanishgui report:", "standard output")


# -- consoles that cannot encode the maths ---------------------------------------------------


@pytest.mark.parametrize("encoding", ["cp1252", "ascii"])
def test_a_console_without_greek_gets_plain_ascii_names(encoding: str) -> None:
    done = report(str(CHAIN), "--steps", "2", PYTHONIOENCODING=encoding)
    err = done.stderr.decode(errors="replace")
    assert (done.returncode, err) == (0, ""), err
    text = done.stdout.decode(encoding)
    assert text.isascii()  # one mapping for all of it, not a mix
    for name in ("mean |delta|", "mean |dL/dW|", "mean f'(z)", '"vs output"'):
        assert name in text, (name, text)
    lines = text.splitlines()
    utf8 = report(str(CHAIN), "--steps", "2", PYTHONIOENCODING="utf-8").stdout.decode("utf-8")
    assert len(lines) == len(utf8.splitlines())  # the same report, spelled plainly
    assert "mean |δ|" in utf8 and "mean |∂L/∂W|" in utf8
    for output in (lines, utf8.splitlines()):  # the columns line up, under their dashes
        for at in (i for i, line in enumerate(output) if line.startswith("-----")):
            head, rule, row = output[at - 1], output[at], output[at + 1]
            assert len(head) == len(rule) == len(row), (head, rule, row)
            gaps = [i for i, c in enumerate(rule) if c == " "]
            assert all(head[i] == row[i] == " " for i in gaps), (head, rule, row)


def _wrong_shape(doc: dict) -> None:
    doc["network"]["weights"] = [[[1, 2]], [[1]], [[1]]]  # "layer 1 is 1×1"


def _long_data_set(doc: dict) -> None:
    doc["data"] = {"dataset": "y" * 500}  # quoted as "yyy…"


BAD_FILES = {
    # how the classic file is spoilt, and what the core's message then says: as it is (on
    # cp1252, which has × and …) and on a plain ascii console
    "a weight of the wrong shape": (_wrong_shape, "1×1", "1x1"),
    "a long data set name": (_long_data_set, "yyy…", "yyy..."),
}


@pytest.mark.parametrize("encoding", ["cp1252", "ascii"])
@pytest.mark.parametrize("name", list(BAD_FILES))
def test_a_message_on_a_console_without_greek_is_plain_ascii(tmp_path: Path, encoding: str,
                                                             name: str) -> None:
    bad = tmp_path / "bad.json"
    doc = json.loads((EXAMPLES / "classic.json").read_text("utf-8"))
    spoil, cp1252, ascii = BAD_FILES[name]
    spoil(doc)
    bad.write_text(json.dumps(doc), encoding="utf-8")
    done = report(str(bad), PYTHONIOENCODING=encoding)
    assert done.returncode == 2
    text = done.stderr.decode(encoding)  # it is what the console can show
    assert "Traceback" not in text and text.endswith("\n") and text.count("\n") == 1, text
    assert_one_sentence(text[:-1])
    assert str(bad) in text and (ascii if encoding == "ascii" else cp1252) in text, text
    assert "\\u" not in text and "\\x" not in text, text


@pytest.mark.parametrize("module", ["report.py", "diagnosis.py", "numbers.py"])
def test_every_character_the_report_prints_has_an_ascii_name(module: str) -> None:
    """Every non-ASCII character in the strings (not the docstrings) of the report and
    of what it prints from: the diagnosis's findings, the numbers' format."""
    tree = ast.parse((ROOT / "vanishgui" / "core" / module).read_text("utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef))
                  and node.body and isinstance(node.body[0], ast.Expr)}
    chars = {c for node in ast.walk(tree)
             if isinstance(node, ast.Constant) and isinstance(node.value, str)
             and id(node) not in docstrings for c in node.value if not c.isascii()}
    chars -= set("₀₁₂₃₄₅₆₇₈₉⁰¹²³⁴⁵⁶⁷⁸⁹⁻") if module == "numbers.py" else set()  # not printed
    assert chars, "report.py prints no maths?"
    for char in sorted(chars):
        assert char in report_module.ASCII_NAMES, char
    assert report_module.plain("mean |δ|  ‖∂L/∂W‖  σ'(z)  ŷ  x²  “vs output” — …") == \
        'mean |delta|  ||dL/dW||  sigma\'(z)  y_hat  x^2  "vs output" - ...'


# -- file names that are not UTF-8 -------------------------------------------------------------


@posix
@pytest.mark.parametrize("encoding", ["utf-8", "ascii"])
def test_a_file_name_that_is_not_utf8_is_reported(tmp_path: Path, encoding: str) -> None:
    name = os.path.join(os.fsencode(tmp_path), b"caf\xe9-\xff.json")
    with open(name, "wb") as f:
        f.write(CHAIN.read_bytes())
    done = report(name, PYTHONIOENCODING=encoding)
    err = done.stderr.decode(errors="replace")
    assert (done.returncode, err) == (0, ""), err
    first = done.stdout.decode(encoding).splitlines()[0]
    assert first.endswith("caf\\xe9-\\xff.json"), first


@posix
@pytest.mark.parametrize("encoding", ["utf-8", "ascii"])
def test_a_missing_file_whose_name_is_not_utf8_is_one_sentence(tmp_path: Path,
                                                              encoding: str) -> None:
    name = os.path.join(os.fsencode(tmp_path), b"gone-\xff.json")
    done = report(name, PYTHONIOENCODING=encoding)
    assert done.returncode == 2 and done.stdout == b""
    assert_one_sentence_on_stderr(done.stderr, "gone-\\xff.json", "No such file")


# -- the diagnosis (issue 13) ------------------------------------------------------------------


@pytest.mark.parametrize(("name", "steps"), [("deep-chain-sigmoid", 0),
                                             ("deep-chain-sigmoid", 30),
                                             ("deep-sigmoid-circles", 40)])
def test_the_json_diagnosis_judges_the_state_after_the_steps(name: str, steps: int) -> None:
    from vanishgui.core.diagnosis import diagnose
    from vanishgui.core.experiment import load_experiment

    done = report(str(EXAMPLES / f"{name}.json"), "--steps", str(steps), "--json")
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)["diagnosis"]
    t = load_experiment(EXAMPLES / f"{name}.json").trainer()
    t.train(steps)
    want = [f.as_dict() for f in diagnose(t.preview(), t.history)]
    assert got == want and got  # each of these three has a finding
    depth = len(json.loads(done.stdout)["layers"])
    for f in got:
        assert set(f) == {"kind", "layers", "evidence"}
        assert all(1 <= n <= depth for n in f["layers"])


def test_the_text_report_prints_one_line_per_finding_plainly_where_it_must() -> None:
    utf8 = report(str(CHAIN), PYTHONIOENCODING="utf-8").stdout.decode("utf-8")
    lines = utf8.splitlines()
    at = lines.index("Diagnosis at the starting weights:")
    assert lines[at + 1].startswith("- vanishing (layers 1–6): Layer 1 gets 1/")
    assert "∂L/∂W" in lines[at + 1]
    text = report(str(CHAIN), PYTHONIOENCODING="ascii").stdout.decode("ascii")
    plain = text.splitlines()
    assert plain[at + 1].startswith("- vanishing (layers 1-6): Layer 1 gets 1/")
    assert "dL/dW" in plain[at + 1]
    healthy = report(str(EXAMPLES / "classic.json")).stdout.decode("utf-8")
    assert "Diagnosis at the starting weights: no finding" in healthy


def test_a_diverged_run_reports_where_it_first_went_non_finite(tmp_path: Path) -> None:
    doc = json.loads((EXAMPLES / "classic.json").read_text("utf-8"))
    doc["network"].update(hidden_activation="linear", output_activation="linear")
    doc["training"]["learning_rate"] = 10.0
    bad = tmp_path / "steep.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    out = json.loads(report(str(bad), "--steps", "300", "--json").stdout)
    assert out["diverged_in"] in ("forward", "loss", "gradient", "update")
    [f] = out["diagnosis"]
    assert f["kind"] == "diverged" and f["layers"] == [out["diverged_layer"]]
    assert f"step {out['diverged_at_step']:,}" in f["evidence"]
