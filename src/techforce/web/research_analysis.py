"""A study's analysis on the web: frequencies, matrices, co-occurrence, survey tables, the
quote table with quote safety, case studies and exports. Each page has its JSON twin under
/api built from the same page data; every form posts with the CSRF token and redirects after
a change (303), or shows the page again with the reason when the change is refused.

Members read (VIEW_STUDY); owners decide quotes, edit case studies and download tables
(OWN_STUDY; each download is audited). A non-member gets 404 on every route."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session as Db

from techforce import errors
from techforce.disclosure import RULE_SETS
from techforce.research import analysis_models as am
from techforce.research import analysis_pages as ap
from techforce.research import permissions, quote_pages, quoting
from techforce.research.export import TableLike
from techforce.web.deps import Ctx, guard
from techforce.web.pages import render
from techforce.web.security import content_disposition

router = APIRouter()
T = TypeVar("T")

Viewer = Annotated[Ctx, Depends(guard(permissions.VIEW_STUDY))]
Owner = Annotated[Ctx, Depends(guard(permissions.OWN_STUDY))]
StudyId = Annotated[str, Path(min_length=1, max_length=36, description="the study's GUID")]
CaseStudyId = Annotated[str, Path(min_length=1, max_length=36, description="the case study's GUID")]
CodingId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Layer = Annotated[
    str, Query(max_length=200, description="consensus, all (every coder) or coder:<name>; empty: the default")
]
Short = Annotated[str, Query(max_length=500)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEMPLATE = "research/analysis.html.j2"
DONE = {
    "decided": "Quote decision saved.",
    "created": "Case study created.",
    "saved": "Case study saved.",
}


def quote_k(ctx: Ctx) -> int:
    """How many cases must share a quote's attribution (TECHFORCE_RESEARCH_QUOTE_K)."""
    return ctx.settings.research_quote_k


def _read(ctx: Ctx, build: Callable[[Db], T]) -> T:
    with ctx.db.session() as s:
        return build(s)


def _download(
    ctx: Ctx, study: str, what: str, fmt: str, build: Callable[[Db], TableLike], **params: Any
) -> Response:
    """The table ``build`` makes, as a file; the export is audited in the same transaction."""
    with ctx.db.session() as s:
        data = ap.export(s, study, what, fmt, build(s), actor=ctx.principal.username, params=params)
    return Response(
        data,
        media_type="text/csv; charset=utf-8" if fmt == "csv" else XLSX,
        headers={"Content-Disposition": content_disposition(f"research-{study[:8]}-{what}.{fmt}")},
    )


def _done(done: str) -> str:
    return DONE.get(done, "")


# ---------------------------------------------------------------- matrix


def _matrix(ctx: Ctx, study: str, layer: str, mode: str, only: str) -> am.MatrixPage:
    return _read(
        ctx, lambda s: ap.matrix_page(s, study, ctx.principal.username, layer=layer, mode=mode, only=only)
    )


@router.get("/api/research/{study}/analysis/matrix", tags=["research"])
def matrix_json(
    ctx: Viewer, study: StudyId, layer: Layer = "", mode: Short = "counts", only: Short = ""
) -> am.MatrixPage:
    """Codes (rows, codebook order) by participants (columns): counts of coded segments,
    presence (1/0) or summaries of the coded texts; ``only=attribute=value`` keeps the
    participants with that value."""
    return _matrix(ctx, study, layer, mode, only)


@router.get("/research/{study}/analysis/matrix", include_in_schema=False)
def matrix_page(
    request: Request, ctx: Viewer, study: StudyId, layer: Layer = "", mode: Short = "counts", only: Short = ""
) -> Response:
    return render(request, TEMPLATE, _matrix(ctx, study, layer, mode, only), ctx)


# ---------------------------------------------------------------- frequencies


def _frequencies(ctx: Ctx, study: str, layer: str, by: str) -> am.FrequenciesPage:
    return _read(ctx, lambda s: ap.frequencies_page(s, study, ctx.principal.username, layer=layer, by=by))


