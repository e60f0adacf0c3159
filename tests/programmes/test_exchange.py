"""Bulk CSV export and import: a round trip changes nothing, bad rows are listed one per row
and nothing is written, and an event-booking tool's export imports with a column mapping."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from typer.testing import CliRunner

from techforce import errors
from techforce.audit import AuditEvent
from techforce.cli.main import app
from techforce.db import Database
from techforce.programmes import exchange, service
from techforce.programmes.models import Attendance, Booking, Participant, Programme, Session
from techforce.settings import Settings
from techforce.workforce.models import Provider
from tests.programmes.conftest import World, person

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def fresh(db: Database, tmp_path: Path) -> Iterator[Database]:
    """A second, empty store on the same kind of engine as ``db``."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        other = Database(Settings(data_dir=tmp_path / "other", user="tester"))
    else:
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS exchange_fresh"))
            conn.execute(text("CREATE DATABASE exchange_fresh"))
        admin.dispose()
        other_url = url.set(database="exchange_fresh").render_as_string(hide_password=False)
        other = Database(Settings(data_dir=tmp_path / "other", database_url=other_url, user="tester"))
    other.migrate()
    yield other
    other.dispose()


def _fill(world: World) -> None:
    """Bookings, an application decided, a register and a title that looks like a formula."""
    with world.db.session() as s:
        for i in range(5):
            service.book(s, world.workshop_cohort, s.merge(person(world.db, world.people[i])), actor="m")
        first = s.scalar(select(Booking).where(Booking.status == "confirmed").order_by(Booking.id))
        assert first is not None
        service.cancel(s, first, actor="m")
        applied = service.book(
            s,
            world.leadership_cohort,
            s.merge(person(world.db, world.people[5])),
            actor="m",
            statement="I lead, a team",
        )
        service.decide(s, applied, approve=True, reason="meets the criteria", actor="m")
        where = s.get(Session, world.sessions[0])
        assert where is not None
        service.record_attendance(s, where, {applied.id: "present"}, actor="m")
        shop = service.programme(s, "soldering")
        data = service.ProgrammeIn(
            slug="soldering",
            title="=SUM(A1:A9)",
            kind="workshop",
            capacity=shop.capacity,
            description='Line one\r\nline two, with "quotes"\n-minus first',
            audience="'=quoted already",
            eligibility="@everyone",
        )
        service.save_programme(s, data, actor="m")


