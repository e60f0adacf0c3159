"""Action plans by CSV: the export reads back exactly, an edited file updates the plan with
its history, and a bad file names every problem by row and field and changes nothing."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from techforce import errors
from techforce.audit import AuditEvent
from techforce.strategy import events, exchange, service
from techforce.strategy.models import Change, RecommendationSet
from techforce.workforce.problems import InputError

from .conftest import StrategyWorld

STAGE = "first-submission"
FORMULA = '=HYPERLINK("http://evil.example","click")'


def _plan(world: StrategyWorld) -> None:
    with world.db.session() as s:
        sub = service.submission(s, world.a, STAGE, "lee")
        stl1 = service.find_recommendation(s, "stl-2024/STL-1").id
        tc3 = service.find_recommendation(s, "talent-commission-2022/TC-3").id
        service.save_action(
            s,
            sub,
            service.ActionIn(
                objective=FORMULA,
                pillar="visibility",
                owner="lee",
                deadline=date(2026, 7, 31),
                status="in-progress",
                progress=40,
                supporting="'+quoted, with a comma\nand a second line",
                recommendations=[stl1, tc3],
                milestones=[
                    service.MilestoneIn("Survey sent", date(2025, 3, 31), True),
                    service.MilestoneIn("Report to the board", date(2025, 6, 30)),
                ],
                ref="A1",
            ),
            "lee",
        )
        service.save_action(
            s,
            sub,
            service.ActionIn(
                objective="Appoint a strategic technical lead",
                pillar="career-development",
                owner="ada",
                deadline=date(2027, 1, 31),
                ref="A2",
            ),
            "lee",
        )


def _export(world: StrategyWorld) -> str:
    with world.db.session() as s:
        return exchange.export_actions(s, world.a, STAGE, "lee")


def _import(world: StrategyWorld, data: bytes | str, **kw: Any) -> exchange.Imported:
    with world.db.session() as s:
        return exchange.import_actions(s, world.a, STAGE, data, "lee", **kw)


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _write(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _state(world: StrategyWorld) -> tuple[list[dict[str, Any]], int, int]:
    """The plan as rows, the number of history rows and of audit events."""
    with world.db.session() as s:
        rows = exchange.rows(s, exchange.find_submission(s, world.a, STAGE))
        changes = s.scalar(select(func.count()).select_from(Change)) or 0
        audits = s.scalar(select(func.count()).select_from(AuditEvent)) or 0
    return rows, changes, audits


def test_export_guards_formulas_and_reads_back_exactly(world: StrategyWorld) -> None:
    _plan(world)
    text = _export(world)
    assert text.startswith(",".join(exchange.COLUMNS) + "\r\n")
    first = _rows(text)[0]
    assert first["objective"] == "'" + FORMULA  # a spreadsheet shows it as text
    assert first["supporting"].startswith("''+quoted")
    assert first["recommendations"] == "stl-2024/STL-1; talent-commission-2022/TC-3"
    assert first["milestones"] == "2025-03-31 Survey sent [done] | 2025-06-30 Report to the board"
    before = _state(world)
    done = _import(world, text)
    assert done.unchanged == ["A1", "A2"] and not done.changed()
    assert _state(world) == before  # no change, no history, no audit event
    assert before[0][0]["objective"] == FORMULA
    assert before[0][0]["supporting"] == "'+quoted, with a comma\nand a second line"


def test_an_edited_file_updates_adds_and_records_history(world: StrategyWorld) -> None:
    _plan(world)
    rows = _rows(_export(world))
    rows[0]["progress"] = "75%"
    rows[0]["milestones"] = "2025-03-31 Survey sent [done] | 2025-06-30 Report to the board [done]"
    rows[1]["owner"] = "lee"
    rows.append({**rows[1], "ref": "A9", "objective": "Name technicians on papers", "recommendations": ""})
    rows.append({**rows[1], "ref": "", "objective": "Careers day", "pillar": "recognition"})
    done = _import(world, _write(rows))
    assert done.updated == ["A1", "A2"] and done.added == ["A9", "A4"]
    with world.db.session() as s:
        sub = exchange.find_submission(s, world.a, STAGE)
        assert sub is not None
        a1 = next(a for a in sub.actions if a.ref == "A1")
        assert a1.progress == 75 and all(m.done for m in a1.milestones)
        changed = {
            c.field: (c.before, c.after) for c in service.history(s, world.a, f"action:{a1.id}").changes[:2]
        }
        assert changed["progress"] == (40, 75)
        assert "milestones" in changed
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == events.ACTIONS_IMPORT)).one()
        assert event.payload["added"] == 2 and event.payload["updated"] == 2 and event.actor == "lee"
    again = _import(world, _export(world))
    assert not again.changed()


def test_actions_missing_from_the_file_are_left_alone_unless_asked(world: StrategyWorld) -> None:
    _plan(world)
    rows = _rows(_export(world))[:1]
    assert not _import(world, _write(rows)).changed()
    assert len(_state(world)[0]) == 2
    done = _import(world, _write(rows), remove_missing=True)
    assert done.removed == ["A2"]
    assert [r["ref"] for r in _state(world)[0]] == ["A1"]


def test_every_bad_row_is_named_and_nothing_changes(world: StrategyWorld) -> None:
    _plan(world)
    rows = _rows(_export(world))
    rows[0].update(owner="lou", deadline="31/07/2026", pillar="visability")
    rows[1].update(status="finished", progress="lots", recommendations="stl-2024/STL-9")
    rows.append({**rows[1], "ref": "A1", "status": "done", "progress": "150", "recommendations": ""})
    rows.append({**rows[1], "ref": "A7", "milestones": "next spring Report", "status": "", "progress": ""})
    before = _state(world)
    with pytest.raises(InputError) as caught:
        _import(world, _write(rows), file="plan.csv")
    found = {(p.line, p.field): p for p in caught.value.problems}
    owner = found[(2, "owner")]
    assert (
        "lou" in owner.message and "provider lead of 10000001" in owner.message and owner.file == "plan.csv"
    )
    assert "31/07/2026" in found[(2, "deadline")].message and "YYYY-MM-DD" in found[(2, "deadline")].fix
    assert "did you mean 'visibility'" in found[(2, "pillar")].message
    assert "finished" in found[(3, "status")].message and "in-progress" in found[(3, "status")].message
    assert "lots" in found[(3, "progress")].message and "0 to 100" in found[(3, "progress")].fix
    assert "stl-2024/STL-9" in found[(3, "recommendations")].message
    assert "row 2" in found[(4, "ref")].message
    assert "150" in found[(4, "progress")].message
    assert "next spring Report" in found[(5, "milestones")].value
    assert "nothing was written" in str(caught.value)
    assert _state(world) == before  # the store, its history and the audit log untouched


def test_a_bad_header_names_the_column_and_the_nearest(world: StrategyWorld) -> None:
    text = "ref,objectve,pillar,owner,colour\r\nA1,x,visibility,lee,red\r\n"
    with pytest.raises(InputError) as caught:
        _import(world, text)
    problems = {p.field: p for p in caught.value.problems}
    assert "rename it 'objective'" in problems["objectve"].fix
    assert problems["colour"].message == "unknown column 'colour'"
    assert "'deadline' is missing" in problems["deadline"].message
    assert "'objective' is missing" in problems["objective"].message


def test_bom_crlf_and_only_required_columns(world: StrategyWorld) -> None:
    text = "\ufeffref,objective,pillar,owner,deadline\r\nB1,Run a technician census,sustainability,ada,2028-02-29\r\n"
    done = _import(world, text.encode("utf-8"))
    assert done.added == ["B1"]
    row = _state(world)[0][0]
    assert row["deadline"] == "2028-02-29" and row["status"] == "not-started" and row["progress"] == 0


def test_files_that_cannot_be_read(world: StrategyWorld) -> None:
    with pytest.raises(InputError, match=r"not UTF-8.*byte 0xe9"):
        _import(
            world,
            "ref,objective,pillar,owner,deadline\nA1,Caf\xe9,visibility,lee,2026-01-01\n".encode("latin-1"),
        )
    with pytest.raises(InputError, match="the most is 2 MB"):
        _import(world, b"ref," + b"x" * (exchange.MAX_BYTES + 1))
    with pytest.raises(InputError, match="no header row"):
        _import(world, b"")
    with pytest.raises(InputError, match="the header has 5 columns"):
        _import(world, "ref,objective,pillar,owner,deadline\nA1,x,visibility,lee,2026-01-01,extra\n")
    assert _state(world)[0] == []


def test_a_submitted_plan_is_refused_and_an_unknown_stage_named(world: StrategyWorld) -> None:
    _plan(world)
    text = _export(world)
    with world.db.session() as s:
        sub = exchange.find_submission(s, world.a, STAGE)
        assert sub is not None
        service.submit(s, sub, "lee")
    with pytest.raises(errors.Refused, match="reopen it"):
        _import(world, text)
    with world.db.session() as s, pytest.raises(errors.Invalid, match="did you mean 'stage-2'"):
        exchange.export_actions(s, world.a, "stage2", "lee")


def test_older_set_versions_round_trip(world: StrategyWorld) -> None:
    _plan(world)
    with world.db.session() as s:
        old = s.scalars(select(RecommendationSet).where(RecommendationSet.slug == "stl-2024")).one()
        newer = exchange.stored_set(old)
        from dataclasses import replace

        service.install_set(s, replace(newer, version=newer.version + 1), "ada")
    text = _export(world)
    assert "stl-2024@1/STL-1" in _rows(text)[0]["recommendations"]
    assert not _import(world, text).changed()
    rows = _rows(text)
    rows[1]["recommendations"] = "stl-2024/STL-2"
    assert _import(world, _write(rows)).updated == ["A2"]


def test_an_empty_plan_exports_a_header(world: StrategyWorld) -> None:
    assert _export(world) == ",".join(exchange.COLUMNS) + "\r\n"
    assert not _import(world, _export(world)).changed()
    with world.db.session() as s:
        assert exchange.find_submission(s, world.a, STAGE) is None
        exports = s.scalars(select(AuditEvent).where(AuditEvent.action == events.ACTIONS_EXPORT)).all()
        assert [e.payload["actions"] for e in exports] == [0, 0]


def test_a_milestone_title_with_a_bar_is_written_one_per_line(world: StrategyWorld) -> None:
    text = (
        "ref,objective,pillar,owner,deadline,milestones\r\n"
        'C1,Pilot,recognition,lee,2026-12-31,"2026-01-31 Phase 1 | 2 [done]\n2026-02-28 Review"\r\n'
    )
    assert _import(world, text).added == ["C1"]
    row = _state(world)[0][0]
    assert row["milestones"] == "2026-01-31 Phase 1 | 2 [done]\n2026-02-28 Review"
    assert not _import(world, _export(world)).changed()


def test_too_many_rows_are_refused(world: StrategyWorld) -> None:
    line = "A{},x,visibility,lee,2026-01-01\n"
    text = "ref,objective,pillar,owner,deadline\n" + "".join(line.format(i) for i in range(1001))
    with pytest.raises(InputError, match="1,001 actions; the most is 1,000"):
        _import(world, text)
