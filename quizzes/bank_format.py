"""The question bank's own YAML format (docs/question-format.md): parse, validate, dump.

Pure functions. A question is a plain dict:
    {key, qtype, domains, difficulty, services, sheet_links, status, stem, explanation,
     references, options: [{text, correct, explanation}]}
"""

import re

import yaml

KEY = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
QTYPES = ("single", "multiple")
DIFFICULTIES = ("easy", "medium", "hard")
STATUSES = ("published", "draft")
CHOOSE_WORDS = {2: "two", 3: "three", 4: "four", 5: "five"}
REQUIRED = ("id", "type", "domains", "difficulty", "stem", "options")
OPTIONAL = ("status", "services", "sheets", "references", "explanation")


MAX_IMPORT_QUESTIONS = 1000  # one import; a bigger bank is split into files (the write lock stays short)
MAX_DEPTH = 12  # a bank file nests four levels; deeper is not a bank file (and would exhaust the parser)
# The model's limits, checked before anything is written so an import names them instead of failing.
MAX_LENGTHS = {"id": 100, "stem": 20_000, "explanation": 20_000, "option text": 2_000, "option explanation": 5_000,
               "service": 100, "sheet link": 200, "reference": 500}
MAX_ITEMS = {"domains": 4, "services": 20, "sheets": 20, "references": 20, "options": 10}


class _StrictLoader(yaml.SafeLoader):
    """safe_load without aliases (a few hundred bytes of anchors and aliases expand to gigabytes:
    the "billion laughs") and without deep nesting (RecursionError)."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError(problem="aliases (*name) are not allowed in a bank file; write the value out",
                                       problem_mark=event.start_mark)
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.MarkedYAMLError(problem=f"nested more than {MAX_DEPTH} levels deep",
                                           problem_mark=self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def load_yaml(text: str):
    """Parse YAML text safely (no aliases, bounded nesting); raises yaml.YAMLError."""
    return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass


class BankError(Exception):
    """Problems found in a bank; nothing was imported. ``problems`` name each question."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def option_problems(qtype: str, options: list[dict]) -> list[str]:
    """The rules on options, shared by the importers and the admin."""
    problems = []
    correct = [o for o in options if o.get("correct")]
    if qtype == "single":
        if len(options) < 4:
            problems.append(f"a single-answer question needs at least 4 options (has {len(options)})")
        if len(correct) != 1:
            problems.append(f"a single-answer question needs exactly one correct option (has {len(correct)})")
    elif qtype == "multiple":
        if len(options) < 5:
            problems.append(f"a multiple-response question needs at least 5 options (has {len(options)})")
        if len(correct) < 2:
            problems.append(f"a multiple-response question needs at least two correct options (has {len(correct)})")
    for position, option in enumerate(options, start=1):
        if not str(option.get("text") or "").strip():
            problems.append(f"option {position} has no text")
        if not str(option.get("explanation") or "").strip():
            problems.append(f"option {position} has no explanation")
    texts = [str(o.get("text") or "").strip() for o in options]
    if len(set(texts)) != len(texts):
        problems.append("two options have the same text")
    return problems


def stem_problems(qtype: str, stem: str, correct_count: int) -> list[str]:
    if qtype == "multiple" and correct_count >= 2:
        word = CHOOSE_WORDS.get(correct_count, str(correct_count))
        if f"(Choose {word}.)" not in stem:
            return [f"a multiple-response stem must say how many to pick: add '(Choose {word}.)'"]
    return []


