"""Programme routes open to everyone (the ``public`` dependency): checking a credential, the
signed revocation list and the public key that anyone needs to check one without asking us,
and a person's private calendar feed, which authenticates by the secret token in its address.
Each path is listed in tests/web/programmes_matrix.py PUBLIC_ROUTES; no other route is open.

The verify form has no CSRF token: it changes nothing and there is no session to ride on."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from techforce import errors
from techforce.programmes import calendar, credentials, pages
from techforce.web.deps import Open, Public
from techforce.web.pages import render

router = APIRouter()
MAX_CREDENTIAL = credentials.MAX_INPUT


class CredentialIn(BaseModel):
    credential: str = Field(min_length=1, max_length=MAX_CREDENTIAL, description="A VC-JWT as issued")


def _verify(site: Open, token: str) -> pages.VerifyPage:
    with site.db.session() as session:
        found = credentials.verify(token.strip(), site.settings, db=session)
    return pages.verify_page(found)


@router.post("/api/programmes/verify", tags=["programmes"])
def verify_json(site: Public, data: CredentialIn) -> pages.VerifyPage:
    """Check a credential: signature, format, schema, dates and revocation, each with its result."""
    return _verify(site, data.credential)


@router.get("/programmes/verify", include_in_schema=False)
def verify_form(request: Request, _site: Public) -> Response:
    return render(request, "programmes/verify.html.j2", pages.VerifyPage())


@router.get("/programmes/credentials/verify", include_in_schema=False)
def verify_alias(_site: Public) -> Response:
    """The address credentials and certificates print (credentials.verify_url)."""
    return RedirectResponse("/programmes/verify", status_code=303)


@router.post("/programmes/verify", include_in_schema=False)
async def verify_submit(
    request: Request,
    site: Public,
    credential: Annotated[str, Form()] = "",
    upload: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Paste a credential or upload its file; the result shows every check and why one failed."""
    text = credential
    if upload is not None and upload.filename:
        raw = await upload.read(MAX_CREDENTIAL + 1)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = ""
            data = pages.VerifyPage(error="the file is not text: upload the .jwt file you downloaded")
            return render(request, "programmes/verify.html.j2", data, status_code=422)
    if not text.strip():
        data = pages.VerifyPage(error="paste a credential into the box or choose its file, then Check")
        return render(request, "programmes/verify.html.j2", data, status_code=422)
    if len(text) > MAX_CREDENTIAL:
        data = pages.VerifyPage(
            error=f"a credential is at most {MAX_CREDENTIAL:,} characters; this is longer"
        )
        return render(request, "programmes/verify.html.j2", data, status_code=422)
    return render(request, "programmes/verify.html.j2", await run_in_threadpool(_verify, site, text))


@router.get("/programmes/credentials/status", tags=["programmes"])
def status_list(site: Public) -> Response:
    """The signed revocation list (a BitstringStatusListCredential as a VC-JWT)."""
    with site.db.session() as session:
        token = credentials.status_list(session, site.settings)
    return Response(token, media_type="application/vc+jwt", headers={"Cache-Control": "public, max-age=300"})


@router.get("/programmes/credentials/key", tags=["programmes"])
def public_key(site: Public) -> JSONResponse:
    """The deployment's public signing key as a JWK set."""
    return JSONResponse(
        {"keys": [credentials.public_jwk(site.settings)]},
        media_type="application/jwk-set+json",
        headers={"Cache-Control": "public, max-age=3600"},
    )


@router.get("/programmes/feeds/{token}.ics", tags=["programmes"])
def person_feed(site: Public, token: str) -> Response:
    """A person's private calendar feed: the sessions of their confirmed places. An unknown or
    revoked token is not found."""
    with site.db.session() as session:
        who = calendar.participant_for_token(session, token)
        if who is None:
            raise errors.NotFound("no calendar at this address: it was revoked or replaced; make a new one")
        body = calendar.person_feed(session, who.id, site.settings)
    return Response(body, media_type="text/calendar; charset=utf-8")
