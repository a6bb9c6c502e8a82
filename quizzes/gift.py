"""Moodle's GIFT format for multiple-choice banks: parse and dump. Pure functions.

Supported: single choice (``=right ~wrong``), multiple choice with weights
(``~%50%right ~%-100%wrong``), per-answer feedback (``#...``), general feedback
(``####...``), titles (``::title::``), ``[markdown]``/``[plain]``/``[html]``/``[moodle]``
text formats, ``//`` comments and ``$CATEGORY`` lines, and the escapes ``\\~ \\= \\# \\{ \\} \\: \\\\ \\n``.
Other GIFT question types (true/false, short answer, numeric, matching, essay) are refused
with a message naming the question.

Serverless Academy keeps what GIFT cannot say (domains, difficulty, services, cheat sheet
links, references, status) in comment lines before the question, which Moodle ignores:
``// @domains: DVA-C02/security, SAA-C03/secure``. A question without them takes the
defaults the importer is given and comes in as a draft.
"""

import re

META_KEYS = ("domains", "difficulty", "services", "sheets", "references", "status", "type")
SPECIAL = "~=#{}:"
_META = re.compile(r"^//\s*@(\w+)\s*:\s*(.*)$")
_WEIGHT = re.compile(r"^%(-?\d+(?:\.\d+)?)%")


class GiftError(Exception):
    """Problems found in a GIFT file; ``questions`` holds the ones that did parse, so the caller
    can check those too and report every problem of the file at once."""

    def __init__(self, problems, questions=None):
        self.problems = problems
        self.questions = questions or []
        super().__init__("\n".join(problems))


def escape(text: str) -> str:
    text = text.replace("\\", "\\\\")
    for char in SPECIAL:
        text = text.replace(char, "\\" + char)
    return text.replace("\n", "\\n")


def unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append("\n" if nxt == "n" else nxt)
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


def _find_unescaped(text: str, char: str, start: int = 0) -> int:
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == char:
            return i
        i += 1
    return -1


def _split_answers(body: str):
    """Yield (marker, raw) for each answer: marker '=' or '~', or '####' for general feedback."""
    tokens, i, current, marker = [], 0, [], None
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            current.append(body[i:i + 2])
            i += 2
            continue
        if body.startswith("####", i):
            if marker is not None:
                tokens.append((marker, "".join(current)))
            marker, current = "####", []
            i += 4
            continue
        if char in "=~" and marker != "####":
            if marker is not None:
                tokens.append((marker, "".join(current)))
            elif "".join(current).strip():
                tokens.append(("?", "".join(current)))
            marker, current = char, []
            i += 1
            continue
        current.append(char)
        i += 1
    if marker is not None:
        tokens.append((marker, "".join(current)))
    elif "".join(current).strip():
        tokens.append(("?", "".join(current)))
    return tokens


def _blocks(text: str):
    """Question blocks separated by blank lines, with the metadata comments just above them."""
    block, meta, line_no, start = [], {}, 0, None
    # Windows (CRLF), old Mac (CR only) and Unix line endings alike: a CR-only file is not one long line.
    for line_no, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        stripped = line.strip()
        if not stripped:
            if block:
                yield start, meta, "\n".join(block)
                block, meta = [], {}
            continue
        match = _META.match(stripped)
        if match and not block:
            meta[match.group(1).lower()] = match.group(2).strip()
            start = start if block else line_no
            continue
        if stripped.startswith("//") or (stripped.startswith("$CATEGORY") and not block):
            continue
        if not block:
            start = line_no
        block.append(line)
    if block:
        yield start, meta, "\n".join(block)


