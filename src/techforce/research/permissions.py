"""The research capability's permissions, decided by accounts.access like every other.

A study is seen only by its members, whatever their role (admins too: interview data is
given to a study's team, not to the platform's operators). Each member has one right in the
study: an owner manages it (members, consent, imports, codebook, quote decisions, case
studies, exports), a coder codes and writes memos, a viewer reads. A non-member asking for a
study gets the same 404 as for a study that does not exist, so not even its name leaks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from techforce.accounts.access import ALL_ROLES, Permission, Role, Scope

if TYPE_CHECKING:
    from techforce.accounts.access import Principal
    from techforce.db import Database

OWNER, CODER, VIEWER = "owner", "coder", "viewer"
RIGHTS = (OWNER, CODER, VIEWER)  # strongest first
_RANK = {OWNER: 3, CODER: 2, VIEWER: 1}


def right_in(db: Database, username: str, study: str) -> str | None:
    """``username``'s right in the study with GUID ``study``, or None for a non-member."""
    from techforce.research.models import Member, Study

    with db.session() as session:
        return session.scalar(
            select(Member.right)
            .join(Study, Study.id == Member.study_id)
            .where(Study.guid == study, Member.username == username)
        )


def _at_least(right: str) -> Lookup:
    def lookup(db: Database, principal: Principal, study: str) -> bool:
        found = right_in(db, principal.username, study)
        return found is not None and _RANK[found] >= _RANK[right]

    lookup.__name__ = f"at_least_{right}"
    return lookup


def member(db: Database, principal: Principal, study: str) -> bool:
    """Is ``principal`` a member of the study at all (any right)?"""
    return right_in(db, principal.username, study) is not None


if TYPE_CHECKING:
    from techforce.accounts.access import Lookup

CREATE_STUDY = Permission("create-study", "create research studies", frozenset({Role.ADMIN, Role.RESEARCHER}))
VIEW_STUDY = Permission(
    "view-study",
    "read a research study: its sources, codings, analysis and case studies",
    ALL_ROLES,
    Scope.MEMBERSHIP,
    ALL_ROLES,
    "study",
    _at_least(VIEWER),
    member,
)
CODE_STUDY = Permission(
    "code-study",
    "code a research study's sources and write memos",
    ALL_ROLES,
    Scope.MEMBERSHIP,
    ALL_ROLES,
    "study",
    _at_least(CODER),
    member,
)
OWN_STUDY = Permission(
    "own-study",
    "manage a research study: members, participants, consent, imports, codebook, quotes, exports",
    ALL_ROLES,
    Scope.MEMBERSHIP,
    ALL_ROLES,
    "study",
    _at_least(OWNER),
    member,
)

ALL = (CREATE_STUDY, VIEW_STUDY, CODE_STUDY, OWN_STUDY)
