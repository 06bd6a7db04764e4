"""Developer tool: keep the German catalogs of all apps complete.

German texts live in translations/de/*.json as {msgid: msgstr}; a msgid with a context is
written "context\\u0004msgid" and a plural as a list of two strings. This script

    python3 scripts/i18n.py            extracts the msgids of every app (makemessages), fills
                                       the German texts from all JSON files, compiles .mo files
                                       and lists msgids that have no German text yet
    python3 scripts/i18n.py --export   writes the msgstrs found in the .po files into
                                       translations/de/base.json (once, to seed it)

Several files let several people add texts at once without editing one shared file.
"""

import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from po import parse, write  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
APPS = sorted(p.parent.parent for p in ROOT.glob("stadtkasse*/*/locale/de"))
PYTHON = ROOT / ".venv" / "bin" / "python"
JSON_DIR = ROOT / "translations" / "de"


def key(entry: dict) -> str:
    if entry.get("msgctxt") is not None:
        return f"{entry['msgctxt']}\x04{entry['msgid']}"
    return entry["msgid"]


def po_files() -> list[Path]:
    return [app / "locale" / "de" / "LC_MESSAGES" / "django.po" for app in APPS]


def load_translations() -> dict:
    merged: dict = {}
    for path in sorted(JSON_DIR.glob("*.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def export() -> None:
    found = {}
    for po in po_files():
        if not po.exists():
            continue
        for entry in parse(po):
            if entry["msgid"] and entry.get("msgstr"):
                found[key(entry)] = entry["msgstr"]
            elif entry["msgid"] and entry.get("msgstr[0]"):
                found[key(entry)] = [entry["msgstr[0]"], entry.get("msgstr[1]", "")]
    JSON_DIR.mkdir(parents=True, exist_ok=True)
    target = JSON_DIR / "base.json"
    target.write_text(json.dumps(found, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    print(f"{len(found)} texts written to {target}")


def fill(po: Path, translations: dict) -> list[str]:
    entries = parse(po)
    missing = []
    for entry in entries:
        if entry["msgid"] == "":
            entry["msgstr"] = (
                entry["msgstr"]
                .replace("charset=CHARSET", "charset=UTF-8")
                .replace("Language: \n", "Language: de\n")
            )
            entry["comments"] = [c for c in entry["comments"] if c.strip() != "#, fuzzy"]
            continue
        if any(c.startswith("#~") for c in entry["comments"]) and entry["msgid"] is None:
            continue
        value = translations.get(key(entry))
        entry["comments"] = [
            c for c in entry["comments"] if not c.startswith("#|") and c.strip() != "#, fuzzy"
        ]
        entry["comments"] = [c.replace("#, fuzzy, ", "#, ") for c in entry["comments"]]
        if value is None:
            missing.append(key(entry).replace("\x04", " | "))
            if entry.get("msgid_plural") is not None:
                entry["msgstr[0]"] = entry["msgstr[1]"] = ""
                entry.pop("msgstr", None)
            else:
                entry["msgstr"] = ""
            continue
        if isinstance(value, list):
            entry["msgstr[0]"], entry["msgstr[1]"] = value
            entry.pop("msgstr", None)
        else:
            entry["msgstr"] = value
    write(po, entries)
    return missing


def main() -> None:
    if "--export" in sys.argv:
        export()
        return
    translations = load_translations()
    all_missing = {}
    for app in APPS:
        subprocess.run(
            [
                str(PYTHON),
                "-m",
                "stadtkasse",
                "makemessages",
                "-l",
                "de",
                "--no-obsolete",
                "-v",
                "0",
            ],
            cwd=app,
            check=True,
        )
        po = app / "locale" / "de" / "LC_MESSAGES" / "django.po"
        missing = fill(po, translations)
        if missing:
            all_missing[str(app.relative_to(ROOT))] = missing
        subprocess.run(
            ["msgfmt", "--check-format", "-o", str(po.with_suffix(".mo")), str(po)], check=True
        )
    if all_missing:
        print("msgids without German text (add them to a file in translations/de/):")
        for app, items in all_missing.items():
            for item in items:
                print(f"  {app}: {item}")
        sys.exit(1)
    print("All German catalogs are complete.")


if __name__ == "__main__":
    main()
