"""Recognition credentials as their holders and checkers meet them: issued on completion
only, signed so that any change or another key is caught, revocable through the published
status list, valid Open Badges 3.0; the CLI's exit codes; the PDF certificate."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from joserfc import jws
from joserfc.jwk import OKPKey
from jsonschema import Draft201909Validator
from sqlalchemy import func, select
from typer.testing import CliRunner

from techforce import errors
from techforce.audit import AuditEvent
from techforce.cli.main import app
from techforce.db import Database
from techforce.programmes import certificate, credentials, events, service
from techforce.programmes.credential_keys import REGISTRY
from techforce.programmes.models import Booking, Credential, Notification, Participant
from techforce.settings import Settings
from tests.programmes.conftest import World, make_world

SHARED = Path("/work/shared/standards/openbadges")
VENDORED = Path(credentials.__file__).parent / "standards" / "openbadges"
SCHEMA = "ob_v3p0_achievementcredential_schema.json"
runner = CliRunner()


def complete(world: World, people: list[int], *, project: bool = True) -> list[int]:
    """Book ``people`` on the leadership cohort, approve them, mark them present at every
    session, record the final project (when ``project``) and confirm completions."""
    ids = []
    with world.db.session() as s:
        for i in people:
            who = s.get(Participant, world.people[i])
            assert who is not None
            booking = service.book(
                s, world.leadership_cohort, who, actor=f"tech{i}", statement="I lead a team"
            )
            service.decide(s, booking, approve=True, reason="meets the criteria", actor="manager")
            ids.append(booking.id)
        for session_id in world.sessions:
            where = service.session_by_id(s, session_id)
            service.record_attendance(s, where, dict.fromkeys(ids, "present"), actor="manager")
        for booking_id in ids:
            service.record_project(s, service.booking_by_id(s, booking_id), done=project, actor="manager")
        service.confirm_completions(s, service.cohort_by_id(s, world.leadership_cohort), actor="manager")
    return ids


def issued(world: World, settings: Settings, booking_id: int) -> Credential:
    with world.db.session() as s:
        return credentials.issue(s, service.booking_by_id(s, booking_id), settings, actor="manager")


def check(world: World, settings: Settings, token: str) -> credentials.Verification:
    with world.db.session() as s:
        return credentials.verify(token, settings, db=s)


def payload(token: str) -> dict[str, object]:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_a_completer_s_credential_is_valid_open_badges_and_hides_the_email(
    world: World, settings: Settings
) -> None:
    [booking_id] = complete(world, [0])
    credential = issued(world, settings, booking_id)
    found = check(world, settings, credential.token)
    assert found.valid, found.checks
    assert [c.name for c in found.checks] == ["format", "algorithm", "signature", "schema", "dates", "status"]
    assert found.reason.startswith("valid: Leadership for women in technical roles")
    content = found.credential
    assert content is not None and content["id"] == credential.id
    assert content["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert content["issuer"] == {
        "id": settings.public_url,
        "type": ["Profile"],
        "name": settings.issuer_name,
        "url": settings.public_url,
    }
    subject = content["credentialSubject"]
    achievement = subject["achievement"]
    assert achievement["id"] == f"{settings.public_url}/programmes/leaders"
    assert achievement["criteria"]["narrative"] == (
        "Present at 80% of sessions or more and the final project done."
    )
    email, name = subject["identifier"]
    assert name["identityHash"] == "Technician 0" and not name["hashed"]
    assert credentials.recipient_name(content) == "Technician 0"
    assert "tech0@example.ac.uk" not in credential.token
    assert (
        email["identityHash"]
        == "sha256$" + hashlib.sha256(("tech0@example.ac.uk" + email["salt"]).encode()).hexdigest()
    )
    status = content["credentialStatus"]
    assert status["statusListCredential"] == f"{settings.public_url}/programmes/credentials/status"
    assert status["statusListIndex"] == str(credential.status_index)
    header = json.loads(base64.urlsafe_b64decode(credential.token.split(".")[0] + "=="))
    assert header == {"alg": "EdDSA", "typ": "vc+jwt", "kid": credentials.public_jwk(settings)["kid"]}
    with world.db.session() as s:
        assert s.scalar(select(Notification.id).where(Notification.kind == "credential")) is not None
        assert s.scalar(select(AuditEvent.target).where(AuditEvent.action == events.CREDENTIAL_ISSUE)) == (
            credential.id
        )


def test_the_credential_matches_the_schema_and_the_vendored_schema_is_the_reference(
    world: World, settings: Settings
) -> None:
    [booking_id] = complete(world, [0])
    content = payload(issued(world, settings, booking_id).token)
    assert credentials.schema_problems(content) == []
    if not SHARED.exists():
        pytest.skip("the reference copy of the Open Badges files is not on this machine")
    for name in (SCHEMA, "context-3.0.3.json"):
        assert (VENDORED / name).read_bytes() == (SHARED / name).read_bytes(), name
    reference = json.loads((SHARED / SCHEMA).read_text())
    assert list(Draft201909Validator(reference).iter_errors(content)) == []
    broken = {**content, "credentialSubject": {"type": ["AchievementSubject"]}}
    assert any("achievement" in p for p in credentials.schema_problems(broken))


def test_a_changed_name_fails_the_signature(world: World, settings: Settings) -> None:
    [booking_id] = complete(world, [0])
    token = issued(world, settings, booking_id).token
    head, _, signature = token.split(".")
    changed = payload(token)
    changed["credentialSubject"]["identifier"][1]["identityHash"] = "Someone Else"  # type: ignore[index]
    forged = f"{head}.{b64(json.dumps(changed).encode())}.{signature}"
    found = check(world, settings, forged)
    assert not found.valid and found.credential is None
    assert found.reason.startswith("signature does not match the issuer's key")
    assert [(c.name, c.passed) for c in found.checks][-1] == ("signature", False)


def test_another_key_fails_the_signature_whatever_kid_it_names(world: World, settings: Settings) -> None:
    [booking_id] = complete(world, [0])
    content = json.dumps(payload(issued(world, settings, booking_id).token)).encode()
    other = OKPKey.generate_key("Ed25519")
    ours = credentials.public_jwk(settings)["kid"]
    for kid in (ours, other.thumbprint()):
        forged = jws.serialize_compact(
            {"alg": "EdDSA", "typ": "vc+jwt", "kid": kid}, content, other, registry=REGISTRY
        )
        found = check(world, settings, forged)
        assert not found.valid
        assert found.reason.startswith("signature does not match the issuer's key"), found.reason


def test_malformed_and_unsigned_input_say_why(world: World, settings: Settings) -> None:
    [booking_id] = complete(world, [0])
    token = issued(world, settings, booking_id).token
    assert check(world, settings, "not a token").checks[0].name == "format"
    assert not check(world, settings, "a.b").valid
    unsigned = check(world, settings, json.dumps(payload(token)))
    assert not unsigned.valid and "without its signature" in unsigned.reason
    wrapped = check(world, settings, json.dumps({"jwt": token}))
    assert wrapped.valid
    none_alg = f"{b64(json.dumps({'alg': 'none', 'typ': 'vc+jwt'}).encode())}.{token.split('.')[1]}."
    found = check(world, settings, none_alg)
    assert not found.valid and found.checks[-1].name == "algorithm"
    with pytest.raises(errors.Invalid, match="1 MB"):
        check(world, settings, "a" * (credentials.MAX_INPUT + 1))


def test_revoked_credentials_fail_through_the_status_list(world: World, settings: Settings) -> None:
    first, second, third = complete(world, [0, 1, 2])
    with world.db.session() as s:
        made = credentials.issue_all(s, service.cohort_by_id(s, world.leadership_cohort), settings, "manager")
    assert sorted(c.status_index for c in made) == [0, 1, 2]
    by_booking = {c.booking_id: c for c in made}
    with world.db.session() as s:
        with pytest.raises(errors.Invalid, match="reason"):
            credentials.revoke(s, by_booking[second].id, "  ", actor="manager")
        credentials.revoke(s, by_booking[second].id, "issued in error", actor="manager")
    with world.db.session() as s, pytest.raises(errors.Refused, match="already revoked") as refused:
        credentials.revoke(s, by_booking[second].id, "again", actor="manager")
    assert refused.value.http_status == 409
    with world.db.session() as s, pytest.raises(errors.NotFound):
        credentials.revoke(s, "urn:uuid:nothing", "gone", actor="manager")

    found = check(world, settings, by_booking[second].token)
    assert not found.valid and found.revoked
    assert found.reason.startswith("revoked on ") and found.reason.endswith(": issued in error")
    assert check(world, settings, by_booking[first].token).valid

    with world.db.session() as s:
        listed = credentials.status_list(s, settings)
    # Without the store, the published list alone says it is revoked (the reason is not in it).
    alone = credentials.verify(by_booking[second].token, settings, status_list_token=listed)
    assert alone.revoked and not alone.valid and alone.reason.startswith("revoked")
    assert credentials.verify(by_booking[third].token, settings, status_list_token=listed).valid
    # A status list the issuer did not sign is not believed.
    forged = f"{listed.rsplit('.', 1)[0]}.{b64(b'x' * 64)}"
    untrusted = credentials.verify(by_booking[first].token, settings, status_list_token=forged)
    assert not untrusted.valid and "status list is not the issuer's" in untrusted.reason
    unchecked = credentials.verify(by_booking[second].token, settings)
    assert unchecked.valid and unchecked.checks[-1].detail.startswith("not checked")


def test_status_list_bits(world: World, settings: Settings) -> None:
    bookings = complete(world, [0, 1, 2])
    made = [issued(world, settings, b) for b in bookings]
    with world.db.session() as s:
        credentials.revoke(s, made[1].id, "left the programme", actor="manager")
        content = payload(credentials.status_list(s, settings))
    assert content["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    subject = content["credentialSubject"]
    assert subject["statusPurpose"] == "revocation" and subject["type"] == "BitstringStatusList"  # type: ignore[index]
    encoded = subject["encodedList"]  # type: ignore[index]
    assert encoded.startswith("u")
    bits = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert len(bits) * 8 == 131072
    assert bits[0] == 0b0100_0000 and not any(bits[1:])  # index 1, most significant bit first


def test_issuing_before_completion_is_refused_and_issuing_twice_gives_the_same(
    world: World, settings: Settings
) -> None:
    [unfinished] = complete(world, [0], project=False)
    with world.db.session() as s, pytest.raises(errors.Refused, match="final project done") as refused:
        credentials.issue(s, service.booking_by_id(s, unfinished), settings, actor="manager")
    assert "completion rule is present at 80% of sessions or more" in refused.value.message
    with world.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Credential)) == 0
        booking = service.booking_by_id(s, unfinished)
        service.record_project(s, booking, done=True, actor="manager")
        service.confirm_completions(s, booking.cohort, actor="manager")
    first = issued(world, settings, unfinished)
    assert issued(world, settings, unfinished).id == first.id
    with world.db.session() as s:
        again = credentials.issue_all(
            s, service.cohort_by_id(s, world.leadership_cohort), settings, "manager"
        )
        assert again == []
        assert s.scalar(select(func.count()).select_from(Credential)) == 1


def test_the_signing_key_is_owner_only_and_kept(settings: Settings, db: Database) -> None:
    with db.session() as s:  # checking never creates the key
        header = b64(json.dumps({"alg": "EdDSA", "typ": "vc+jwt", "kid": "k"}).encode())
        found = credentials.verify(f"{header}.e30.AAAA", settings, db=s)
    assert not found.valid and "no signing key yet" in found.reason
    assert not settings.signing_key_file.exists()
    key = credentials.signing_key(settings)
    path = settings.signing_key_file
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert credentials.signing_key(settings).thumbprint() == key.thumbprint()
    jwk = credentials.public_jwk(settings)
    assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519" and "d" not in jwk
    assert jwk["kid"] == key.thumbprint()
    path.chmod(0o644)
    with pytest.raises(errors.Refused, match="chmod 600"):
        credentials.signing_key(settings)


def test_certificate_pdf_names_the_participant(world: World, settings: Settings) -> None:
    [booking_id] = complete(world, [0])
    issued(world, settings, booking_id)
    with world.db.session() as s:
        who = s.get(Participant, world.people[0])
        assert who is not None
        who.name = "Technician 0 <b>&</b>"  # names are user text: the page escapes them
    with world.db.session() as s:
        pdf = certificate.certificate_pdf(service.booking_by_id(s, booking_id), settings)
    assert pdf.startswith(b"%PDF")
    with world.db.session() as s:
        page = certificate.certificate_html(service.booking_by_id(s, booking_id), settings)
    assert certificate.pages(page) == 1
    assert "Technician 0 &lt;b&gt;&amp;&lt;/b&gt;" in page and "<b>&</b>" not in page
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout
        assert b"Technician 0" in text and b"Leadership for women" in text
    with world.db.session() as s:
        who = s.get(Participant, world.people[3])
        assert who is not None
        shop = service.book(s, world.workshop_cohort, who, actor="tech3")
        with pytest.raises(errors.Refused, match="no session marked present"):
            certificate.certificate_pdf(shop, settings)


def _cli(data: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--data-dir", str(data), "--user", "manager", *args])
    return result.exit_code, result.output


def test_cli_issue_export_verify_revoke_and_certificate(sqlite_settings: Settings, tmp_path: Path) -> None:
    database = Database(sqlite_settings)
    database.migrate()
    world = make_world(database)
    [booking_id] = complete(world, [0])
    database.dispose()
    data = sqlite_settings.data_dir
    code, out = _cli(data, "programmes", "credentials", "issue", "leaders", "Cohort 1", "--format", "json")
    assert code == 0, out
    [row] = json.loads(out)["rows"]
    assert row["participant"] == "Technician 0" and row["booking"] == booking_id
    code, out = _cli(data, "programmes", "credentials", "export", row["credential"], str(tmp_path / "badge"))
    assert code == 0, out
    token = (tmp_path / "badge.jwt").read_text().strip()
    assert json.loads((tmp_path / "badge.json").read_text())["id"] == row["credential"]

    code, out = _cli(data, "programmes", "verify", str(tmp_path / "badge.jwt"))
    assert code == 0, out
    assert "signature" in out and "valid:" in out

    head, body, signature = token.split(".")
    changed = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    changed["name"] = "Something else"
    (tmp_path / "tampered.jwt").write_text(f"{head}.{b64(json.dumps(changed).encode())}.{signature}")
    code, out = _cli(data, "programmes", "verify", str(tmp_path / "tampered.jwt"))
    assert code == 2 and "signature does not match the issuer's key" in out

    code, out = _cli(data, "programmes", "credentials", "revoke", row["credential"], "--reason", "duplicate")
    assert code == 0, out
    code, out = _cli(data, "programmes", "verify", str(tmp_path / "badge.jwt"))
    assert code == 2 and ": duplicate" in out and "revoked on" in out
    code, out = _cli(data, "programmes", "credentials", "revoke", row["credential"], "--reason", "again")
    assert code == 2 and "already revoked" in out

    code, out = _cli(data, "programmes", "certificate", str(booking_id), str(tmp_path / "cert.pdf"))
    assert code == 0, out
    assert (tmp_path / "cert.pdf").read_bytes().startswith(b"%PDF")
    code, out = _cli(data, "programmes", "verify", str(tmp_path / "missing.jwt"))
    assert code == 2 and "no such file" in out


def test_cli_refuses_issuing_for_an_unknown_cohort(sqlite_settings: Settings) -> None:
    code, out = _cli(sqlite_settings.data_dir, "programmes", "credentials", "issue", "leaders", "Nope")
    assert code == 2 and "no cohort" in out


def test_booking_model_unchanged_by_issuing(world: World, settings: Settings) -> None:
    """Issuing reads the booking; it changes nothing about it."""
    [booking_id] = complete(world, [0])
    with world.db.session() as s:
        before = s.get(Booking, booking_id)
        assert before is not None
        state = (before.status, before.completed_at)
    issued(world, settings, booking_id)
    with world.db.session() as s:
        after = s.get(Booking, booking_id)
        assert after is not None and (after.status, after.completed_at) == state
