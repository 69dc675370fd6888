"""Fill the served XForm with JavaRosa — the form engine inside ODK Collect — instead of
writing the instance by hand: `FillInstance.java` (beside this file) is compiled at test time
against pyxform's bundled ODK_Validate.jar, which carries JavaRosa. JavaRosa parses the form
(the household list read from the downloaded households.csv), creates the repeats, applies each
answer with its type and constraint, runs the form's calculations and setvalue actions,
generates meta/instanceID, checks required answers, and serialises the instance as Collect
submits it. Needs a JDK (`javac`); CI installs default-jdk-headless."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from xml.etree import ElementTree

JAVA_SOURCE = Path(__file__).with_name("javarosa") / "FillInstance.java"
JR_TEMPLATE = "{http://openrosa.org/javarosa}template"


def validate_jar() -> Path:
    import pyxform

    return (
        Path(pyxform.__file__).parent / "validators" / "odk_validate" / "bin" / "ODK_Validate.jar"
    )


def available() -> bool:
    return bool(shutil.which("java") and shutil.which("javac") and validate_jar().exists())


def compile_filler(directory: Path) -> Path:
    """Compile FillInstance.java into `directory` (returns it)."""
    subprocess.run(
        ["javac", "-nowarn", "-cp", str(validate_jar()), "-d", str(directory), str(JAVA_SOURCE)],
        check=True,
        capture_output=True,
    )
    return directory


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def repeat_paths(xform: bytes) -> set[str]:
    """Paths of the form's repeats (/form/members), from the jr:template nodes."""
    from collect_replay import primary_instance

    found: set[str] = set()

    def walk(element, path: str) -> None:
        here = f"{path}/{_local(element.tag)}"
        if JR_TEMPLATE in element.attrib:
            found.add(here)
        for child in element:
            walk(child, here)

    walk(primary_instance(xform), "")
    return found


def answer_lines(
    answers: bytes, repeats: set[str], extra: dict[str, str], omit: tuple[str, ...] = ()
) -> list[str]:
    """`path<TAB>value` for every answered leaf of an instance (repeat positions 0-based),
    `#count<TAB>repeat<TAB>n` for each repeat, with `extra` (path → value) first and the
    paths in `omit` left for the form to fill (e.g. by its setvalue actions)."""
    root = ElementTree.fromstring(answers)
    lines = [f"{path}\t{value}" for path, value in extra.items()]
    counts: dict[str, int] = {}

    def walk(element, path: str, plain: str) -> None:
        name = _local(element.tag)
        plain_here = f"{plain}/{name}"
        here = f"{path}/{name}"
        if plain_here in repeats:
            position = counts.get(plain_here, 0)
            counts[plain_here] = position + 1
            here += f"[{position}]"
        if len(element):
            for child in element:
                walk(child, here, plain_here)
        elif element.text and element.text.strip() and here not in omit:
            lines.append(f"{here}\t{element.text.strip()}")

    walk(root, "", "")
    lines += [f"#count\t{repeat}\t{n}" for repeat, n in counts.items()]
    return lines


def fill(
    classes: Path,
    xform: bytes,
    media: dict[str, bytes],
    answers: bytes,
    work: Path,
    extra: dict[str, str] | None = None,
    omit: tuple[str, ...] = (),
) -> bytes:
    """The instance JavaRosa produces for the form answered with `answers` (an instance of
    the same form, e.g. `household_to_instance(record)`); `extra` answers form-only questions
    by path (`{"/povcensus_household/previous_household": "new"}`)."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "form.xml").write_bytes(xform)
    media_dir = work / "media"
    media_dir.mkdir(exist_ok=True)
    for name, data in media.items():
        (media_dir / name).write_bytes(data)
    lines = answer_lines(answers, repeat_paths(xform), extra or {}, omit)
    (work / "answers.tsv").write_text("\n".join(lines) + "\n", "utf-8")
    done = subprocess.run(
        [
            "java",
            "-cp",
            f"{validate_jar()}:{classes}",
            "FillInstance",
            str(work / "form.xml"),
            str(media_dir),
            str(work / "answers.tsv"),
        ],
        capture_output=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise AssertionError(f"JavaRosa refused the answers: {done.stderr.decode()[-3000:]}")
    return done.stdout


def make_filler(tmp_path_factory):
    """For a module-scoped fixture: compile once, then `fill(xform, media, answers, extra=None,
    omit=())` → the JavaRosa instance. Skips the test when no JDK is installed."""
    import itertools

    import pytest

    if not available():
        pytest.skip("filling with JavaRosa needs a JDK (javac); CI installs default-jdk-headless")
    classes = compile_filler(tmp_path_factory.mktemp("javarosa"))
    work = tmp_path_factory.mktemp("javarosa-fill")
    counter = itertools.count()

    def filler(xform, media, answers, extra=None, omit=()):
        return fill(classes, xform, media, answers, work / str(next(counter)), extra, omit)

    return filler
