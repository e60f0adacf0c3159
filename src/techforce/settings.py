"""One settings object, built at start-up from the environment and passed down explicitly."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - containers without a passwd entry
        return "unknown"


class Settings(BaseSettings):
    """Every setting, with the help text shown by `techforce settings`.

    Each can be set as an environment variable prefixed with ``TECHFORCE_``
    (for example ``TECHFORCE_DATA_DIR=/srv/techforce``).
    """

    model_config = SettingsConfigDict(env_prefix="TECHFORCE_", extra="forbid")

    data_dir: Path = Field(
        default=Path(".techforce"),
        description="Folder holding the SQLite catalogue, Parquet snapshots and the pseudonym key.",
    )
    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the relational store. Empty means a SQLite file in data_dir; "
            "use postgresql+psycopg://user@host/db for a multi-user deployment."
        ),
    )
    pseudonym_key_file: Path | None = Field(
        default=None,
        description=(
            "File with the secret key for pseudonymising staff ids (HMAC-SHA256). Generated with "
            "mode 0600 on first use; default data_dir/secret/pseudonym.key. Keep it: a new key "
            "means new pseudonyms, and people no longer link across years."
        ),
    )
    disclosure_rules: str = Field(
        default="hesa-standard",
        description="Name of the disclosure rule set applied to every published number.",
    )
    allow_unrounded: bool = Field(
        default=False,
        description=(
            "Grant unrounded output (--unrounded). Only for users entitled to see a provider's "
            "own unrounded figures; everything published stays rounded."
        ),
    )
    user: str = Field(
        default_factory=_default_user,
        description="Name recorded in the catalogue and audit log as the person making changes.",
    )

    min_peer_group_size: int = Field(
        default=5,
        ge=2,
        description=(
            "Fewest providers a peer group may have (disclosure control: a smaller group is refused, "
            "so that no group's figures sit close to one provider's)."
        ),
    )

    trusted_proxies: list[str] = Field(
        default_factory=list,
        description=(
            "Addresses of reverse proxies whose X-Forwarded-For/-Proto headers are believed (JSON list, "
            'e.g. ["127.0.0.1"]). Empty: the headers are ignored and the peer address is the client.'
        ),
    )
    max_upload_bytes: int = Field(
        default=512 * 1024 * 1024,
        ge=1,
        description="Largest web upload in bytes (all files together); larger ones are refused while arriving.",
    )

    public_url: str = Field(
        default="http://localhost:8000",
        description=(
            "The address people reach this deployment at (no trailing slash). Credentials name it as "
            "their issuer and verification page; e-mails and calendar feeds link to it."
        ),
    )
    issuer_name: str = Field(
        default="techforce",
        description="The organisation named as the issuer of credentials and the sender of e-mails.",
    )
    credential_key_file: Path | None = Field(
        default=None,
        description=(
            "File with the deployment's Ed25519 signing key for credentials (PEM, PKCS#8). Generated "
            "with mode 0600 on first use; default data_dir/secret/credentials-ed25519.pem. Keep it: "
            "credentials signed with a lost key can no longer be told from forgeries."
        ),
    )
    smtp_host: str = Field(
        default="",
        description="SMTP server for notifications. Empty: messages are written to data_dir/outbox instead.",
    )
    smtp_port: int = Field(default=587, ge=1, le=65535, description="SMTP server port.")
    smtp_starttls: bool = Field(default=True, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_user: str = Field(default="", description="SMTP user name; empty: no authentication.")
    smtp_password: SecretStr = Field(
        default=SecretStr(""), description="SMTP password (never printed or logged)."
    )
    mail_from: str = Field(
        default="techforce@localhost", description="Sender address of notification e-mails."
    )
    notify_minutes: int = Field(
        default=10,
        ge=0,
        le=24 * 60,
        description=(
            "How often the web app queues due session reminders and feedback requests and sends "
            "them (minutes; 0: never, leave it to `techforce programmes notify` from cron)."
        ),
    )
    reminder_hours: int = Field(
        default=48, ge=1, le=24 * 14, description="How long before a session its reminder is sent."
    )
    research_quote_k: int = Field(
        default=5,
        ge=2,
        le=1000,
        description=(
            "Quote safety: the fewest participants of a study who must share a quote's "
            "attribution (e.g. participant type x institution) before it may be published."
        ),
    )
    nlp_device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto",
        description=(
            "Where the optional assisted-coding model runs (extra techforce[nlp]): auto = a GPU "
            "when torch sees one, else the CPU."
        ),
    )

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'techforce.db').resolve()}"

    @property
    def snapshot_dir(self) -> Path:
        return self.data_dir / "snapshots"

    @property
    def key_file(self) -> Path:
        return self.pseudonym_key_file or self.data_dir / "secret" / "pseudonym.key"

    @property
    def signing_key_file(self) -> Path:
        return self.credential_key_file or self.data_dir / "secret" / "credentials-ed25519.pem"

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"