@router.get("/api/research/{study}/analysis/frequencies", tags=["research"])
def frequencies_json(
    ctx: Viewer, study: StudyId, layer: Layer = "", by: Short = "case"
) -> am.FrequenciesPage:
    """Per code: segments, participants, and a column per participant (``by=case``) or per
    value of a participant attribute, with a bar chart of participants per code."""
    return _frequencies(ctx, study, layer, by)


@router.get("/research/{study}/analysis/frequencies", include_in_schema=False)
def frequencies_page(
    request: Request, ctx: Viewer, study: StudyId, layer: Layer = "", by: Short = "case"
) -> Response:
    return render(request, TEMPLATE, _frequencies(ctx, study, layer, by), ctx)


# ---------------------------------------------------------------- co-occurrence


def _cooccurrence(ctx: Ctx, study: str, layer: str, same_coder: str) -> am.CooccurrencePage:
    one = bool(same_coder)
    return _read(
        ctx, lambda s: ap.cooccurrence_page(s, study, ctx.principal.username, layer=layer, same_coder=one)
    )


@router.get("/api/research/{study}/analysis/cooccurrence", tags=["research"])
def cooccurrence_json(
    ctx: Viewer, study: StudyId, layer: Layer = "", same_coder: Short = ""
) -> am.CooccurrencePage:
    """Code × code: overlapping segment pairs in the same source (any coders, or one coder
    with ``same_coder=1``); the diagonal counts each code's segments."""
    return _cooccurrence(ctx, study, layer, same_coder)


@router.get("/research/{study}/analysis/cooccurrence", include_in_schema=False)
def cooccurrence_page(
    request: Request, ctx: Viewer, study: StudyId, layer: Layer = "", same_coder: Short = ""
) -> Response:
    return render(request, TEMPLATE, _cooccurrence(ctx, study, layer, same_coder), ctx)


# ---------------------------------------------------------------- survey items


def _survey(ctx: Ctx, study: str, item: str, by: str, counts: str) -> am.SurveyPage:
    key = ap.survey_key(ctx.settings)
    rules = RULE_SETS[ctx.settings.disclosure_rules]
    return _read(
        ctx,
        lambda s: ap.survey_page(
            s, study, ctx.principal.username, key=key, rules=rules, item=item, by=by, counts=counts
        ),
    )


@router.get("/api/research/{study}/analysis/survey", tags=["research"])
def survey_json(
    ctx: Viewer, study: StudyId, item: Short = "", by: Short = "", counts: Short = "protected"
) -> am.SurveyPage:
    """A Likert item's answers overall and by an attribute: counts perturbed and rounded,
    small groups combined or suppressed (each cell's reason in ``reasons``); owners may ask
    for true counts with ``counts=true``."""
    return _survey(ctx, study, item, by, counts)


@router.get("/research/{study}/analysis/survey", include_in_schema=False)
def survey_page(
    request: Request,
    ctx: Viewer,
    study: StudyId,
    item: Short = "",
    by: Short = "",
    counts: Short = "protected",
) -> Response:
    return render(request, TEMPLATE, _survey(ctx, study, item, by, counts), ctx)


# ---------------------------------------------------------------- quotes


Fields = Annotated[list[str] | None, Query(max_length=20, description="attribution fields (repeat)")]


def _quotes(ctx: Ctx, study: str, layer: str, attribution: list[str] | None, **notice: str) -> am.QuotesPage:
    k = quote_k(ctx)
    fields = [f[:200] for f in attribution or []]
    page: am.QuotesPage = _read(
        ctx,
        lambda s: quote_pages.quotes_page(s, study, ctx.principal.username, k=k, layer=layer, fields=fields),
    )
    return page.model_copy(update=notice)