def question_problems(q: dict, *, known_domains: set[str], known_sheets: dict[str, set[str]] | None) -> list[str]:
    problems = []
    if not KEY.match(q["key"] or ""):
        problems.append("id must be lowercase letters, digits and hyphens")
    if q["qtype"] not in QTYPES:
        problems.append(f"type {q['qtype']!r} must be one of {', '.join(QTYPES)}")
    if q["difficulty"] not in DIFFICULTIES:
        problems.append(f"difficulty {q['difficulty']!r} must be one of {', '.join(DIFFICULTIES)}")
    if q["status"] not in STATUSES:
        problems.append(f"status {q['status']!r} must be one of {', '.join(STATUSES)}")
    if not q["domains"]:
        problems.append("needs at least one domain")
    exams = [label.split("/")[0] for label in q["domains"]]
    for label in q["domains"]:
        if label not in known_domains:
            problems.append(f"unknown domain {label!r} (known: {', '.join(sorted(known_domains))})")
    if len(set(exams)) != len(exams):
        problems.append("at most one domain per exam")
    if not str(q["stem"]).strip():
        problems.append("the stem is empty")
    if not str(q["explanation"]).strip() and q["status"] == "published":
        problems.append("a published question needs an overall explanation (or import it as a draft)")
    if not q["references"] and q["status"] == "published":
        problems.append("a published question needs at least one reference (or import it as a draft)")
    for url in q["references"]:
        if not (isinstance(url, str) and url.startswith("https://")):
            problems.append(f"reference {url!r} must be an https:// URL")
    if known_sheets is not None:
        for link in q["sheet_links"]:
            slug, _, anchor = str(link).partition("#")
            if slug not in known_sheets:
                problems.append(f"sheet link {link!r}: no cheat sheet '{slug}'")
            elif anchor and anchor not in known_sheets[slug]:
                problems.append(f"sheet link {link!r}: sheet '{slug}' has no section '{anchor}'")
    problems += option_problems(q["qtype"], q["options"])
    problems += stem_problems(q["qtype"], q["stem"], sum(1 for o in q["options"] if o.get("correct")))
    return problems


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def type_problems(raw: dict) -> list[str]:
    """Each field's type and size against what the model stores."""
    problems = []
    for name in ("id", "type", "difficulty", "status", "stem", "explanation"):
        value = raw.get(name)
        if value is not None and (not isinstance(value, (str, int, float)) or isinstance(value, bool)):
            problems.append(f"'{name}' must be text (got a {type(value).__name__})")
    for name in ("domains", "services", "sheets", "references"):
        value = raw.get(name)
        items = value if isinstance(value, list) else [] if value is None else [value]
        if any(not isinstance(item, (str, int, float)) or isinstance(item, bool) for item in items):
            problems.append(f"'{name}' must be a list of text items")
        if len(items) > MAX_ITEMS[name]:
            problems.append(f"'{name}' has {len(items)} items (at most {MAX_ITEMS[name]})")
        label = {"services": "service", "sheets": "sheet link", "references": "reference"}.get(name)
        for item in items:
            if label and len(str(item)) > MAX_LENGTHS[label]:
                problems.append(f"a {label} is {len(str(item))} characters long (at most {MAX_LENGTHS[label]})")
    for name, limit_key in (("id", "id"), ("stem", "stem"), ("explanation", "explanation")):
        if isinstance(raw.get(name), str) and len(raw[name]) > MAX_LENGTHS[limit_key]:
            problems.append(f"'{name}' is {len(raw[name])} characters long (at most {MAX_LENGTHS[limit_key]})")
    options = raw.get("options")
    if options is not None and not isinstance(options, list):
        problems.append("'options' must be a list")
    elif isinstance(options, list):
        if len(options) > MAX_ITEMS["options"]:
            problems.append(f"'options' has {len(options)} items (at most {MAX_ITEMS['options']})")
        for position, option in enumerate(options, start=1):
            if not isinstance(option, dict):
                continue
            for field, label in (("text", "option text"), ("explanation", "option explanation")):
                value = option.get(field)
                if value is not None and (not isinstance(value, (str, int, float)) or isinstance(value, bool)):
                    problems.append(f"option {position} '{field}' must be text (got a {type(value).__name__})")
                elif value is not None and len(str(value)) > MAX_LENGTHS[label]:
                    problems.append(f"option {position} '{field}' is {len(str(value))} characters long "
                                    f"(at most {MAX_LENGTHS[label]})")
    return problems