def _events(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def _counts(db: Database) -> tuple[int, ...]:
    with db.session() as s:
        return tuple(
            int(s.scalar(select(func.count()).select_from(t)) or 0)
            for t in (Programme, Session, Participant, Booking, Attendance, AuditEvent)
        )


def test_export_import_export_gives_the_same_text_and_a_reimport_changes_nothing(
    world: World, fresh: Database
) -> None:
    _fill(world)
    first = exchange.export_tables(world.db)
    assert set(first) == {f"{t}.csv" for t in exchange.TABLES}
    report = exchange.import_tables(fresh, first, actor="importer")
    assert report.counts["bookings"].created == 6 and report.counts["attendance"].created == 1
    assert exchange.export_tables(fresh) == first
    before = _events(fresh)
    again = exchange.import_tables(fresh, first, actor="importer")
    assert not again.changed
    assert {t: c.created + c.changed for t, c in again.counts.items()} == dict.fromkeys(again.counts, 0)
    assert again.counts["bookings"].unchanged == 6
    assert _events(fresh) == before  # nothing audited for unchanged rows
    before = _events(world.db)
    assert not exchange.import_tables(world.db, first, actor="importer").changed
    assert _events(world.db) == before


def test_a_formula_cell_never_opens_as_one_and_comes_back_as_typed(world: World, fresh: Database) -> None:
    _fill(world)
    files = exchange.export_tables(world.db)
    rows = list(csv.DictReader(io.StringIO(files["programmes.csv"])))
    shop = next(r for r in rows if r["slug"] == "soldering")
    assert shop["title"] == "'=SUM(A1:A9)" and shop["eligibility"] == "'@everyone"
    assert shop["audience"] == "''=quoted already"
    exchange.import_tables(fresh, files, actor="importer")
    with fresh.session() as s:
        got = service.programme(s, "soldering")
        assert (got.title, got.audience, got.eligibility) == ("=SUM(A1:A9)", "'=quoted already", "@everyone")
        assert got.description == 'Line one\r\nline two, with "quotes"\n-minus first'


def test_a_changed_row_is_written_and_reported_changed(world: World) -> None:
    _fill(world)
    files = exchange.export_tables(world.db)
    files["cohorts.csv"] = files["cohorts.csv"].replace("March", "April", 0)
    booking_rows = files["bookings.csv"].splitlines()
    edited = [line.replace(",waitlisted,", ",cancelled,") for line in booking_rows]
    files["bookings.csv"] = "\r\n".join(edited) + "\r\n"
    report = exchange.import_tables(world.db, files, actor="importer", dry_run=True)
    assert report.counts["bookings"].changed == 1
    with world.db.session() as s:
        assert s.scalar(select(func.count()).where(Booking.status == "waitlisted")) == 1  # dry run: kept
    report = exchange.import_tables(world.db, files, actor="importer")
    assert report.counts["bookings"].changed == 1 and report.counts["bookings"].unchanged == 5
    with world.db.session() as s:
        assert s.scalar(select(func.count()).where(Booking.status == "waitlisted")) == 0


BAD_BOOKINGS = (
    "programme,cohort,email,name,status\r\n"
    "soldering,March,a@example.ac.uk,Ann,confirmed\r\n"  # row 2: fine
    "nosuch,March,b@example.ac.uk,Bea,confirmed\r\n"  # row 3: unknown programme
    "soldering,March,c@example.ac.uk,Cat,maybe\r\n"  # row 4: unknown status
    "soldering,March,a@example.ac.uk,Ann,confirmed\r\n"  # row 5: duplicate of row 2
    "soldering,March,d@example.ac.uk,Dee,confirmed\r\n"  # row 6
    "soldering,March,e@example.ac.uk,Eve,confirmed\r\n"  # row 7: the third place of three
    "soldering,March,f@example.ac.uk,Fay,confirmed\r\n"  # row 8: the fourth
    "soldering,March,g@example.ac.uk,Guy,confirmed\r\n"  # row 9: over too, not listed again
)
BAD_SESSIONS = (
    "uid,programme,cohort,title,starts_at,ends_at\r\n"
    "x1@test,soldering,March,Extra,2026-13-01T09:00:00+00:00,2026-03-01T10:00:00+00:00\r\n"
)


def test_bad_rows_are_listed_one_per_row_and_nothing_is_written(world: World) -> None:
    before = _counts(world.db)
    with pytest.raises(errors.Invalid) as caught:
        exchange.import_tables(
            world.db, {"bookings.csv": BAD_BOOKINGS, "sessions.csv": BAD_SESSIONS}, actor="importer"
        )
    problems = {(p.file, p.line): p for p in caught.value.problems}
    assert sorted(problems) == [
        ("bookings.csv", 3),
        ("bookings.csv", 4),
        ("bookings.csv", 5),
        ("bookings.csv", 8),
        ("sessions.csv", 2),
    ]
    assert (
        problems[("bookings.csv", 3)].field == "programme"
        and "nosuch" in problems[("bookings.csv", 3)].message
    )
    assert problems[("bookings.csv", 4)].value == "maybe" and "confirmed" in problems[("bookings.csv", 4)].fix
    assert "row 2" in problems[("bookings.csv", 5)].message
    assert problems[("bookings.csv", 8)].rule == "capacity"
    assert problems[("sessions.csv", 2)].field == "starts_at"
    assert "nothing was written" in caught.value.message
    assert _counts(world.db) == before


def test_files_that_cannot_be_read_are_refused_with_the_fix(world: World) -> None:
    before = _counts(world.db)
    latin = "slug,title,kind,capacity\r\ncafe,Caf\xe9,workshop,3\r\n".encode("latin-1")
    with pytest.raises(errors.Invalid) as caught:
        exchange.import_tables(world.db, {"programmes.csv": latin}, actor="x")
    assert "UTF-8" in caught.value.problems[0].fix and caught.value.problems[0].file == "programmes.csv"
    huge = b"slug,title\r\n" + b"x" * (exchange.MAX_BYTES + 1)
    with pytest.raises(errors.Invalid, match="MB"):
        exchange.import_tables(world.db, {"programmes.csv": huge}, actor="x")
    with pytest.raises(errors.Invalid, match="unknown column 'colour'") as caught:
        exchange.import_tables(world.db, {"programmes.csv": "slug,colour\r\nx,red\r\n"}, actor="x")
    assert _counts(world.db) == before


def test_bom_and_crlf_and_a_new_programme_by_header(world: World) -> None:
    body = (
        "\ufeffslug,title,kind,capacity,cost_gbp,pillars,managers\r\n"
        'new-one,New,course,12,"£1,250.50",visibility; recognition,alice\r\n'
    )
    report = exchange.import_tables(world.db, {"upload.csv": body.encode("utf-8")}, actor="importer")
    assert report.files == {"upload.csv": "programmes"} and report.counts["programmes"].created == 1
    with world.db.session() as s:
        made = service.programme(s, "new-one")
        assert made.cost_pence == 125050 and made.pillars == ["visibility", "recognition"]
        assert [m.username for m in made.managers] == ["alice"]


def test_eventbrite_export_imports_with_the_preset(world: World) -> None:
    with world.db.session() as s:
        s.add(Provider(ukprn="10007789", name="University of Leeds"))
    data = (FIXTURES / "eventbrite_attendees.csv").read_bytes()
    mapping = exchange.mapping_from("eventbrite")
    report = exchange.import_booking_tool(
        world.db, data, mapping, programme="soldering", cohort="March", actor="importer"
    )
    assert report.counts["bookings"].created == 4 and report.counts["attendance"].created == 1
    assert [w.value for w in report.warnings] == ["Example Widgets Ltd"]
    with world.db.session() as s:
        got = {b.participant.email: (b.status, b.participant.ukprn) for b in s.scalars(select(Booking))}
        marks = list(s.scalars(select(Attendance)))
    assert got == {
        "priya.shah@example.ac.uk": ("confirmed", "10007789"),
        "tom.okafor@example.ac.uk": ("confirmed", "10007789"),
        "li.wei@example.com": ("confirmed", ""),
        "sam.jones@example.ac.uk": ("cancelled", ""),
    }
    assert [m.status for m in marks] == ["present"]
    again = exchange.import_booking_tool(
        world.db, data, mapping, programme="soldering", cohort="March", actor="importer"
    )
    assert not again.changed


def test_a_custom_mapping_and_bad_tool_rows(world: World) -> None:
    data = (
        "Full name,E-mail address,Booking\r\n"
        "Ann Lee,ann@example.ac.uk,Going\r\n"
        "Bob Ray,bob@example.ac.uk,Maybe\r\n"
        "Cy Po,not-an-address,Going\r\n"
    )
    mapping = exchange.mapping_from(
        None,
        "name: Full name\nemail: E-mail address\nstatus: Booking\n",
        ["statuses.Going=confirmed"],
    )
    with pytest.raises(errors.Invalid) as caught:
        exchange.import_booking_tool(
            world.db, data, mapping, programme="soldering", cohort="March", actor="x"
        )
    listed = [(p.line, p.field) for p in caught.value.problems]
    assert listed == [(3, "Booking"), (4, "E-mail address")]
    with world.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Booking)) == 0
    fixed = data.replace("Maybe", "Going").replace("not-an-address", "cy@example.ac.uk")
    report = exchange.import_booking_tool(
        world.db, fixed, mapping, programme="soldering", cohort="March", actor="x"
    )
    assert report.counts["bookings"].created == 3