@router.get("/api/research/{study}/analysis/quotes", tags=["research"])
def quotes_json(ctx: Viewer, study: StudyId, layer: Layer = "", attribution: Fields = None) -> am.QuotesPage:
    """Candidate quotes with their safety verdict (consent and the k rule for the chosen
    attribution fields), safer attributions, the owner's decision checked again now, and
    the quotes that may leave the team (what the quotes export holds)."""
    return _quotes(ctx, study, layer, attribution)


@router.get("/research/{study}/analysis/quotes", include_in_schema=False)
def quotes_page(
    request: Request,
    ctx: Viewer,
    study: StudyId,
    layer: Layer = "",
    attribution: Fields = None,
    done: str = "",
) -> Response:
    page = _quotes(ctx, study, layer, attribution, message=_done(done))
    return render(request, "research/analysis_quotes.html.j2", page, ctx)


class DecisionIn(BaseModel):
    decision: str = Field(max_length=20, description="publish, coarsen or block")
    attribution: dict[str, str] = Field(
        default_factory=dict, max_length=20, description="field -> value as shown (publish: the fields)"
    )


class DecisionOut(BaseModel):
    coding_id: int
    decision: str
    attribution: dict[str, str]


def _decide(ctx: Ctx, study: str, coding: int, data: DecisionIn) -> DecisionOut:
    k = quote_k(ctx)
    with ctx.db.session() as s:
        row = quoting.decide_quote(
            s, study, coding, data.decision, data.attribution, actor=ctx.principal.username, k=k
        )
        return DecisionOut(coding_id=row.coding_id, decision=row.decision, attribution=dict(row.attribution))


@router.post("/api/research/{study}/analysis/quotes/{coding_id}/decision", tags=["research"])
def decide_json(ctx: Owner, study: StudyId, coding_id: CodingId, data: DecisionIn) -> DecisionOut:
    """Decide a quote (send the X-CSRF-Token header): publish as is (only when safe now),
    coarsen to an attribution at least k cases share, or block. 409 when refused."""
    return _decide(ctx, study, coding_id, data)


@router.post("/research/{study}/analysis/quotes/{coding_id}/decision", include_in_schema=False)
def decide_page(
    request: Request,
    ctx: Owner,
    study: StudyId,
    coding_id: CodingId,
    decision: Annotated[str, Form(max_length=20)] = "",
    field: Annotated[list[str] | None, Form()] = None,
    value: Annotated[list[str] | None, Form()] = None,
) -> Response:
    fields, values = field or [], value or []
    try:
        if len(fields) != len(values) or len(fields) > 20:
            raise errors.Invalid("attribution: give one value per field (at most 20).")
        _decide(
            ctx,
            study,
            coding_id,
            DecisionIn(decision=decision[:20], attribution=dict(zip(fields, values, strict=True))),
        )
    except errors.TechforceError as exc:
        page = _quotes(ctx, study, "", None, error=exc.message)
        return render(request, "research/analysis_quotes.html.j2", page, ctx, status_code=exc.http_status)
    return RedirectResponse(
        f"/research/{study}/analysis/quotes?done=decided#quote-{coding_id}", status_code=303
    )


# ---------------------------------------------------------------- case studies


def _case_studies(ctx: Ctx, study: str, **notice: Any) -> am.CaseStudiesPage:
    k = quote_k(ctx)
    page: am.CaseStudiesPage = _read(
        ctx, lambda s: quote_pages.case_studies_page(s, study, ctx.principal.username, k=k)
    )
    return page.model_copy(update=notice)


def _case_study(ctx: Ctx, study: str, case_study: str, **notice: Any) -> am.CaseStudyPage:
    k = quote_k(ctx)
    page: am.CaseStudyPage = _read(
        ctx, lambda s: quote_pages.case_study_page(s, study, case_study, ctx.principal.username, k=k)
    )
    return page.model_copy(update=notice)


