"""The HTTP transport: headers on every request, decoding, byte counting, errors for retry."""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
import zstandard

from desktop.sync.transport import (
    AuthError,
    HttpTransport,
    SeqGapError,
    ServerError,
    TransientError,
    UpgradeRequiredError,
    decode_body,
)
from shared_models.sync.protocol import (
    CORRELATION_HEADER,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    Intent,
    PullPage,
    PushRequest,
    TableChanges,
)

PAGE = PullPage(
    cursor="42",
    more=True,
    tables={
        "t": TableChanges(columns=["id", "v"], upserts=[[str(i), "x" * 50] for i in range(200)])
    },
)


def _resp(
    status: int,
    content: bytes = b"",
    *,
    json_body: object = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """A response whose body is a stream, as on a real connection (the transport reads it raw)."""
    if json_body is not None:
        content = json.dumps(json_body).encode()
    return httpx.Response(status, stream=httpx.ByteStream(content), headers=headers)


def _transport(handler: Callable[[httpx.Request], httpx.Response]) -> HttpTransport:
    client = httpx.Client(transport=httpx.MockTransport(handler), base_url="http://sync.test")
    return HttpTransport("http://sync.test", token="tok", client=client)


def _push_request() -> PushRequest:
    return PushRequest(
        device_id=uuid.uuid4(),
        intents=[
            Intent(
                seq=1,
                intent_id=uuid.uuid4(),
                name="a.b",
                version=1,
                args={"x": "1"},
                correlation_id="intent-corr",
                created_at=datetime.now(UTC),
            )
        ],
    )


@pytest.mark.parametrize("encoding", ["zstd", "gzip", None])
def test_pull_decodes_and_counts_wire_bytes(encoding: str | None) -> None:
    raw = PAGE.model_dump_json().encode()
    if encoding == "zstd":
        body = zstandard.ZstdCompressor().compress(raw)
    elif encoding == "gzip":
        body = gzip.compress(raw)
    else:
        body = raw
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        headers = {"Content-Encoding": encoding} if encoding else {}
        return _resp(200, body, headers=headers)

    result = _transport(handler).pull("7", max_bytes=1000, correlation_id="corr-1")
    assert result.page == PAGE
    assert result.bytes_received == len(body)
    if encoding:
        assert len(body) < len(raw) / 3
    [request] = seen
    assert request.url.params["cursor"] == "7" and request.url.params["max_bytes"] == "1000"
    assert request.headers[PROTOCOL_HEADER] == str(PROTOCOL_VERSION)
    assert request.headers[CORRELATION_HEADER] == "corr-1"
    assert request.headers["Authorization"] == "Bearer tok"
    assert request.headers["Accept-Encoding"] == "zstd, gzip"


def test_nothing_new_is_204() -> None:
    result = _transport(lambda r: _resp(204)).pull("7", max_bytes=10, correlation_id="c")
    assert result.page is None


def test_push_sends_the_request_and_its_correlation_id() -> None:
    request = _push_request()
    seen: list[httpx.Request] = []

    def handler(r: httpx.Request) -> httpx.Response:
        seen.append(r)
        return _resp(200, json_body={"results": [], "next_seq": 1})

    result = _transport(handler).push(request, correlation_id="sync-corr")
    assert result.response.next_seq == 1
    body = json.loads(seen[0].content)
    assert body["intents"][0]["correlation_id"] == "intent-corr"
    assert seen[0].headers[CORRELATION_HEADER] == "sync-corr"
    assert result.bytes_sent == len(seen[0].content)


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (503, {"code": "servico_indisponivel", "message": "Tente novamente."}, TransientError),
        (502, {}, TransientError),
        (429, {"code": "muitas_requisicoes", "message": "Aguarde."}, TransientError),
        (426, {"code": "versao_protocolo_nao_suportada", "message": "x"}, UpgradeRequiredError),
        (401, {"code": "nao_autenticado", "message": "x"}, AuthError),
        (500, {"code": "erro_interno", "message": "x"}, ServerError),
        (422, {"code": "dados_invalidos", "message": "x"}, ServerError),
    ],
)
def test_errors_are_sorted(status: int, body: dict[str, str], error: type[Exception]) -> None:
    transport = _transport(lambda r: _resp(status, json_body=body))
    with pytest.raises(error):
        transport.pull("0", max_bytes=10, correlation_id="c")


@pytest.mark.parametrize(
    "body",
    [
        {"code": "seq_fora_de_ordem", "message": "x", "details": {"next_seq": 3}},
        {"code": "seq_fora_de_ordem", "message": "x", "next_seq": 3},
    ],
)
def test_a_gap_carries_the_expected_seq(body: dict[str, object]) -> None:
    transport = _transport(lambda r: _resp(409, json_body=body))
    with pytest.raises(SeqGapError) as info:
        transport.push(_push_request(), correlation_id="c")
    assert info.value.next_seq == 3


def test_network_failures_are_transient() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("connection reset", request=request)

    with pytest.raises(TransientError):
        _transport(handler).pull("0", max_bytes=10, correlation_id="c")


@pytest.mark.parametrize("encoding", ["zstd", "gzip"])
def test_a_truncated_compressed_body_is_transient(encoding: str) -> None:
    raw = PAGE.model_dump_json().encode()
    body = zstandard.ZstdCompressor().compress(raw) if encoding == "zstd" else gzip.compress(raw)
    with pytest.raises(TransientError):
        decode_body(body[: len(body) // 2], encoding)
    transport = _transport(
        lambda r: _resp(200, body[: len(body) // 2], headers={"Content-Encoding": encoding})
    )
    with pytest.raises(TransientError):
        transport.pull("0", max_bytes=10, correlation_id="c")


def test_zstd_without_content_size_and_several_frames() -> None:
    compressor = zstandard.ZstdCompressor(write_content_size=False)
    body = compressor.compress(b'{"a":') + compressor.compress(b"1}")
    assert decode_body(body, "zstd") == b'{"a":1}'
