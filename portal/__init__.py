"""The Varsel portal: an application factory as in Flask's tutorial (flaskr)."""

import logging

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from . import db, errors, i18n, ratelimit, security, upload
from .config import PROJECT_ROOT, Settings
from .instance import InstanceSecrets


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    for directory in (settings.data_dir, settings.keys_dir, settings.blobs_dir):
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    secrets = InstanceSecrets.load_or_create(settings.instance_dir)
    app.config.update(
        SECRET_KEY=secrets.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        MAX_CONTENT_LENGTH=settings.max_upload_bytes + 1024 * 1024,
        MAX_FORM_MEMORY_SIZE=upload.FORM_MEMORY_BYTES,
        WTF_CSRF_TIME_LIMIT=settings.form_valid_hours * 3600,
        # Referrer-Policy: no-referrer means browsers send no Referer to check over HTTPS;
        # the SameSite=Strict session cookie and the token carry the protection.
        WTF_CSRF_SSL_STRICT=False,
    )
    app.extensions["varsel.settings"] = settings
    app.extensions["varsel.secrets"] = secrets
    quiet_request_log()
    db.init_app(app, settings.database_url)
    security.init_app(app)
    upload.init_app(app)
    ratelimit.init_app(app, settings.argon2_concurrency)
    i18n.init_app(app)
    CSRFProtect(app)
    errors.init_app(app)
    _register_blueprints(app)
    return app


def quiet_request_log() -> None:
    """Werkzeug's request log names the client address: DESIGN.md requirement 2 forbids it."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)


def _register_blueprints(app: Flask) -> None:
    from . import office, reporter

    app.register_blueprint(reporter.bp)
    app.register_blueprint(office.bp, url_prefix=settings_of(app).office_url_prefix)


def settings_of(app: Flask) -> Settings:
    settings: Settings = app.extensions["varsel.settings"]
    return settings


def secrets_of(app: Flask) -> InstanceSecrets:
    secrets: InstanceSecrets = app.extensions["varsel.secrets"]
    return secrets


__all__ = ["create_app", "secrets_of", "settings_of"]