def test_cli_export_then_import_and_bad_input_exits_2_listing_the_row(
    tmp_path: Path, sqlite_settings: Settings
) -> None:
    runner = CliRunner()
    data = str(sqlite_settings.data_dir)
    db = Database(sqlite_settings)
    db.migrate()
    with db.session() as s:
        service.save_programme(
            s,
            service.ProgrammeIn(slug="soldering", title="Soldering", kind="workshop", capacity=3),
            actor="m",
        )
    db.dispose()
    out = tmp_path / "export"
    result = runner.invoke(app, ["--data-dir", data, "programmes", "export", str(out)])
    assert result.exit_code == 0, result.output
    files = [str(out / f"{t}.csv") for t in exchange.TABLES]
    result = runner.invoke(app, ["--data-dir", data, "programmes", "import", *files, "--dry-run"])
    assert result.exit_code == 0, result.output
    bad = tmp_path / "bookings.csv"
    bad.write_text("programme,cohort,email,name,status\r\nsoldering,Nope,a@example.ac.uk,Ann,confirmed\r\n")
    result = runner.invoke(app, ["--data-dir", data, "programmes", "import", str(bad)])
    assert result.exit_code == 2
    assert re.search(r"bookings\.csv\s+2\s+cohort\s+Nope", result.output), result.output
    fixture = str(FIXTURES / "eventbrite_attendees.csv")
    args = ["--data-dir", data, "programmes", "import-bookings", fixture, "--programme", "soldering"]
    result = runner.invoke(app, [*args, "--cohort", "March", "--preset", "eventbrite"])
    assert result.exit_code == 2 and "no cohort 'March'" in result.output
    zipped = tmp_path / "all.zip"
    result = runner.invoke(app, ["--data-dir", data, "programmes", "export", str(zipped)])
    assert result.exit_code == 0 and zipped.stat().st_mode & 0o077 == 0


