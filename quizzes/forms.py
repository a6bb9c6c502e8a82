from django import forms
from django.core.exceptions import ValidationError

from quizzes.bank_format import option_problems, stem_problems
from quizzes.models import Domain


class LinesField(forms.CharField):
    """A list stored as JSON, edited as one item per line (commas also separate services)."""

    def __init__(self, *args, split_commas=False, **kwargs):
        self.split_commas = split_commas
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3, "cols": 80}))
        super().__init__(*args, **kwargs)

    def prepare_value(self, value):
        if isinstance(value, (list, tuple)):
            return "\n".join(str(item) for item in value)
        if isinstance(value, str) and value.startswith("["):
            import json

            try:
                return "\n".join(str(item) for item in json.loads(value))
            except ValueError:
                return value
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        parts = text.replace(",", "\n").splitlines() if self.split_commas else text.splitlines()
        return [part.strip() for part in parts if part.strip()]


class QuestionAdminForm(forms.ModelForm):
    services = LinesField(split_commas=True, help_text="One per line (or comma-separated), e.g. Lambda, SQS.")
    sheet_links = LinesField(help_text="One cheat-sheet section per line, e.g. sqs#key-numbers.")
    references = LinesField(help_text="One AWS documentation URL (https) per line.")

    class Meta:
        # A checkbox per domain (there are eight): labelled, keyboard-friendly, unlike the two-box filter widget.
        widgets = {"domains": forms.CheckboxSelectMultiple}

    def clean(self):
        cleaned = super().clean()
        domains = cleaned.get("domains") or []
        codes = [d.blueprint.code for d in domains]
        if len(set(codes)) != len(codes):
            self.add_error("domains", "Choose at most one domain per exam.")
        if cleaned.get("status") == "published" and not (cleaned.get("explanation") or "").strip():
            self.add_error("explanation", "A published question needs an overall explanation.")
        if cleaned.get("status") == "published" and not cleaned.get("references"):
            self.add_error("references", "A published question needs at least one AWS documentation reference.")
        return cleaned


class OptionInlineFormSet(forms.BaseInlineFormSet):
    """The option rules of docs/question-format.md, with messages that say what to fix."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        options = [
            {"text": form.cleaned_data.get("text", ""), "correct": form.cleaned_data.get("is_correct", False),
             "explanation": form.cleaned_data.get("explanation", "")}
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        qtype = self.instance.qtype if self.instance else None
        problems = option_problems(qtype, options)
        problems += stem_problems(qtype, self.instance.stem or "", sum(1 for o in options if o["correct"]))
        if problems:
            raise ValidationError([problem[0].upper() + problem[1:] + "." for problem in problems])


class ImportForm(forms.Form):
    FORMATS = [("auto", "Recognise by file name and content"), ("yaml", "Serverless Academy YAML"), ("gift", "Moodle GIFT")]

    file = forms.FileField(help_text="A .yaml or .gift (.txt) file. The whole file is imported, or nothing.")
    format = forms.ChoiceField(choices=FORMATS, initial="auto")
    default_domains = forms.ModelMultipleChoiceField(
        queryset=Domain.objects.select_related("blueprint"), required=False,
        help_text="For GIFT questions without '// @domains:' metadata. At most one per exam.",
    )
    default_difficulty = forms.ChoiceField(choices=[("easy", "Easy"), ("medium", "Medium"), ("hard", "Hard")], initial="medium")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            raise ValidationError("The file is larger than 5 MB.")
        try:
            return upload.read().decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValidationError(f"The file is not UTF-8 text (byte {error.start}).") from error

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("format") == "auto" and "file" in cleaned:
            cleaned["format"] = detect_format(self.files["file"].name, cleaned["file"])
        return cleaned


def detect_format(name: str, text: str) -> str:
    """"gift" or "yaml", by the file's name, else by its first meaningful line."""
    lower = name.lower()
    if lower.endswith(".gift") or lower.endswith(".gift.txt"):
        return "gift"
    if lower.endswith((".yaml", ".yml")):
        return "yaml"
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):  # blank, or a YAML comment
            continue
        if stripped.startswith(("questions:", "- id:", "---")):
            return "yaml"
        if stripped.startswith(("//", "::", "$CATEGORY")) or "{" in stripped:
            return "gift"
        break
    return "yaml"