def _save(ctx: Ctx, study: str, data: quoting.CaseStudyIn | dict[str, Any], case_study: str | None) -> str:
    k = quote_k(ctx)
    with ctx.db.session() as s:
        row = quoting.save_case_study(
            s, study, data, actor=ctx.principal.username, case_study_id=case_study, k=k
        )
        return row.guid


def _posted(
    title: Annotated[str, Form(max_length=1000)] = "",
    ukprn: Annotated[str, Form(max_length=40)] = "",
    summary: Annotated[str, Form(max_length=10_000)] = "",
    body: Annotated[str, Form(max_length=200_000)] = "",
    status: Annotated[str, Form(max_length=20)] = "draft",
    quotes: Annotated[list[str] | None, Form()] = None,
) -> dict[str, Any]:
    """The case study form as posted; the quote ids must be whole numbers."""
    ids = []
    for given in (quotes or [])[:100]:
        if not given.strip().isdigit():
            raise errors.Invalid(f"quotes: {given[:20]!r} is not a quote's id; tick quotes from the list.")
        ids.append(int(given))
    return {
        "title": title.strip(),
        "ukprn": ukprn.strip(),
        "summary": summary.replace("\r\n", "\n"),
        "body": body.replace("\r\n", "\n"),
        "status": status,
        "quotes": ids,
    }


Posted = Annotated[dict[str, Any], Depends(_posted)]


@router.get("/api/research/{study}/case-studies", tags=["research"])
def case_studies_json(ctx: Viewer, study: StudyId) -> am.CaseStudiesPage:
    """The study's case studies, each about one provider, with how many of their quotes are
    flagged (consent withdrawn or no longer safe); for owners, the quotes they may use."""
    return _case_studies(ctx, study)


@router.get("/research/{study}/case-studies", include_in_schema=False)
def case_studies_page(request: Request, ctx: Viewer, study: StudyId, done: str = "") -> Response:
    return render(
        request, "research/analysis_case_studies.html.j2", _case_studies(ctx, study, message=_done(done)), ctx
    )


@router.post("/api/research/{study}/case-studies", tags=["research"], status_code=201)
def create_case_study_json(ctx: Owner, study: StudyId, data: quoting.CaseStudyIn) -> am.CaseStudyPage:
    """Create a case study (send the X-CSRF-Token header): its quotes must be decided publish
    or coarsen and still pass consent and k."""
    return _case_study(ctx, study, _save(ctx, study, data, None))


@router.post("/research/{study}/case-studies", include_in_schema=False)
def create_case_study_page(request: Request, ctx: Owner, study: StudyId, posted: Posted) -> Response:
    try:
        made = _save(ctx, study, posted, None)
    except errors.TechforceError as exc:
        page = _case_studies(ctx, study, error=exc.message, values=posted)
        return render(
            request, "research/analysis_case_studies.html.j2", page, ctx, status_code=exc.http_status
        )
    return RedirectResponse(f"/research/{study}/case-studies/{made}?done=created", status_code=303)


@router.get("/api/research/{study}/case-studies/{case_study}", tags=["research"])
def case_study_json(ctx: Viewer, study: StudyId, case_study: CaseStudyId) -> am.CaseStudyPage:
    """A case study with its provider and quotes, each checked again now: a flagged quote
    (``ok`` false) says why it may no longer be published."""
    return _case_study(ctx, study, case_study)


@router.get("/research/{study}/case-studies/{case_study}", include_in_schema=False)
def case_study_page(
    request: Request, ctx: Viewer, study: StudyId, case_study: CaseStudyId, done: str = ""
) -> Response:
    page = _case_study(ctx, study, case_study, message=_done(done))
    return render(request, "research/analysis_case_study.html.j2", page, ctx)


@router.post("/api/research/{study}/case-studies/{case_study}", tags=["research"])
def edit_case_study_json(
    ctx: Owner, study: StudyId, case_study: CaseStudyId, data: quoting.CaseStudyIn
) -> am.CaseStudyPage:
    """Change a case study (send the X-CSRF-Token header); its quotes are replaced by ``quotes``."""
    return _case_study(ctx, study, _save(ctx, study, data, case_study))


