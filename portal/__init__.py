"""The Varsel portal: an application factory as in Flask's tutorial (flaskr)."""

import logging
import threading
import traceback
from types import TracebackType

from flask import Flask, has_request_context, request
from flask.logging import default_handler, wsgi_errors_stream
from flask_wtf.csrf import CSRFProtect

from . import assets, db, errors, i18n, office_users, pow, purge, ratelimit, security, upload
from .config import Settings, asset_dir
from .instance import InstanceSecrets
from .services import Services, services

ExcInfo = (
    tuple[type[BaseException], BaseException, TracebackType] | tuple[None, None, None]
)

# Flask's default handler stamps every line with the time to the millisecond; this one adds
# no time (an operator who configures logging may add one, on their own responsibility).
_LOG_HANDLER = logging.StreamHandler(wsgi_errors_stream)  # type: ignore[call-overload]
_LOG_HANDLER.setFormatter(logging.Formatter("%(levelname)s in %(name)s: %(message)s"))


class VarselApp(Flask):
    """Flask, with exception logging that says what failed but nothing about the request.

    Flask's own ``log_exception`` logs the request path and the exception's message, and a
    SQLAlchemy error's message holds the SQL and, without ``hide_parameters``, its values.
    Here only the exception's type (and those it was raised from), the endpoint's name and
    the traceback's frames (file, line, function; no source text, no locals) are logged.
    """

    def log_exception(self, exc_info: ExcInfo) -> None:
        exc_type, exc, tb = exc_info
        endpoint = request.endpoint if has_request_context() else None
        types: list[str] = []
        seen: BaseException | None = exc
        while seen is not None and len(types) < 5:
            types.append(_type_name(type(seen)))
            seen = seen.__cause__ or seen.__context__
        if not types and exc_type is not None:
            types.append(_type_name(exc_type))
        frames = "".join(
            f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}\n'
            for frame in traceback.extract_tb(tb)
        )
        self.logger.error(
            "Unhandled %s in endpoint %s\nTraceback (frames only):\n%s",
            " <- ".join(types) or "exception",
            endpoint or "-",
            frames,
        )


def _type_name(cls: type[BaseException]) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = VarselApp(
        __name__,
        template_folder=str(asset_dir("templates")),
        static_folder=str(asset_dir("static")),
    )
    for directory in (settings.data_dir, settings.keys_dir, settings.blobs_dir):
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    secrets = InstanceSecrets.load_or_create(settings.instance_dir)
    app.config.update(
        SECRET_KEY=secrets.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        # Multipart bodies only (uploads); every other body is cut at FORM_MEMORY_BYTES
        # before it is read (upload.VarselRequest.max_content_length).
        MAX_CONTENT_LENGTH=settings.max_upload_bytes + 1024 * 1024,
        MAX_FORM_MEMORY_SIZE=upload.FORM_MEMORY_BYTES,
        MAX_FORM_PARTS=upload.FORM_PARTS,
        WTF_CSRF_TIME_LIMIT=settings.form_valid_hours * 3600,
        # Referrer-Policy: no-referrer means browsers send no Referer to check over HTTPS;
        # the SameSite=Strict session cookie and the token carry the protection.
        WTF_CSRF_SSL_STRICT=False,
    )
    engine = db.make_engine(settings.database_url)
    db.upgrade(engine)
    Services(
        settings=settings,
        secrets=secrets,
        engine=engine,
        sessions=db.make_sessions(engine),
        counter_engine=db.make_engine(settings.database_url, durable=False),
        sqlite_writes=threading.Lock() if engine.dialect.name == "sqlite" else None,
        limiter=ratelimit.new_state(settings.argon2_concurrency),
        pow_key=pow.pow_key(secrets.secret_key),
        authenticator=office_users.Authenticator(),
    ).register(app)
    quiet_request_log()
    _timeless_log(app)
    db.init_app(app)
    security.init_app(app, settings)
    upload.init_app(app)
    pow.init_app(app)
    purge.init_app(app)
    i18n.init_app(app)
    CSRFProtect(app)
    errors.init_app(app)
    assets.init_app(app)
    _register_blueprints(app)
    return app


def quiet_request_log() -> None:
    """Werkzeug's request log names the client address and the time, and so do its error
    lines for malformed requests ("127.0.0.1 - - [date] code 400"): docs/THREAT-MODEL.md,
    requirement 2 forbids both, so the development server's logger says nothing at all."""
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)


def _timeless_log(app: Flask) -> None:
    """Replace Flask's default handler (which adds a timestamp) on the app's logger."""
    if default_handler in app.logger.handlers:
        app.logger.removeHandler(default_handler)
        if _LOG_HANDLER not in app.logger.handlers:
            app.logger.addHandler(_LOG_HANDLER)


def _register_blueprints(app: Flask) -> None:
    from . import office, reporter, reporter_api

    app.register_blueprint(reporter.bp)
    app.register_blueprint(reporter_api.bp)
    app.register_blueprint(office.bp, url_prefix=services(app).settings.office_url_prefix)


__all__ = ["VarselApp", "create_app"]
