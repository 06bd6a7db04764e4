"""Developer tool: list untranslated msgids of .po files, or fill msgstrs from a JSON file.

    python scripts/po.py missing FILE.po...          print untranslated msgids as JSON
    python scripts/po.py fill TRANSLATIONS.json FILE.po...   write the translations in
    python scripts/po.py compile FILE.po...          compile to .mo with Python only

Uses the standard library only, so it runs before the virtual environment exists.
"""

import ast
import json
import sys
from pathlib import Path


def parse(path: Path) -> list[dict]:
    """Split a .po file into entries with comment lines, msgid, msgid_plural and msgstr."""
    entries, current, key = [], {"comments": [], "msgid": None, "msgstr": None}, None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            if current["msgid"] is not None:
                entries.append(current)
                current = {"comments": [], "msgid": None, "msgstr": None}
            current["comments"].append(line)
            key = None
        elif line.startswith(("msgid ", "msgstr ", "msgid_plural ", "msgstr[", "msgctxt ")):
            name, _, value = line.partition(" ")
            if name == "msgid" and current["msgid"] is not None:
                entries.append(current)
                current = {"comments": [], "msgid": None, "msgstr": None}
            key = name
            current[key] = ast.literal_eval(value)
        elif line.startswith('"') and key:
            current[key] += ast.literal_eval(line)
        elif not line.strip() and current["msgid"] is not None:
            entries.append(current)
            current = {"comments": [], "msgid": None, "msgstr": None}
            key = None
    if current["msgid"] is not None:
        entries.append(current)
    return entries


def quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def write(path: Path, entries: list[dict]) -> None:
    out = []
    for entry in entries:
        out.extend(entry["comments"])
        for key in ("msgctxt", "msgid", "msgid_plural"):
            if entry.get(key) is not None:
                out.append(f"{key} {quote(entry[key])}")
        for key in sorted(k for k in entry if k.startswith("msgstr")):
            if entry[key] is not None:
                out.append(f"{key} {quote(entry[key])}")
        out.append("")
    path.write_text("\n".join(out), encoding="utf-8")


def main() -> None:
    command, *args = sys.argv[1:]
    if command == "missing":
        missing = {}
        for name in args:
            for entry in parse(Path(name)):
                if entry["msgid"] and not (entry.get("msgstr") or entry.get("msgstr[0]")):
                    missing[entry["msgid"]] = ""
                if entry["msgid"] and any("fuzzy" in c for c in entry["comments"]):
                    missing[entry["msgid"]] = entry.get("msgstr") or ""
        print(json.dumps(missing, ensure_ascii=False, indent=1))
    elif command == "fill":
        translations = json.loads(Path(args[0]).read_text(encoding="utf-8"))
        for name in args[1:]:
            entries = parse(Path(name))
            for entry in entries:
                value = translations.get(entry["msgid"])
                if entry["msgid"] and value:
                    if isinstance(value, list):
                        entry["msgstr[0]"], entry["msgstr[1]"] = value
                    else:
                        entry["msgstr"] = value
                    entry["comments"] = [
                        c.replace(", fuzzy", "").replace("#, fuzzy", "#")
                        for c in entry["comments"]
                        if c.strip() not in ("#, fuzzy", "#")
                    ]
                elif entry["msgid"] == "":
                    entry["msgstr"] = (
                        entry["msgstr"]
                        .replace(
                            "Content-Type: text/plain; charset=CHARSET",
                            "Content-Type: text/plain; charset=UTF-8",
                        )
                        .replace("Language: \\n", "Language: de\\n")
                        .replace("Language: \n", "Language: de\n")
                    )
                    entry["comments"] = [c for c in entry["comments"] if c.strip() != "#, fuzzy"]
            write(Path(name), entries)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
