"""Import (all or nothing, with a dry run that reports every bad row) and export of customers."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import Workbook, load_workbook

from ccapp.errors import DomainError
from crm.models import Customer
from crm.services import create_customer
from crm.transfer import export_customers, import_customers

pytestmark = pytest.mark.django_db


def _csv(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


HEADER = ["name", "phones", "email", "vip_level", "tags"]


def test_it_dry_runs_then_imports_good_rows():
    data = _csv([HEADER, ["王芳", "138 0013 8000", "wf@example.com", "2", "老客户;大促用户"],
                 ["John Smith", "+1 650 253 0000; 0086 139 0000 1111", "", "", ""]])  # fmt: skip
    report = import_customers(data=data, filename="c.csv", dry_run=True)
    assert (report.rows, report.valid_rows, report.bad_rows, report.created) == (2, 2, 0, 0)
    assert not Customer.objects.exists()
    report = import_customers(data=data, filename="c.csv", dry_run=False)
    assert report.created == 2
    wang = Customer.objects.get(name="王芳")
    assert (wang.vip_level, wang.tags, wang.phones.get().number) == (
        2,
        ["大促用户", "老客户"],
        "+8613800138000",
    )
    assert sorted(Customer.objects.get(name="John Smith").phones.values_list("number", flat=True)) == [
        "+16502530000", "+8613900001111",
    ]  # fmt: skip


def test_it_reports_every_bad_row_and_imports_nothing():
    create_customer(name="existing", phones=["13700000000"])
    data = _csv([
        HEADER,
        ["ok", "13811110000", "", "", ""],
        ["", "13811110001", "", "", ""],            # missing name
        ["bad number", "12345", "", "", ""],        # invalid number
        ["dup in db", "0086 137 0000 0000", "", "", ""],
        ["dup in file", "138 1111 0000", "", "", ""],
        ["bad vip", "13811110002", "", "seven", ""],
        ["bad mail", "13811110003", "nope", "", ""],
    ])  # fmt: skip
    report = import_customers(data=data, filename="c.csv", dry_run=False)
    assert report.created == 0 and not Customer.objects.exclude(name="existing").exists()
    assert report.bad_rows == 6 and report.valid_rows == 1
    assert [(e["row"], e["error_id"]) for e in report.errors] == [
        (3, "name_missing"), (4, "invalid_number"), (5, "duplicate"), (6, "duplicate"),
        (7, "invalid_vip_level"), (8, "invalid_email"),
    ]  # fmt: skip


def test_it_rejects_wrong_columns_and_wrong_encoding_clearly():
    with pytest.raises(DomainError) as exc:
        import_customers(data=_csv([["nom", "téléphone"], ["x", "1"]]), filename="c.csv")
    assert exc.value.error_id == "import_columns" and "nom" in exc.value.message
    with pytest.raises(DomainError) as exc:
        import_customers(
            data=_csv([HEADER, ["王芳", "13800138000", "", "", ""]], "gb18030"), filename="c.csv"
        )
    assert exc.value.error_id == "import_encoding"
    report = import_customers(
        data=_csv([HEADER, ["王芳", "13800138000", "", "", ""]], "gb18030"),
        filename="c.csv",
        encoding="gb18030",
    )
    assert report.valid_rows == 1
    for data, name in [(b"PK\x03\x04broken", "c.xlsx"), (b"", "c.csv")]:
        with pytest.raises(DomainError):
            import_customers(data=data, filename=name)


def test_it_reports_a_hundred_thousand_bad_rows_without_importing():
    data = _csv([HEADER] + [["", "1", "", "", ""]] * 100_000)
    report = import_customers(data=data, filename="big.csv", dry_run=False)
    assert (report.rows, report.bad_rows, report.created) == (100_000, 100_000, 0)
    assert len(report.errors) == 1000 and report.errors[-1]["row"] == 1001
    assert not Customer.objects.exists()


def test_it_imports_xlsx_and_exports_a_filtered_list_that_imports_back():
    book = Workbook()
    sheet = book.active
    for row in [
        HEADER,
        ["赵敏", "13900002222", "zm@example.com", "1", "vip"],
        ["钱多", "13900003333", "", "0", ""],
    ]:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    assert import_customers(data=out.getvalue(), filename="c.xlsx", dry_run=False).created == 2
    data, ctype, name = export_customers(Customer.objects.filter(vip_level__gt=0), fmt="csv")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert name == "customers.csv" and ctype.startswith("text/csv")
    assert [r[0] for r in rows[1:]] == ["赵敏"] and rows[1][3] == "+8613900002222"
    data, _, _ = export_customers(Customer.objects.all(), fmt="xlsx")
    assert load_workbook(io.BytesIO(data)).active.max_row == 3
    Customer.objects.all().delete()
    assert (
        import_customers(
            data=_csv(rows).replace(b"\xef\xbb\xbf", b""), filename="c.csv", dry_run=False
        ).created
        == 1
    )
