"""/v1/metrics and the admin observability API (log search, charts, correlation, alert rules)."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import uuid
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from fastapi.testclient import TestClient

from shared_models.enums import Perfil
from sync_server.app import create_app
from sync_server.auth import sessions
from sync_server.observability.metrics import (
    MetricFamily,
    RequestMetrics,
    Sample,
    render_prometheus,
)
from sync_server.settings import Settings

T0 = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def make_user(engine: sa.Engine, client: redis.Redis, perfil: Perfil) -> dict[str, str]:
    with engine.begin() as conn:
        user_id = conn.execute(
            sa.text(
                "INSERT INTO usuarios (nome_completo, email, senha_hash, cpf, celular, perfil)"
                " VALUES ('Pessoa', :email, 'x', :cpf, '+5565999990000', :perfil) RETURNING id"
            ),
            {
                "email": f"obs-{uuid.uuid4().hex[:10]}@example.com",
                "cpf": f"{secrets.randbelow(10**11):011d}",
                "perfil": perfil.value,
            },
        ).scalar_one()
    token, _ = sessions.create_session(
        client,
        user_id=user_id,
        perfil=perfil,
        device_id=None,
        device_name=None,
        ip=None,
        user_agent=None,
    )
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def admin(engine: sa.Engine, redis_client: redis.Redis) -> dict[str, str]:
    return make_user(engine, redis_client, Perfil.ADMIN)


# -- metrics ----------------------------------------------------------------------------------


def parse_metrics(text: str) -> dict[str, float]:
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def test_metrics_count_requests_per_route_template_and_status(client: TestClient) -> None:
    client.get("/v1/health")
    client.get("/v1/health")
    client.get("/v1/admin/alertas/" + str(uuid.uuid4()))  # 401: no session
    client.get("/v1/nao-existe/123")
    resp = client.get("/v1/metrics")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = resp.text
    assert "# TYPE peerseed_http_requests_total counter" in text
    assert "# TYPE peerseed_http_request_duration_seconds histogram" in text
    values = parse_metrics(text)
    health = [
        k
        for k in values
        if k.startswith('peerseed_http_requests_total{method="GET",route="/v1/health"')
    ]
    assert sum(values[k] for k in health) == 2
    assert (
        values[
            'peerseed_http_requests_total{method="GET",route="/v1/admin/alertas/{regra_id}",'
            'status="401"}'
        ]
        == 1
    )
    assert values['peerseed_http_requests_total{method="GET",route="unmatched",status="404"}'] == 1
    # Histogram: cumulative buckets, +Inf equals the count.
    label = 'method="GET",route="unmatched",status="404"'
    buckets = [
        (k, v)
        for k, v in values.items()
        if k.startswith(f"peerseed_http_request_duration_seconds_bucket{{{label}")
    ]
    counts = [v for _, v in buckets]
    assert counts == sorted(counts) and buckets[-1][0].endswith('le="+Inf"}')
    assert counts[-1] == values[f"peerseed_http_request_duration_seconds_count{{{label}}}"] == 1
    # The log sink's counters, overflow included.
    assert 'peerseed_log_sink_dropped_total{motivo="buffer_cheio"}' in values
    assert "peerseed_log_sink_written_total" in values
    assert values["peerseed_log_sink_batches_total"] <= values["peerseed_log_sink_written_total"]
    assert values["peerseed_log_sink_database_up"] in (0, 1)


def test_metrics_token_when_configured(settings: Settings, redis_client: redis.Redis) -> None:
    app = create_app(settings.model_copy(update={"metrics_token": "s3nha-de-metricas"}))
    with TestClient(app) as c:
        assert c.get("/v1/metrics").status_code == 401
        ok = c.get("/v1/metrics", headers={"Authorization": "Bearer s3nha-de-metricas"})
        assert ok.status_code == 200


def test_exposition_format_escapes_labels() -> None:
    text = render_prometheus(
        [
            MetricFamily(
                "x_total",
                "counter",
                "Ajuda com \\ e\nquebra",
                [Sample("x_total", {"rota": 'a"b\\c\nd'}, 3), Sample("x_total", {}, 1.5)],
            )
        ]
    )
    assert text == (
        "# HELP x_total Ajuda com \\\\ e\\nquebra\n"
        "# TYPE x_total counter\n"
        'x_total{rota="a\\"b\\\\c\\nd"} 3\n'
        "x_total 1.5\n"
    )


def test_request_metrics_buckets() -> None:
    metrics = RequestMetrics(clock=lambda: 100.0)
    for seconds in (0.001, 0.2, 0.2, 30.0):
        metrics.request_started()
        metrics.observe(method="GET", route="/r", status=200, seconds=seconds)
    text = render_prometheus(metrics.collect())
    assert (
        'peerseed_http_request_duration_seconds_bucket{method="GET",route="/r",status="200",'
        'le="0.005"} 1' in text
    )
    assert 'le="0.25"} 3' in text
    assert 'le="10.0"} 3' in text
    assert 'le="+Inf"} 4' in text
    assert "peerseed_http_requests_in_progress 0" in text
    assert "peerseed_process_start_time_seconds 100.0" in text


# -- request logs reach PostgreSQL ------------------------------------------------------------


def test_each_request_line_is_stored_with_its_correlation_id(
    client: TestClient, engine: sa.Engine
) -> None:
    cid = f"obs-{uuid.uuid4().hex}"
    client.get("/v1/health", headers={"X-Correlation-ID": cid})
    assert client.app.state.log_sink.flush(10)  # type: ignore[attr-defined]
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT message, payload FROM logs WHERE correlation_id = :c"), {"c": cid}
        ).all()
    done = [p for m, p in rows if m == "requisição concluída"]
    assert len(done) == 1
    assert done[0]["path"] == "/v1/health"
    assert isinstance(done[0]["tempo_de_processamento_ms"], int | float)


# -- dashboard --------------------------------------------------------------------------------


def insert_lines(engine: sa.Engine, rows: list[dict[str, object]]) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                'INSERT INTO logs ("timestamp", level, service, correlation_id, user_id,'
                " message, payload) VALUES (:timestamp, :level, :service, :correlation_id,"
                " :user_id, :message, CAST(:payload AS jsonb))"
            ),
            rows,
        )


def row(service: str, n: int, **extra: object) -> dict[str, object]:
    base: dict[str, object] = {
        "timestamp": T0 + dt.timedelta(seconds=n),
        "level": "INFO",
        "service": service,
        "correlation_id": None,
        "user_id": None,
        "message": f"linha {n}",
        "payload": "{}",
    }
    base.update(extra)
    return base


RANGE = {"inicio": "2026-06-01T11:00:00Z", "fim": "2026-06-01T13:00:00Z"}


def test_log_search_pages_by_keyset_and_filters(
    client: TestClient, engine: sa.Engine, admin: dict[str, str]
) -> None:
    service = f"svc-{uuid.uuid4().hex[:8]}"
    user = str(uuid.uuid4())
    insert_lines(
        engine,
        [row(service, n, level="ERROR" if n % 5 == 0 else "INFO") for n in range(25)]
        # Same timestamp twice: the id breaks the tie.
        + [row(service, 24, message="empate", user_id=user, correlation_id="c-empate")],
    )
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {**RANGE, "service": service, "limite": 10}
        if cursor:
            params["cursor"] = cursor
        resp = client.get("/v1/admin/logs", params=params, headers=admin)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        seen += [item["message"] for item in body["itens"]]
        pages += 1
        cursor = body["proximo_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert len(seen) == 26 and len(set(seen)) == 26
    assert seen[:2] == ["empate", "linha 24"]
    assert seen[-1] == "linha 0"

    errors = client.get(
        "/v1/admin/logs", params={**RANGE, "service": service, "level": "ERROR"}, headers=admin
    ).json()["itens"]
    assert [i["message"] for i in errors] == [f"linha {n}" for n in (20, 15, 10, 5, 0)]
    by_user = client.get("/v1/admin/logs", params={**RANGE, "user_id": user}, headers=admin)
    assert [i["message"] for i in by_user.json()["itens"]] == ["empate"]
    by_text = client.get(
        "/v1/admin/logs", params={**RANGE, "service": service, "texto": "linha 1"}, headers=admin
    )
    assert len(by_text.json()["itens"]) == 11  # 1, 10..19

    bad = client.get("/v1/admin/logs", params={"cursor": "lixo!"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["code"] == "consulta_invalida"
    backwards = client.get(
        "/v1/admin/logs", params={"inicio": RANGE["fim"], "fim": RANGE["inicio"]}, headers=admin
    )
    assert backwards.status_code == 422


def test_error_and_timing_charts(
    client: TestClient, engine: sa.Engine, admin: dict[str, str]
) -> None:
    service = f"svc-{uuid.uuid4().hex[:8]}"
    insert_lines(
        engine,
        [row(service, n, level="ERROR") for n in (0, 10, 70)]
        + [row(service, 5, level="CRITICAL"), row(service, 6, level="WARN")]
        + [row(service, n, payload=f'{{"tempo_de_processamento_ms": {n * 10}}}') for n in (1, 3)]
        + [row(service, 61, payload='{"tempo_de_processamento_ms": "lento"}')],
    )
    errors = client.get(
        "/v1/admin/logs/erros",
        params={**RANGE, "service": service, "intervalo_s": 60},
        headers=admin,
    )
    assert errors.status_code == 200, errors.text
    assert [(e["bucket"], e["quantidade"]) for e in errors.json()] == [
        ("2026-06-01T12:00:00Z", 3),
        ("2026-06-01T12:01:00Z", 1),
    ]
    timing = client.get(
        "/v1/admin/logs/tempo-processamento",
        params={**RANGE, "service": service, "intervalo_s": 3600},
        headers=admin,
    )
    assert timing.json() == [
        {"bucket": "2026-06-01T12:00:00Z", "service": service, "quantidade": 2, "media_ms": "20.00"}
    ]
    too_fine = client.get("/v1/admin/logs/erros", params={**RANGE, "intervalo_s": 1}, headers=admin)
    assert too_fine.status_code == 422


def test_follow_one_correlation_id_across_services(
    client: TestClient, engine: sa.Engine, admin: dict[str, str]
) -> None:
    cid = f"acao-{uuid.uuid4().hex}"
    insert_lines(
        engine,
        [
            row("desktop", 1, correlation_id=cid, message="clique em investir"),
            row("peerseed-sync-server", 2, correlation_id=cid, message="intent aplicado"),
            row("peerseed-worker", 3, correlation_id=cid, message="notificação entregue"),
            row("peerseed-worker", 4, correlation_id="outra", message="não é desta ação"),
        ],
    )
    resp = client.get(f"/v1/admin/logs/correlacao/{cid}", headers=admin)
    body = resp.json()
    assert body["servicos"] == ["desktop", "peerseed-sync-server", "peerseed-worker"]
    assert [line["message"] for line in body["linhas"]] == [
        "clique em investir",
        "intent aplicado",
        "notificação entregue",
    ]
    assert body["truncado"] is False


def test_firing_alerts_list(client: TestClient, engine: sa.Engine, admin: dict[str, str]) -> None:
    key = f"svc-{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO alerta_eventos (regra_id, chave, estado, valor, limiar, mensagem,"
                " disparado_em, resolvido_em) SELECT id, :k, e, 12, limiar, 'msg', now(),"
                " CASE WHEN e = 'RESOLVIDO' THEN now() END FROM alerta_regras,"
                " unnest(ARRAY['RESOLVIDO', 'DISPARADO']) AS e WHERE nome = 'erros_por_servico'"
            ),
            {"k": key},
        )
    firing = client.get("/v1/admin/alertas/disparados", headers=admin).json()
    mine = [a for a in firing if a["chave"] == key]
    assert [(a["regra"], a["estado"], a["valor"]) for a in mine] == [
        ("erros_por_servico", "DISPARADO", "12")
    ]
    history = client.get("/v1/admin/alertas/eventos", headers=admin).json()
    assert sorted(a["estado"] for a in history if a["chave"] == key) == ["DISPARADO", "RESOLVIDO"]


# -- alert rules CRUD -------------------------------------------------------------------------


def test_alert_rule_crud(client: TestClient, admin: dict[str, str]) -> None:
    name = f"regra-{uuid.uuid4().hex[:8]}"
    body = {
        "nome": name,
        "consulta": "SELECT service AS chave, count(*) AS valor FROM logs"
        " WHERE level = 'WARN' AND \"timestamp\" >= :inicio GROUP BY service",
        "limiar": "100",
        "janela_minutos": 15,
    }
    created = client.post("/v1/admin/alertas", json=body, headers=admin)
    assert created.status_code == 201, created.text
    rule = created.json()
    assert rule["nome"] == name and rule["limiar"] == "100.0000" and rule["habilitada"]
    assert rule["embutida"] is False

    dup = client.post("/v1/admin/alertas", json=body, headers=admin)
    assert dup.status_code == 409 and dup.json()["code"] == "regra_duplicada"

    invalid = client.post(
        "/v1/admin/alertas",
        json={**body, "nome": name + "-x", "consulta": "DELETE FROM logs"},
        headers=admin,
    )
    assert invalid.status_code == 422 and invalid.json()["code"] == "regra_invalida"
    assert "SELECT" in invalid.json()["message"]

    listed = client.get("/v1/admin/alertas", headers=admin).json()
    assert name in [r["nome"] for r in listed]
    assert "erros_por_servico" in [r["nome"] for r in listed]

    url = f"/v1/admin/alertas/{rule['id']}"
    patched = client.patch(url, json={"limiar": "5", "habilitada": False}, headers=admin)
    assert patched.status_code == 200, patched.text
    assert patched.json()["limiar"] == "5.0000" and patched.json()["habilitada"] is False
    assert patched.json()["data_atualizacao"] >= rule["data_atualizacao"]
    bad_patch = client.patch(url, json={"consulta": "SELECT 1 AS x"}, headers=admin)
    assert bad_patch.status_code == 422
    assert client.get(url, headers=admin).json()["consulta"] == body["consulta"]

    assert client.delete(url, headers=admin).status_code == 204
    assert client.get(url, headers=admin).status_code == 404

    builtin = next(r for r in listed if r["nome"] == "erros_por_servico")
    refused = client.delete(f"/v1/admin/alertas/{builtin['id']}", headers=admin)
    assert refused.status_code == 409 and refused.json()["code"] == "regra_embutida"


def test_admin_routes_need_an_admin(
    client: TestClient, engine: sa.Engine, redis_client: redis.Redis
) -> None:
    investor = make_user(engine, redis_client, Perfil.INVESTIDOR)
    for path in ("/v1/admin/logs", "/v1/admin/alertas", "/v1/admin/alertas/disparados"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers=investor).status_code == 403


def test_docs_mention_every_setting(tmp_path: Path) -> None:
    doc = (Path(__file__).parents[2] / "docs" / "observability.md").read_text()
    for name in Settings.model_fields:
        if re.match(r"(log_db|log_hot|log_archive|log_partitions|log_maint|alert_|metrics_)", name):
            assert f"PEERSEED_{name.upper()}" in doc, name
