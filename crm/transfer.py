"""Customer import (CSV / XLSX, all-or-nothing, with a dry run) and export of any filtered list."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.db.models.functions import Upper
from django.utils.translation import gettext as _

from ccapp.errors import DomainError
from ccapp.phones import normalize
from crm.custom_fields import definitions, validate_custom
from crm.models import Customer, CustomerEmail, CustomerKind, CustomerPhone, CustomFieldDefinition
from crm.services import _check, create_customer

COLUMNS = ["name", "kind", "company", "phones", "email", "language", "region", "address", "vip_level",
           "tags", "do_not_call", "consent", "notes"]  # fmt: skip
REQUIRED = {"name"}
MAX_ROWS = 200_000
MAX_REPORTED = 1000
_TRUE = {"1", "true", "yes", "y", "是", "x"}


@dataclass
class ImportReport:
    """What an import found: every bad row (up to MAX_REPORTED listed) and what was created."""

    rows: int = 0
    valid_rows: int = 0
    bad_rows: int = 0
    created: int = 0
    dry_run: bool = True
    errors: list[dict[str, Any]] = field(default_factory=list)

    def error(self, row: int, field_name: str, error_id: str, message: str) -> None:
        if len(self.errors) < MAX_REPORTED:
            self.errors.append({"row": row, "field": field_name, "error_id": error_id, "message": message})


def _split(value: str) -> list[str]:
    for sep in ("；", ";", "|", "，"):
        value = value.replace(sep, ",") if sep != "," else value
    return [v.strip() for v in value.split(",") if v.strip()]


def read_table(data: bytes, filename: str, *, encoding: str = "utf-8") -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV or XLSX file, every cell as text."""
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise DomainError(_("Not a readable XLSX file."), field="file", error_id="import_xlsx") from exc
        table = [
            ["" if c is None else str(c).strip() for c in row] for row in sheet.iter_rows(values_only=True)
        ]
    else:
        try:
            text = data.decode("utf-8-sig" if encoding.lower().replace("_", "-") == "utf-8" else encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise DomainError(
                _("The file is not encoded as %(enc)s; save it as UTF-8 CSV or pass encoding=gb18030.")
                % {"enc": encoding},
                field="file",
                error_id="import_encoding",
            ) from exc
        table = [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]
    table = [row for row in table if any(row)]
    if not table:
        raise DomainError(_("The file is empty."), field="file", error_id="import_empty")
    if len(table) - 1 > MAX_ROWS:
        raise DomainError(_("Too many rows (at most 200,000)."), field="file", error_id="import_too_big")
    return [h.strip().lower() for h in table[0]], table[1:]


def _check_header(header: list[str]) -> None:
    custom = {f"custom.{k}" for k in CustomFieldDefinition.objects.values_list("key", flat=True)}
    unknown = [h for h in header if h not in COLUMNS and h not in custom]
    missing = sorted(REQUIRED - set(header))
    if unknown or missing or len(set(header)) != len(header):
        raise DomainError(
            _("Wrong columns. Unknown: %(unknown)s. Missing: %(missing)s. Expected: %(expected)s.")
            % {
                "unknown": ", ".join(unknown) or "-",
                "missing": ", ".join(missing) or "-",
                "expected": ", ".join(COLUMNS),
            },
            field="file",
            error_id="import_columns",
        )


def _row_fields(record: dict[str, str]) -> dict[str, Any]:
    fields: dict[str, Any] = {"name": record.get("name", "")}
    for name in ("company", "region", "address", "notes"):
        if record.get(name):
            fields[name] = record[name]
    fields["kind"] = record.get("kind") or CustomerKind.PERSON
    fields["language"] = record.get("language") or "zh"
    fields["email"] = record.get("email", "")
    fields["vip_level"] = int(record.get("vip_level") or 0)
    fields["tags"] = _split(record.get("tags", ""))
    fields["do_not_call"] = record.get("do_not_call", "").lower() in _TRUE
    fields["consent"] = record.get("consent", "1").lower() in _TRUE
    return fields


def _existing(numbers: set[str], emails: set[str]) -> tuple[set[str], set[str]]:
    phones = set(
        CustomerPhone.objects.filter(number__in=numbers, customer__merged_into__isnull=True).values_list(
            "number", flat=True
        )
    )
    mails = set(
        CustomerEmail.objects.annotate(u=Upper("email")).filter(u__in=emails).values_list("u", flat=True)
    )
    mails |= set(
        Customer.objects.annotate(u=Upper("email"))
        .filter(u__in=emails, merged_into__isnull=True)
        .values_list("u", flat=True)
    )
    return phones, mails


def import_customers(
    *, data: bytes, filename: str, dry_run: bool = True, encoding: str = "utf-8", user=None
) -> ImportReport:
    """Check every row; unless dry_run and only when no row is bad, create all customers at once."""
    header, rows = read_table(data, filename, encoding=encoding)
    _check_header(header)
    report = ImportReport(rows=len(rows), dry_run=dry_run)
    parsed: list[tuple[int, dict[str, Any], list[str], list[str]]] = []
    known = definitions()  # once, not once a row
    for i, row in enumerate(rows, start=2):  # row 1 is the header, as a spreadsheet numbers them
        record = dict(zip(header, row + [""] * (len(header) - len(row)), strict=False))
        bad = False
        try:
            fields = _check(_row_fields(record))
            custom = {k[7:]: v for k, v in record.items() if k.startswith("custom.") and v}
            fields["custom"] = validate_custom(custom, known)
        except DomainError as exc:
            report.error(i, exc.field or "", exc.error_id, str(exc.message))
            parsed.append((i, {}, [], []))
            report.bad_rows += 1
            continue
        except ValueError:
            report.error(i, "vip_level", "invalid_vip_level", _("VIP level is 0 to 5."))
            parsed.append((i, {}, [], []))
            report.bad_rows += 1
            continue
        numbers = []
        for raw in _split(record.get("phones", "")):
            number = normalize(raw)
            if not number.valid:
                report.error(i, "phones", "invalid_number", _("Not a valid phone number: %(n)s") % {"n": raw})
                bad = True
            numbers.append(number.e164)
        emails = [fields["email"].upper()] if fields.get("email") else []
        parsed.append((i, fields, numbers, emails))
        report.bad_rows += bad
    _find_duplicates(parsed, report)
    report.errors.sort(key=lambda e: e["row"])
    report.valid_rows = report.rows - report.bad_rows
    if dry_run or report.bad_rows:
        return report
    with transaction.atomic():
        for _row, fields, _numbers, _emails in parsed:
            phones = _split(dict(zip(header, rows[_row - 2], strict=False)).get("phones", ""))
            create_customer(phones=phones, user=user, **fields)
            report.created += 1
    return report


def _find_duplicates(parsed: list, report: ImportReport) -> None:
    numbers = {n for _, _, ns, _ in parsed for n in ns if n}
    emails = {e for _, _, _, es in parsed for e in es}
    taken_numbers, taken_emails = _existing(numbers, emails)
    seen: dict[str, int] = {}
    flagged: set[int] = {row for row, fields, _, _ in parsed if not fields}
    for row, fields, row_numbers, row_emails in parsed:
        if not fields:
            continue
        for key in [n for n in row_numbers if n] + row_emails:
            message = ""
            if key in taken_numbers or key in taken_emails:
                message = _("A customer with %(key)s already exists.") % {"key": key.lower()}
            elif key in seen:
                message = _("Same as row %(row)s: %(key)s.") % {"row": seen[key], "key": key.lower()}
            seen.setdefault(key, row)
            if message:
                report.error(row, "phones" if key.startswith("+") else "email", "duplicate", message)
                if row not in flagged:
                    flagged.add(row)
                    report.bad_rows += 1
                break


def export_customers(queryset: QuerySet[Customer], *, fmt: str = "csv") -> tuple[bytes, str, str]:
    """A filtered list of customers as CSV or XLSX in the import columns: (data, content type, name)."""
    keys = list(CustomFieldDefinition.objects.values_list("key", flat=True))
    header = COLUMNS + [f"custom.{k}" for k in keys]
    rows = [header]
    for c in queryset.prefetch_related("phones").order_by("pk").iterator(chunk_size=2000):
        phones = ";".join(p.number or p.raw for p in c.phones.all())
        flags = ["1" if c.do_not_call else "0", "1" if c.consent else "0"]
        custom = [str(c.custom.get(k, "")) for k in keys]
        rows.append([c.name, c.kind, c.company, phones, c.email, c.language, c.region, c.address,
                     str(c.vip_level), ";".join(c.tags), *flags, c.notes, *custom])  # fmt: skip
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("customers")
        for row in rows:
            sheet.append(row)
        out = io.BytesIO()
        book.save(out)
        ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return out.getvalue(), ctype, "customers.xlsx"
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    # A BOM so that Excel opens the Chinese names correctly.
    return ("\ufeff" + text.getvalue()).encode("utf-8"), "text/csv; charset=utf-8", "customers.csv"