@router.post("/research/{study}/case-studies/{case_study}", include_in_schema=False)
def edit_case_study_page(
    request: Request, ctx: Owner, study: StudyId, case_study: CaseStudyId, posted: Posted
) -> Response:
    try:
        saved = _save(ctx, study, posted, case_study)
    except errors.TechforceError as exc:
        page = _case_study(ctx, study, case_study, error=exc.message, values=posted)
        return render(request, "research/analysis_case_study.html.j2", page, ctx, status_code=exc.http_status)
    return RedirectResponse(f"/research/{study}/case-studies/{saved}?done=saved", status_code=303)


# ---------------------------------------------------------------- downloads (owners, audited)


def _add_downloads() -> None:
    """``<table>.csv`` and ``<table>.xlsx`` for each analysis table, with the page's choices."""

    def matrix(
        ctx: Owner, study: StudyId, fmt: str, layer: Layer = "", mode: Short = "counts", only: Short = ""
    ) -> Response:
        return _download(
            ctx,
            study,
            "matrix",
            fmt,
            lambda s: (
                ap.matrix_page(s, study, ctx.principal.username, layer=layer, mode=mode, only=only).table
            ),
            layer=layer,
            mode=mode,
            only=only,
        )

    def frequencies(ctx: Owner, study: StudyId, fmt: str, layer: Layer = "", by: Short = "case") -> Response:
        return _download(
            ctx,
            study,
            "frequencies",
            fmt,
            lambda s: ap.frequencies_page(s, study, ctx.principal.username, layer=layer, by=by).table,
            layer=layer,
            by=by,
        )

    def cooccurrence(
        ctx: Owner, study: StudyId, fmt: str, layer: Layer = "", same_coder: Short = ""
    ) -> Response:
        one = bool(same_coder)
        return _download(
            ctx,
            study,
            "cooccurrence",
            fmt,
            lambda s: (
                ap.cooccurrence_page(s, study, ctx.principal.username, layer=layer, same_coder=one).table
            ),
            layer=layer,
            same_coder=one,
        )

    def survey(
        ctx: Owner, study: StudyId, fmt: str, item: Short = "", by: Short = "", counts: Short = "protected"
    ) -> Response:
        key, rules = ap.survey_key(ctx.settings), RULE_SETS[ctx.settings.disclosure_rules]
        return _download(
            ctx,
            study,
            "survey",
            fmt,
            lambda s: (
                ap.survey_page(
                    s, study, ctx.principal.username, key=key, rules=rules, item=item, by=by, counts=counts
                ).table
            ),
            item=item,
            by=by,
            counts=counts,
        )

    def quotes(ctx: Owner, study: StudyId, fmt: str) -> Response:
        k = quote_k(ctx)
        return _download(ctx, study, "quotes", fmt, lambda s: quote_pages.published(s, study, k=k), k=k)

    for name, endpoint in (
        ("matrix", matrix),
        ("frequencies", frequencies),
        ("cooccurrence", cooccurrence),
        ("survey", survey),
        ("quotes", quotes),
    ):
        for fmt in ap.FORMATS:
            router.add_api_route(
                f"/research/{{study}}/analysis/{name}.{fmt}",
                _with_format(endpoint, fmt),
                methods=["GET"],
                include_in_schema=False,
                name=f"research_analysis_{name}_{fmt}",
            )


def _with_format(endpoint: Callable[..., Response], fmt: str) -> Callable[..., Response]:
    """``endpoint`` with its ``fmt`` fixed (FastAPI reads the remaining parameters)."""
    import functools
    import inspect

    bound = functools.partial(endpoint, fmt=fmt)
    signature = inspect.signature(endpoint, eval_str=True)
    params = [p for p in signature.parameters.values() if p.name != "fmt"]
    bound.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    return bound


_add_downloads()
