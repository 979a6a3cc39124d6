"""Input checks for the epoch and candle pages (the API has its own serializers)."""

from django import forms

from core.fields import MAX_PATH_CHARS
from epochs.choices import EpochPreset
from epochs.engine.epoch_params import ID_MAX_LENGTH, ID_MIN_LENGTH, PARAMS, Param, check_param
from epochs.models import Epoch


def param_form_field(param: Param) -> forms.Field:
    """The form field of an epoch parameter: type, initial value, range, choices and help from its declaration."""
    common: dict = {"initial": param.default, "help_text": param.help}
    if param.label:
        common["label"] = param.label
    if param.choices:
        return forms.TypedChoiceField(
            choices=[(c, f"{c} {param.unit}".strip()) for c in param.choices], coerce=param.kind, **common
        )
    if param.kind is bool:
        return forms.BooleanField(required=False, **common)
    if param.kind is str:
        return forms.CharField(max_length=param.max_length, **common)
    field = forms.IntegerField if param.kind is int else forms.FloatField
    return field(min_value=param.low, max_value=param.high, required=not param.nullable, **common)


class CandleImportForm(forms.Form):
    start_month = forms.RegexField(regex=r"^\d{4}-\d{2}$", max_length=7, initial="2020-01", help_text="YYYY-MM")
    end_month = forms.RegexField(regex=r"^\d{4}-\d{2}$", max_length=7, initial="2024-12", help_text="YYYY-MM")
    source = forms.CharField(
        required=False,
        max_length=MAX_PATH_CHARS,
        help_text="Empty: the configured source (Binance, or a local folder).",
    )


class EpochCreateForm(forms.Form):
    id = forms.CharField(
        min_length=ID_MIN_LENGTH, max_length=ID_MAX_LENGTH, help_text="e.g. _EROS3: '_' + upper case, 4-100 characters"
    )
    preset = forms.ChoiceField(choices=EpochPreset.choices)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for param in PARAMS:  # the parameters the page shows, in their declared order
            if param.on_form:
                self.fields[param.name] = param_form_field(param)


class ParamListField(forms.CharField):
    """A list parameter as comma-separated values (``1, 1.5, 2``), checked against its declaration
    (item kind, range, choices, length); an error names the parameter."""

    def __init__(self, param: Param, **kwargs) -> None:
        self.param = param
        choices = f" Allowed: {', '.join(str(c) for c in param.choices)}." if param.choices else ""
        bounds = f" Each from {param.low:g} to {param.high:g}." if param.bounded else ""
        kwargs.setdefault("help_text", f"{param.help} Comma-separated.{choices}{bounds}".strip())
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, (list, tuple)):
            return ", ".join(f"{item:g}" if isinstance(item, float) else str(item) for item in value)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        return [item.strip() for item in text.split(",") if item.strip()] if text else []

    def validate(self, value) -> None:
        if not value and self.required:
            raise forms.ValidationError(f"{self.label}: give at least one value.", code="required")

    def clean(self, value):
        items = super().clean(value)
        clean, problem = check_param(self.param, items)
        if problem:
            raise forms.ValidationError(f"{self.label}: {problem}.", code="epoch_param")
        return clean


class EpochAdminForm(forms.ModelForm):
    """The admin's epoch form: list parameters as comma-separated fields, not JSON text boxes."""

    class Meta:
        model = Epoch
        # The admin narrows these to what it shows (read-only fields are left out).
        fields = [f.name for f in Epoch._meta.fields if f.editable]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for param in PARAMS:
            current = self.fields.get(param.name)
            if param.kind is list and current is not None:
                self.fields[param.name] = ParamListField(param, label=current.label, required=current.required)