def _split_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def parse(text: str, *, source: str, defaults: dict, limit: int | None = None) -> list[dict]:
    """GIFT text -> question dicts (see quizzes/bank_format.py). ``defaults`` supplies
    domains/difficulty/status for questions without metadata comments."""
    questions, problems = [], []
    for index, (line, meta, block) in enumerate(_blocks(text), start=1):
        title_match = re.match(r"^\s*::(.*?)(?<!\\)::", block, re.S)
        title = unescape(title_match.group(1)).strip() if title_match else ""
        where = f"{source}: question {index} (line {line}{', ' + title if title else ''})"
        rest = block[title_match.end():] if title_match else block
        open_at = _find_unescaped(rest, "{")
        close_at = _find_unescaped(rest, "}", open_at + 1) if open_at >= 0 else -1
        if open_at < 0:
            problems.append(f"{where}: description (text without an answer block {{...}}) is not a question; "
                            "only multiple choice is supported")
            continue
        if close_at < 0:
            problems.append(f"{where}: the answer block opened with {{ is never closed with }}")
            continue
        stem_raw = (rest[:open_at] + " " + rest[close_at + 1:]).strip()
        stem_raw = re.sub(r"^\[(markdown|plain|html|moodle)\]", "", stem_raw).strip()
        stem = unescape(stem_raw).strip()
        tokens = _split_answers(rest[open_at + 1:close_at])
        kind = _unsupported_kind(rest[open_at + 1:close_at], tokens)
        if kind:
            problems.append(f"{where}: {kind} questions are not supported; only multiple choice "
                            "({=right ~wrong} or weighted ~%50%right ~%-100%wrong)")
            continue
        options, general, weights = [], "", []
        for marker, raw in tokens:
            if marker == "####":
                general = unescape(raw).strip()
                continue
            weight_match = _WEIGHT.match(raw.strip())
            weight = float(weight_match.group(1)) if weight_match else (100.0 if marker == "=" else 0.0)
            raw_text = raw.strip()[weight_match.end():] if weight_match else raw.strip()
            hash_at = _find_unescaped(raw_text, "#")
            answer_text = raw_text[:hash_at] if hash_at >= 0 else raw_text
            feedback = raw_text[hash_at + 1:] if hash_at >= 0 else ""
            weights.append(weight)
            options.append({"text": unescape(answer_text).strip(), "correct": weight > 0,
                            "explanation": unescape(feedback).strip()})
        correct = sum(1 for o in options if o["correct"])
        qtype = meta.get("type") or ("multiple" if correct > 1 or any(0 < w < 100 for w in weights) else "single")
        key = title if re.match(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", title or "") else _slug(title or stem)
        questions.append({
            "key": key,
            "qtype": qtype,
            "domains": _split_list(meta["domains"]) if "domains" in meta else list(defaults.get("domains", [])),
            "difficulty": meta.get("difficulty") or defaults.get("difficulty", "medium"),
            "services": _split_list(meta.get("services", "")),
            "sheet_links": _split_list(meta.get("sheets", "")),
            "references": _split_list(meta.get("references", "")),
            "status": meta.get("status") or defaults.get("status", "draft"),
            "stem": stem,
            "explanation": general,
            "options": options,
            "_where": where,
        })
    if limit is not None and len(questions) + len(problems) > limit:
        raise GiftError([f"{source}: the file holds {len(questions) + len(problems):,} questions; one import takes at "
                         f"most {limit:,}: split it into smaller files"])
    if not questions and not problems:
        raise GiftError([f"{source}: no questions found (only comments, categories or blank lines)"])
    if problems:
        raise GiftError(problems, questions)
    return questions


def _unsupported_kind(body: str, tokens) -> str:
    """The Moodle question type of an answer block this importer does not take, by name; '' for
    multiple choice."""
    stripped = body.strip()
    if not stripped:
        return "essay (empty answer block {})"
    if stripped.upper() in ("T", "F", "TRUE", "FALSE") or re.match(r"^(T|F|TRUE|FALSE)\s*#", stripped, re.I):
        return "true/false"
    if stripped.startswith("#"):
        return "numerical"
    if any("->" in raw for marker, raw in tokens if marker in "=~"):
        return "matching"
    if any(marker == "?" for marker, _ in tokens) or not tokens:
        return "unrecognised"
    if not any(marker == "~" for marker, _ in tokens):
        return "short answer (every answer starts with =)"
    return ""


def _slug(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return "gift-" + "-".join(words[:8]) if words else "gift-question"


def _weight(count: int) -> str:
    value = 100 / count
    return f"{value:.5f}".rstrip("0").rstrip(".")


def dump(questions: list[dict]) -> str:
    out = ["// Serverless Academy question bank (GIFT). Lines starting // @ carry metadata Moodle ignores.", ""]
    for q in questions:
        meta = {
            "type": q["qtype"], "domains": ", ".join(q["domains"]), "difficulty": q["difficulty"],
            "services": ", ".join(q["services"]), "sheets": ", ".join(q["sheet_links"]),
            "references": ", ".join(q["references"]), "status": q["status"],
        }
        out += [f"// @{key}: {value}" for key, value in meta.items() if value]
        lines = [f"::{escape(q['key'])}::[markdown]{escape(q['stem'])} {{"]
        correct = sum(1 for o in q["options"] if o["correct"])
        for option in q["options"]:
            feedback = f"#{escape(option['explanation'])}" if option["explanation"] else ""
            if q["qtype"] == "single":
                marker = "=" if option["correct"] else "~"
            else:
                marker = f"~%{_weight(correct)}%" if option["correct"] else "~%-100%"
            lines.append(f"\t{marker}{escape(option['text'])}{feedback}")
        if q["explanation"]:
            lines.append(f"\t####{escape(q['explanation'])}")
        lines.append("}")
        out += lines + [""]
    return "\n".join(out)
