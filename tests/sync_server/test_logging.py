"""Structured JSON logs, masking in the pipeline, and the correlation-id middleware."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import logging
import re
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from sync_server.observability import logs
from sync_server.observability.logs import (
    JsonFormatter,
    MaskingFilter,
    configure_logging,
    correlation_id_var,
    get_correlation_id,
    log_context,
    set_user_id,
    shutdown_logging,
    user_id_var,
)
from sync_server.observability.middleware import CorrelationIdMiddleware

SCHEMA_KEYS = ["timestamp", "level", "service", "correlation_id", "user_id", "message", "payload"]
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
SERVICE = "servico-de-teste"

# Synthetic sensitive inputs (each test asserts they are masked before being written).
CPF = "52998224725"  # valid check digits
CPF_MASKED = "529.***.***-25"
PASSWORD = "Hunter2-senha-teste"
TOKEN = "tok_9f8e7d6c5b4a"


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """Put the root and uvicorn loggers back as they were (other tests share the process)."""
    root = logging.getLogger()
    root_level = root.level
    saved = {}
    for name in logs.UVICORN_LOGGERS:
        lg = logging.getLogger(name)
        saved[name] = (list(lg.handlers), lg.level, lg.propagate, lg.disabled)
    try:
        yield
    finally:
        shutdown_logging()
        root.setLevel(root_level)
        for name, (handlers, level, propagate, disabled) in saved.items():
            lg = logging.getLogger(name)
            lg.handlers[:] = handlers
            lg.setLevel(level)
            lg.propagate = propagate
            lg.disabled = disabled


def read_lines(path: Path) -> list[dict[str, Any]]:
    for handler in logging.getLogger().handlers:
        handler.flush()
    raw = path.read_bytes().decode("utf-8")
    assert raw.endswith("\n") or raw == ""
    return [json.loads(line) for line in raw.splitlines()]


def ours(lines: list[dict[str, Any]], message: str) -> list[dict[str, Any]]:
    return [line for line in lines if line["message"] == message]


# --------------------------------------------------------------------------------------------
# Formatter and handlers
# --------------------------------------------------------------------------------------------


def test_every_line_is_one_json_object_with_exactly_the_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log_file = tmp_path / "deep" / "er" / "server.jsonl"
    configure_logging(service=SERVICE, level="DEBUG", log_file=log_file, stdout=True)
    log = logging.getLogger("tests.schema")
    before = dt.datetime.now(dt.UTC)
    log.debug("linha debug")
    log.info("linha info", extra={"payload": {"solicitacao_id": "xyz-123", "score": 750}})
    log.warning("linha warn")
    log.error("linha error")
    log.critical("linha critical")
    after = dt.datetime.now(dt.UTC)

    out = capsys.readouterr().out
    stdout_lines = [json.loads(line) for line in out.splitlines()]
    file_lines = read_lines(log_file)
    assert [line["message"] for line in file_lines][-5:] == [
        "linha debug",
        "linha info",
        "linha warn",
        "linha error",
        "linha critical",
    ]
    assert stdout_lines == file_lines
    for line in file_lines[-5:]:
        assert list(line) == SCHEMA_KEYS
        assert TIMESTAMP.fullmatch(line["timestamp"]), line["timestamp"]
        moment = dt.datetime.strptime(line["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ")
        moment = moment.replace(tzinfo=dt.UTC)
        assert before - dt.timedelta(milliseconds=1) <= moment <= after
        assert line["service"] == SERVICE
        assert line["correlation_id"] is None
        assert line["user_id"] is None
        assert isinstance(line["payload"], dict)
    assert [line["level"] for line in file_lines[-5:]] == [
        "DEBUG",
        "INFO",
        "WARN",
        "ERROR",
        "CRITICAL",
    ]
    assert file_lines[-4]["payload"] == {"solicitacao_id": "xyz-123", "score": 750}


def test_formatter_alone_produces_the_schema() -> None:
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "olá %s", ("mundo",), None)
    record.created = 1_759_243_200.1239  # 2025-09-30T14:40:00.123Z
    line = JsonFormatter(service="svc").format(record)
    assert "\n" not in line
    assert json.loads(line) == {
        "timestamp": "2025-09-30T14:40:00.123Z",
        "level": "WARN",
        "service": "svc",
        "correlation_id": None,
        "user_id": None,
        "message": "olá mundo",
        "payload": {},
    }


def test_custom_levels_map_to_the_five_spec_levels() -> None:
    assert [logs.level_name(n) for n in (5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 60)] == [
        "DEBUG",
        "DEBUG",
        "DEBUG",
        "INFO",
        "INFO",
        "WARN",
        "WARN",
        "ERROR",
        "ERROR",
        "CRITICAL",
        "CRITICAL",
    ]


def test_multiline_text_and_unicode_line_separators_stay_on_one_line(tmp_path: Path) -> None:
    log_file = tmp_path / "l.jsonl"
    configure_logging(service=SERVICE, level="INFO", log_file=log_file, stdout=False)
    logging.getLogger("t").info("a\nb\r\nc\u2028d\u2029e", extra={"payload": {"k": "x\ny"}})
    raw = log_file.read_text(encoding="utf-8")
    assert raw.count("\n") == 1
    assert len(raw.splitlines()) == 1
    line = json.loads(raw)
    assert line["message"] == "a\nb\r\nc\u2028d\u2029e"
    assert line["payload"] == {"k": "x\ny"}


def test_exception_goes_into_the_payload_masked(tmp_path: Path) -> None:
    log_file = tmp_path / "l.jsonl"
    configure_logging(service=SERVICE, level="INFO", log_file=log_file, stdout=False)
    try:
        raise ValueError(f"login falhou: senha={PASSWORD} cpf={CPF}")
    except ValueError:
        logging.getLogger("t").exception("erro ao autenticar", extra={"payload": {"etapa": 2}})
    raw = log_file.read_bytes()
    assert PASSWORD.encode() not in raw and CPF.encode() not in raw
    (line,) = read_lines(log_file)
    assert line["level"] == "ERROR"
    assert line["payload"]["etapa"] == 2
    exc = line["payload"]["exception"]
    assert exc.startswith("Traceback (most recent call last):")
    assert "ValueError: login falhou: senha=*** cpf=" + CPF_MASKED in exc


def test_stack_info_goes_into_the_payload(tmp_path: Path) -> None:
    log_file = tmp_path / "l.jsonl"
    configure_logging(service=SERVICE, level="INFO", log_file=log_file, stdout=False)
    logging.getLogger("t").info("com pilha", stack_info=True)
    (line,) = read_lines(log_file)
    assert line["payload"]["stack"].startswith("Stack (most recent call last):")


def test_other_extra_keys_join_the_payload_and_odd_values_are_stringified(
    tmp_path: Path,
) -> None:
    log_file = tmp_path / "l.jsonl"
    configure_logging(service=SERVICE, level="INFO", log_file=log_file, stdout=False)
    ident = uuid.uuid4()
    logging.getLogger("t").info(
        "extras",
        extra={
            "payload": {"id": ident, "bruto": b"\xff", "valor": __import__("decimal").Decimal("1")},
            "cpr_id": "cpr-1",
            "senha": PASSWORD,
        },
    )
    logging.getLogger("t").info("lista", extra={"payload": [1, {"token": TOKEN}]})
    first, second = read_lines(log_file)
    assert first["payload"] == {
        "id": str(ident),
        "bruto": "\ufffd",
        "valor": "1",
        "cpr_id": "cpr-1",
        "senha": "***",
    }
    assert second["payload"] == {"value": [1, {"token": "***"}]}


def test_bad_format_arguments_do_not_lose_the_line(tmp_path: Path) -> None:
    log_file = tmp_path / "l.jsonl"
    configure_logging(service=SERVICE, level="INFO", log_file=log_file, stdout=False)
    logging.getLogger("t").info("dois %s %s", "só um")  # noqa: PLE1206 - on purpose
    (line,) = read_lines(log_file)
    assert line["message"].startswith("dois %s %s")


# --------------------------------------------------------------------------------------------
# Masking inside the pipeline
# --------------------------------------------------------------------------------------------


def test_masking_happens_before_any_handler_writes(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    seen: list[str] = []

    class Foreign(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(self.format(record))

    # A handler someone installed *before* us still receives masked records.
    foreign = Foreign()
    foreign.setFormatter(logging.Formatter("%(message)s | %(senha)s"))
    root = logging.getLogger()
    root.addHandler(foreign)
    log_file = tmp_path / "logs" / "server.jsonl"
    configure_logging(service=SERVICE, level="INFO", log_file=log_file, stdout=True)
    try:
        logging.getLogger("sync_server.auth").info(
            "login cpf=%s token=%s",
            CPF,
            TOKEN,
            extra={
                "payload": {
                    "senha": PASSWORD,
                    "headers": {"Authorization": f"Bearer {TOKEN}"},
                    "conta_bancaria": {"agencia": "0001", "conta": "1234567-8"},
                    "cartao": "4111 1111 1111 1111",
                    "nota": f"cliente {CPF[:3]}.{CPF[3:6]}.{CPF[6:9]}-{CPF[9:]}",
                },
                "senha": PASSWORD,
            },
        )
    finally:
        root.removeHandler(foreign)

    file_bytes = log_file.read_bytes()
    std = capfd.readouterr()
    for blob in (file_bytes.decode(), std.out, std.err, *seen):
        for secret in (CPF, PASSWORD, TOKEN, "1234567-8", "4111 1111 1111 1111"):
            assert secret not in blob, (secret, blob)
    (line,) = read_lines(log_file)
    assert line["message"] == f"login cpf={CPF_MASKED} token=***"
    assert line["payload"] == {
        "senha": "***",
        "headers": {"Authorization": "Bearer ***"},
        "conta_bancaria": {"agencia": "***", "conta": "***-8"},
        "cartao": "**** **** **** 1111",
        "nota": f"cliente {CPF_MASKED}",
    }
    assert seen == [f"login cpf={CPF_MASKED} token=*** | ***"]


def test_masking_filter_marks_records_and_is_idempotent() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "cpf %s", (CPF,), None)
    record.payload = {"senha": PASSWORD}
    masking = MaskingFilter()
    assert masking.filter(record) is True
    assert masking.filter(record) is True
    assert record.getMessage() == f"cpf {CPF_MASKED}"
    assert record.payload == {"senha": "***"}


# --------------------------------------------------------------------------------------------
# configure_logging
# --------------------------------------------------------------------------------------------


def test_configure_twice_does_not_duplicate_and_switches_files(tmp_path: Path) -> None:
    first, second = tmp_path / "a" / "1.jsonl", tmp_path / "b" / "2.jsonl"
    configure_logging(service=SERVICE, level="INFO", log_file=first, stdout=False)
    configure_logging(service=SERVICE, level="INFO", log_file=first, stdout=False)
    logging.getLogger("t").info("uma vez")
    assert [line["message"] for line in read_lines(first)] == ["uma vez"]

    configure_logging(service="outro", level="WARN", log_file=second, stdout=True)
    tagged = [h for h in logging.getLogger().handlers if getattr(h, "_peerseed_json_handler", 0)]
    assert len(tagged) == 2
    assert logging.getLogger().level == logging.WARNING
    logging.getLogger("t").info("abaixo do nível")
    logging.getLogger("t").warning("no segundo arquivo")
    assert [line["message"] for line in read_lines(first)] == ["uma vez"]
    (line,) = read_lines(second)
    assert (line["message"], line["service"], line["level"]) == (
        "no segundo arquivo",
        "outro",
        "WARN",
    )


def test_configure_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown log level"):
        configure_logging(service=SERVICE, level="LOUD", log_file=tmp_path / "x", stdout=False)
    with pytest.raises(ValueError, match="stdout=True or a log_file"):
        configure_logging(service=SERVICE, level="INFO", log_file=None, stdout=False)


def test_uvicorn_loggers_go_through_the_same_handlers(tmp_path: Path) -> None:
    # What uvicorn's default dictConfig does: its own plain-text handlers, no propagation.
    plain = logging.StreamHandler(io.StringIO())
    for name in ("uvicorn", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.addHandler(plain)
        lg.propagate = False
    log_file = tmp_path / "l.jsonl"
    configure_logging(service=SERVICE, level="INFO", log_file=log_file, stdout=False)

    logging.getLogger("uvicorn.error").info("Started server process [%d]", 42)
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d',
        "127.0.0.1:5000",
        "GET",
        f"/v1/x?access_token={TOKEN}&cpf={CPF}",
        "1.1",
        200,
    )
    assert plain.stream.getvalue() == ""
    started, access = read_lines(log_file)
    assert started["message"] == "Started server process [42]"
    assert access["message"] == (
        f'127.0.0.1:5000 - "GET /v1/x?access_token=***&cpf={CPF_MASKED} HTTP/1.1" 200'
    )
    for lg in map(logging.getLogger, logs.UVICORN_LOGGERS):
        assert lg.handlers == [] and lg.propagate


def test_stdout_handler_follows_sys_stdout_and_escapes_for_narrow_encodings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configure_logging(service=SERVICE, level="INFO", log_file=None, stdout=True)
    buffer = io.BytesIO()
    narrow = io.TextIOWrapper(buffer, encoding="ascii", write_through=True)
    monkeypatch.setattr(sys, "stdout", narrow)
    logging.getLogger("t").info("ação concluída 😀")
    narrow.flush()
    raw = buffer.getvalue()
    assert raw.isascii()
    assert json.loads(raw)["message"] == "ação concluída 😀"


def test_context_variables_and_explicit_extras(tmp_path: Path) -> None:
    log_file = tmp_path / "l.jsonl"
    configure_logging(service=SERVICE, level="INFO", log_file=log_file, stdout=False)
    log = logging.getLogger("t")
    with log_context(correlation_id="acao-42", user_id=uuid.UUID(int=7)) as cid:
        assert cid == "acao-42"
        log.info("no contexto")
        log.info("explícito", extra={"correlation_id": "outro", "user_id": "u-1"})
    with log_context() as generated:
        log.info("gerado")
    log.info("fora")
    lines = read_lines(log_file)
    assert [(x["correlation_id"], x["user_id"]) for x in lines] == [
        ("acao-42", str(uuid.UUID(int=7))),
        ("outro", "u-1"),
        (generated, None),
        (None, None),
    ]
    assert uuid.UUID(generated).version == 4


def test_nothing_is_configured_at_import_time() -> None:
    code = (
        "import logging, sys\n"
        "import sync_server.observability, sync_server.observability.middleware\n"
        "root = logging.getLogger()\n"
        "assert root.handlers == [] and root.level == logging.WARNING, root.handlers\n"
        "assert logging.getLogger('uvicorn').handlers == []\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# --------------------------------------------------------------------------------------------
# Middleware
# --------------------------------------------------------------------------------------------


def build_app() -> FastAPI:
    app = FastAPI()
    log = logging.getLogger("tests.endpoint")

    @app.get("/async")
    async def in_async() -> dict[str, Any]:
        await asyncio.sleep(0)
        log.info("dentro async")
        return {"cid": get_correlation_id(), "thread": threading.get_ident()}

    @app.get("/sync")
    def in_sync() -> dict[str, Any]:
        log.info("dentro sync")
        return {"cid": get_correlation_id(), "thread": threading.get_ident()}

    @app.get("/user/{user_id}")
    def with_user(user_id: str) -> dict[str, Any]:
        set_user_id(user_id)  # in the thread pool, on a copy of the context
        log.info("usuário identificado")
        return {}

    @app.get("/own-header")
    async def own_header() -> PlainTextResponse:
        return PlainTextResponse("ok", headers={"X-Correlation-ID": "do-app"})

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("falhou")

    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.error("erro inesperado", extra={"payload": {"erro": type(exc).__name__}})
        return JSONResponse({"code": "erro_interno"}, status_code=500)

    app.add_exception_handler(Exception, unexpected)
    app.add_middleware(CorrelationIdMiddleware)
    return app


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    path = tmp_path / "logs" / "server.jsonl"
    configure_logging(service=SERVICE, level="INFO", log_file=path, stdout=False)
    return path


async def _get(app: FastAPI, path: str, headers: dict[str, Any] | None = None) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://teste") as client:
        return await client.get(path, headers=headers)


def get(app: FastAPI, path: str, headers: dict[str, Any] | None = None) -> httpx.Response:
    return asyncio.run(_get(app, path, headers))


@pytest.mark.parametrize("path", ["/async", "/sync"])
def test_incoming_correlation_id_is_echoed_and_carried_by_every_line(
    log_file: Path, path: str
) -> None:
    cid = "acao-2025.09.30_abc-XYZ"
    response = get(build_app(), path, {"X-Correlation-ID": cid})
    assert response.status_code == 200
    assert response.headers["x-correlation-id"] == cid
    assert response.headers.get_list("x-correlation-id") == [cid]
    assert response.json()["cid"] == cid
    lines = read_lines(log_file)
    inside = ours(lines, "dentro async" if path == "/async" else "dentro sync")
    done = ours(lines, "requisição concluída")
    assert len(inside) == 1 and len(done) == 1
    assert inside[0]["correlation_id"] == cid
    assert done[0]["correlation_id"] == cid
    assert done[0]["level"] == "INFO"
    payload = done[0]["payload"]
    assert set(payload) == {"method", "path", "status", "tempo_de_processamento_ms"}
    assert (payload["method"], payload["path"], payload["status"]) == ("GET", path, 200)
    assert isinstance(payload["tempo_de_processamento_ms"], float)
    assert payload["tempo_de_processamento_ms"] >= 0


def test_sync_endpoint_runs_in_another_thread_and_still_carries_the_id(log_file: Path) -> None:
    response = get(build_app(), "/sync", {"X-Correlation-ID": "fio-1"})
    assert response.json()["thread"] != threading.get_ident()
    assert ours(read_lines(log_file), "dentro sync")[0]["correlation_id"] == "fio-1"


def test_missing_header_gets_a_new_uuid4(log_file: Path) -> None:
    response = get(build_app(), "/async")
    cid = response.headers["x-correlation-id"]
    assert uuid.UUID(cid).version == 4
    assert response.json()["cid"] == cid
    lines = read_lines(log_file)
    assert ours(lines, "dentro async")[0]["correlation_id"] == cid
    assert ours(lines, "requisição concluída")[0]["correlation_id"] == cid


@pytest.mark.parametrize(
    "bad",
    [
        b"",
        b"   ",
        b"a" * 129,
        b"tem espaco",
        b"id;DROP TABLE",
        b"x/y",
        b"<script>",
        "ação".encode(),
        b"\xff\xfe",
        b'"quoted"',
        b"a\tb",
    ],
)
def test_invalid_header_values_are_replaced(log_file: Path, bad: bytes) -> None:
    response = get(build_app(), "/async", {"X-Correlation-ID": bad})
    cid = response.headers["x-correlation-id"]
    assert cid.encode() != bad
    assert uuid.UUID(cid).version == 4
    assert ours(read_lines(log_file), "dentro async")[0]["correlation_id"] == cid


def test_longest_valid_header_is_accepted(log_file: Path) -> None:
    cid = "A1._-" * 25 + "xyz"
    assert len(cid) == 128
    assert get(build_app(), "/async", {"X-Correlation-ID": cid}).headers["x-correlation-id"] == cid


def test_app_set_header_is_replaced_not_duplicated(log_file: Path) -> None:
    response = get(build_app(), "/own-header", {"X-Correlation-ID": "do-cliente"})
    assert response.headers.get_list("x-correlation-id") == ["do-cliente"]


def test_concurrent_requests_keep_their_own_ids(log_file: Path) -> None:
    app = build_app()

    async def many() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await asyncio.gather(
                *(
                    client.get(
                        "/async" if i % 2 else "/sync", headers={"X-Correlation-ID": f"req-{i}"}
                    )
                    for i in range(30)
                )
            )

    responses = asyncio.run(many())
    assert sorted(r.json()["cid"] for r in responses) == sorted(f"req-{i}" for i in range(30))
    lines = read_lines(log_file)
    inside = [x for x in lines if x["message"] in ("dentro async", "dentro sync")]
    assert sorted(x["correlation_id"] for x in inside) == sorted(f"req-{i}" for i in range(30))


def test_context_is_reset_after_a_request(log_file: Path) -> None:
    async def run() -> tuple[str | None, str | None]:
        await _get(build_app(), "/async", {"X-Correlation-ID": "temporario"})
        return correlation_id_var.get(), user_id_var.get()

    assert asyncio.run(run()) == (None, None)


def test_user_id_set_in_a_sync_endpoint_reaches_the_request_line(log_file: Path) -> None:
    user = str(uuid.uuid4())
    get(build_app(), f"/user/{user}", {"X-Correlation-ID": "com-usuario"})
    lines = read_lines(log_file)
    assert ours(lines, "usuário identificado")[0]["user_id"] == user
    done = ours(lines, "requisição concluída")[0]
    assert (done["user_id"], done["correlation_id"]) == (user, "com-usuario")


def test_query_string_and_path_are_masked_in_the_request_line(log_file: Path) -> None:
    get(
        build_app(),
        f"/user/{CPF}?access_token={TOKEN}&senha={PASSWORD}&pagina=2",
        {"X-Correlation-ID": "mascara"},
    )
    raw = log_file.read_bytes()
    for secret in (CPF, TOKEN, PASSWORD):
        assert secret.encode() not in raw
    done = ours(read_lines(log_file), "requisição concluída")[0]
    assert done["payload"]["path"] == f"/user/{CPF_MASKED}"
    assert done["payload"]["query"] == "access_token=***&senha=***&pagina=2"


def test_unhandled_error_is_logged_with_the_id(log_file: Path) -> None:
    response = get(build_app(), "/boom", {"X-Correlation-ID": "quebra-1"})
    assert response.status_code == 500
    lines = read_lines(log_file)
    failed = ours(lines, "requisição falhou")
    assert len(failed) == 1
    assert failed[0]["level"] == "ERROR"
    assert failed[0]["correlation_id"] == "quebra-1"
    assert failed[0]["payload"]["status"] == 500
    assert failed[0]["payload"]["erro"] == "RuntimeError"
    # The app's Exception handler runs outside the middleware and still sees the id.
    assert ours(lines, "erro inesperado")[0]["correlation_id"] == "quebra-1"


def test_non_http_scopes_pass_through() -> None:
    calls: list[str] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        calls.append(scope["type"])
        assert correlation_id_var.get() is None

    async def receive() -> dict[str, Any]:
        return {"type": "lifespan.startup"}

    async def send(message: Any) -> None:
        return None

    asyncio.run(CorrelationIdMiddleware(inner)({"type": "lifespan"}, receive, send))
    assert calls == ["lifespan"]