def normalize(raw: dict) -> tuple[dict, list[str]]:
    """A YAML question mapping -> question dict, with structural problems."""
    problems = [f"missing '{key}'" for key in REQUIRED if raw.get(key) in (None, "", [])]
    problems += [f"unknown field '{key}'" for key in sorted(set(raw) - set(REQUIRED) - set(OPTIONAL))]
    problems += type_problems(raw)
    options = []
    for position, option in enumerate(_as_list(raw.get("options")), start=1):
        if not isinstance(option, dict):
            problems.append(f"option {position} must be a mapping with text, correct, explanation")
            continue
        extra = set(option) - {"text", "correct", "explanation"}
        if extra:
            problems.append(f"option {position} has unknown field(s) {', '.join(sorted(extra))}")
        if not isinstance(option.get("correct", False), bool):
            problems.append(f"option {position}: 'correct' must be true or false")
        options.append({
            "text": str(option.get("text") or "").strip(),
            "correct": option.get("correct") is True,
            "explanation": str(option.get("explanation") or "").strip(),
        })
    question = {
        "key": str(raw.get("id") or "").strip(),
        "qtype": raw.get("type"),
        "domains": [str(d) for d in _as_list(raw.get("domains"))],
        "difficulty": raw.get("difficulty"),
        "services": [str(s) for s in _as_list(raw.get("services"))],
        "sheet_links": [str(s) for s in _as_list(raw.get("sheets"))],
        "status": raw.get("status") or "published",
        "stem": str(raw.get("stem") or "").strip(),
        "explanation": str(raw.get("explanation") or "").strip(),
        "references": _as_list(raw.get("references")),
        "options": options,
    }
    return question, problems


def label_of(raw, position: int) -> str:
    key = raw.get("id") if isinstance(raw, dict) else None
    return f"question {position}" + (f" ({key})" if key else "")


def parse(text: str, *, source: str, known_domains: set[str], known_sheets=None, limit: int | None = None) -> list[dict]:
    """Parse a YAML bank; raise BankError naming the source, the question and each problem."""
    try:
        data = load_yaml(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise BankError([f"{source}: invalid YAML{where}: {getattr(error, 'problem', None) or error}"]) from error
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise BankError([f"{source}: a bank file is a mapping with a 'questions' list"])
    if limit is not None and len(data["questions"]) > limit:
        raise BankError([f"{source}: the file holds {len(data['questions']):,} questions; one import takes at most "
                         f"{limit:,}: split it into smaller files"])
    questions, problems, seen = [], [], set()
    for position, raw in enumerate(data["questions"], start=1):
        where = f"{source}: {label_of(raw, position)}"
        if not isinstance(raw, dict):
            problems.append(f"{where}: must be a mapping of fields")
            continue
        question, structural = normalize(raw)
        found = structural or question_problems(question, known_domains=known_domains, known_sheets=known_sheets)
        if question["key"] in seen:
            found.append(f"duplicate id '{question['key']}'")
        seen.add(question["key"])
        problems += [f"{where}: {problem}" for problem in found]
        questions.append(question)
    if problems:
        raise BankError(problems)
    return questions


def dump(questions: list[dict]) -> str:
    """Questions -> YAML text that ``parse`` reads back to the same questions."""
    out = []
    for q in questions:
        item = {
            "id": q["key"], "type": q["qtype"], "domains": q["domains"], "difficulty": q["difficulty"],
            "services": q["services"], "sheets": q["sheet_links"], "status": q["status"],
            "stem": q["stem"] + "\n",
            "options": [{"text": o["text"], "correct": o["correct"], "explanation": o["explanation"]} for o in q["options"]],
            "explanation": q["explanation"] + "\n",
            "references": q["references"],
        }
        out.append(item)
    return yaml.dump({"questions": out}, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=100)


class _BlockDumper(yaml.SafeDumper):
    pass


def _str_representer(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str_representer)