def test_only_the_programmes_one_manages_and_duplicates_in_a_tool_file(world: World) -> None:
    files = {"programmes.csv": "slug,title,kind,capacity\r\nsoldering,Soldering,workshop,3\r\n"}
    with pytest.raises(errors.Invalid) as caught:
        exchange.import_tables(world.db, files, actor="x", only={"leaders"})
    assert caught.value.problems[0].rule == "forbidden"
    data = "Name,Email,Status\r\nAnn,ann@example.ac.uk,Checked In\r\nAnn,ANN@example.ac.uk,Attending\r\n"
    mapping = exchange.mapping_from(None, '{"name": "Name", "email": "Email", "status": "Status"}')
    with pytest.raises(errors.Invalid) as caught:
        exchange.import_booking_tool(
            world.db, data, mapping, programme="leaders", cohort="Cohort 1", actor="x"
        )
    assert [(p.line, p.rule) for p in caught.value.problems] == [(3, "duplicate")]
    report = exchange.import_booking_tool(
        world.db,
        data.splitlines()[0] + "\n" + data.splitlines()[1],
        mapping,
        programme="leaders",
        cohort="Cohort 1",
        actor="x",
    )
    assert report.counts["attendance"].created == 0  # five sessions: which one is not known
    assert "5 sessions" in report.warnings[0].message


def test_a_cohorts_capacity_against_its_places_and_no_promotion_when_bookings_are_given(world: World) -> None:
    _fill(world)  # soldering, March: three confirmed (one promoted), one waitlisted, one cancelled
    files = exchange.export_tables(world.db)
    rows = [line.split(",") for line in files["cohorts.csv"].splitlines()]
    march = next(i for i, r in enumerate(rows) if r[:2] == ["soldering", "March"])
    rows[march][-1] = "2"
    shrunk = "\r\n".join(",".join(r) for r in rows) + "\r\n"
    with pytest.raises(errors.Invalid) as caught:
        exchange.import_tables(world.db, {"cohorts.csv": shrunk}, actor="x")
    assert [(p.line, p.field, p.rule) for p in caught.value.problems] == [(march + 1, "capacity", "capacity")]
    rows[march][-1] = "10"
    grown = "\r\n".join(",".join(r) for r in rows) + "\r\n"
    report = exchange.import_tables(
        world.db, {"cohorts.csv": grown, "bookings.csv": files["bookings.csv"]}, actor="x"
    )
    assert report.counts["cohorts"].changed == 1 and report.counts["bookings"].unchanged == 6
    with world.db.session() as s:
        assert (
            s.scalar(select(func.count()).where(Booking.status == "waitlisted")) == 1
        )  # the file's status stands
