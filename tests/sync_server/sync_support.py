"""Helpers of the sync tests: an app on a fresh database, a dict replica, domain-row factories."""

from __future__ import annotations

import base64
import contextlib
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import zstandard
from fastapi.testclient import TestClient

from shared_models.sync.protocol import (
    INITIAL_CURSOR,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    IntentResult,
    PullPage,
)
from sync_server.app import create_app
from sync_server.settings import Settings
from tests.sync_server.auth_support import Account, new_cpf, new_mobile

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


def png(extra: bytes = b"") -> bytes:
    """A small PNG; ``extra`` trailing bytes make distinct files (different SHA-256)."""
    return PNG + extra


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


@contextlib.contextmanager
def app_client(database_url: str, redis_url: str, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        database_url=database_url,
        redis_url=redis_url,
        data_dir=tmp_path / "data",
        log_file=tmp_path / "server.jsonl",
        log_stdout=False,
        max_body_bytes=64 * 1024,
        # No background log writes: a writer in flight would hold the pull horizon back.
        log_db_enabled=False,
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def page_bytes(response: Any) -> bytes:
    """The uncompressed body (the test client decodes gzip but not always zstd)."""
    content: bytes = response.content
    if response.headers.get("content-encoding") == "zstd" and content.startswith(ZSTD_MAGIC):
        return zstandard.ZstdDecompressor().decompress(content, max_output_size=64 << 20)
    return content


def sync_headers(account: Account, *, encoding: str = "zstd") -> dict[str, str]:
    return {
        **account.headers,
        PROTOCOL_HEADER: str(PROTOCOL_VERSION),
        "Accept-Encoding": encoding,
    }


@dataclass
class Replica:
    """What a client would hold: rows by table and id, intent results, the cursor."""

    tables: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    intent_results: dict[str, IntentResult] = field(default_factory=dict)
    cursor: str = INITIAL_CURSOR
    pages: list[PullPage] = field(default_factory=list)

    def apply(self, page: PullPage) -> None:
        for name, changes in page.tables.items():
            rows = self.tables.setdefault(name, {})
            for pk in changes.deletes:
                rows.pop(pk, None)
            for values in changes.upserts:
                row = dict(zip(changes.columns, values, strict=True))
                rows[row["id"]] = row
        for result in page.intent_results:
            self.intent_results[str(result.intent_id)] = result
        self.cursor = page.cursor
        self.pages.append(page)

    def pull(self, client: TestClient, account: Account, *, max_bytes: int | None = None) -> Any:
        params: dict[str, Any] = {"cursor": self.cursor}
        if max_bytes is not None:
            params["max_bytes"] = max_bytes
        response = client.get("/v1/sync/pull", params=params, headers=sync_headers(account))
        assert response.status_code in (200, 204), response.text
        if response.status_code == 200:
            self.apply(PullPage.model_validate_json(page_bytes(response)))
        return response

    def pull_all(
        self,
        client: TestClient,
        account: Account,
        *,
        max_bytes: int | None = None,
        settle_first: bool = True,
    ) -> int:
        """Pull until nothing more; returns the number of pages applied. ``settle_first=False``
        for a test that deliberately holds a transaction open across the pull."""
        before = len(self.pages)
        if settle_first:
            settle(client)
        for _ in range(10_000):
            response = self.pull(client, account, max_bytes=max_bytes)
            if response.status_code == 204 or not self.pages[-1].more:
                return len(self.pages) - before
        raise AssertionError("pull never ended")

    def ids(self, table: str) -> set[str]:
        return set(self.tables.get(table, {}))

    def row(self, table: str, pk: object) -> dict[str, Any]:
        return self.tables[table][str(pk)]


def settle(client: TestClient, timeout_s: float = 15.0) -> None:
    """Wait until every transaction begun so far has ended, as ``sync_horizon()`` sees it.

    Pulls deliberately stop short of any transaction still in flight (and of one the horizon
    cannot attribute to another database of the shared test cluster); tests that expect a pull to
    bring *everything* committed so far first wait for the horizon to pass it.
    """
    engine = client.app.state.services.engine
    with engine.connect() as conn:
        target = conn.execute(sa.text("SELECT pg_current_xact_id()::text::bigint")).scalar_one()
        conn.rollback()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if conn.execute(sa.text("SELECT sync_horizon()")).scalar_one() > target:
                return
        time.sleep(0.02)
    raise AssertionError("sync_horizon() did not pass the transactions of this test")


def full_pull(client: TestClient, account: Account) -> Replica:
    replica = Replica()
    replica.pull_all(client, account)
    return replica


def same_rows(a: Replica, b: Replica) -> bool:
    names = set(a.tables) | set(b.tables)
    return all(a.tables.get(n, {}) == b.tables.get(n, {}) for n in names)


# -- domain rows (plain SQL, committed) ------------------------------------------------------


def _one(engine: sa.Engine, sql: str, **params: Any) -> Any:
    with engine.begin() as conn:
        return conn.execute(sa.text(sql), params).scalar_one()


def wallet_of(engine: sa.Engine, user_id: uuid.UUID) -> uuid.UUID:
    return uuid.UUID(str(_one(engine, "SELECT id FROM carteiras WHERE usuario_id = :u", u=user_id)))


def make_cpr(
    engine: sa.Engine, farmer_id: uuid.UUID, *, status: str = "CAPTAÇÃO", total_cotas: int = 100
) -> uuid.UUID:
    return uuid.UUID(
        str(
            _one(
                engine,
                "INSERT INTO cprs (agricultor_id, valor_solicitado, taxa_juros_anual, prazo_meses,"
                " score_risco, total_cotas, valor_por_cota_usdc, status)"
                " VALUES (:f, 10000, 18.5, 12, 'B', :n, 20, CAST(:s AS status_cpr_enum))"
                " RETURNING id",
                f=farmer_id,
                n=total_cotas,
                s=status,
            )
        )
    )


def set_cpr_status(engine: sa.Engine, cpr_id: uuid.UUID, status: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE cprs SET status = CAST(:s AS status_cpr_enum) WHERE id = :c"),
            {"s": status, "c": cpr_id},
        )


def make_investment(
    engine: sa.Engine, investor_id: uuid.UUID, cpr_id: uuid.UUID, *, cotas: int = 5
) -> uuid.UUID:
    return uuid.UUID(
        str(
            _one(
                engine,
                "INSERT INTO investimentos (investidor_id, cpr_id, quantidade_cotas,"
                " valor_cota_compra) VALUES (:i, :c, :n, 20) RETURNING id",
                i=investor_id,
                c=cpr_id,
                n=cotas,
            )
        )
    )


def make_parcela(engine: sa.Engine, cpr_id: uuid.UUID, numero: int = 1) -> uuid.UUID:
    return uuid.UUID(
        str(
            _one(
                engine,
                "INSERT INTO parcelas (cpr_id, numero_parcela, valor_principal, valor_juros,"
                " data_vencimento) VALUES (:c, :n, 800, 120.5, '2027-01-15') RETURNING id",
                c=cpr_id,
                n=numero,
            )
        )
    )


def make_offer(engine: sa.Engine, investment_id: uuid.UUID, *, status: str = "ABERTA") -> uuid.UUID:
    return uuid.UUID(
        str(
            _one(
                engine,
                "INSERT INTO ofertas_secundario (investimento_id, quantidade_cotas_a_venda,"
                " preco_por_cota_usdc, status)"
                " VALUES (:i, 2, 21.5, CAST(:s AS status_oferta_enum)) RETURNING id",
                i=investment_id,
                s=status,
            )
        )
    )


def make_transactions(
    engine: sa.Engine, user_id: uuid.UUID, count: int = 1, *, descricao: str = "Depósito Pix"
) -> list[uuid.UUID]:
    with engine.begin() as conn:
        rows = conn.execute(
            sa.text(
                "INSERT INTO transacoes (carteira_id, valor, tipo, status, descricao)"
                " SELECT w.id, 10.5 + g, 'DEPOSITO_PIX', 'CONCLUIDA', :d || ' ' || g"
                " FROM carteiras w, generate_series(1, :n) AS g WHERE w.usuario_id = :u"
                " RETURNING id"
            ),
            {"u": user_id, "n": count, "d": descricao},
        ).scalars()
        return [uuid.UUID(str(r)) for r in rows]


def make_bank_account(engine: sa.Engine, user_id: uuid.UUID) -> uuid.UUID:
    return uuid.UUID(
        str(
            _one(
                engine,
                "INSERT INTO contas_bancarias (usuario_id, banco, agencia, conta, tipo_conta,"
                " is_principal) VALUES (:u, '001', '4321-7', '9876543-2', 'CORRENTE', true)"
                " RETURNING id",
                u=user_id,
            )
        )
    )


def make_notification(engine: sa.Engine, user_id: uuid.UUID, *, tipo: str) -> uuid.UUID:
    return uuid.UUID(
        str(
            _one(
                engine,
                "INSERT INTO notificacoes (usuario_id, canal, destino, tipo, assunto, corpo)"
                " VALUES (:u, 'SMS', '+5565999990000', :t, 'Assunto', 'Seu código: 123456')"
                " RETURNING id",
                u=user_id,
                t=tipo,
            )
        )
    )


def make_document(engine: sa.Engine, user_id: uuid.UUID) -> uuid.UUID:
    content = png(uuid.uuid4().bytes)
    import hashlib

    return uuid.UUID(
        str(
            _one(
                engine,
                "INSERT INTO documentos_kyc (usuario_id, tipo, mime, tamanho_bytes, sha256,"
                " conteudo) VALUES (:u, 'RG', 'image/png', :n, :h, :c) RETURNING id",
                u=user_id,
                n=len(content),
                h=hashlib.sha256(content).hexdigest(),
                c=content,
            )
        )
    )


def set_kyc(engine: sa.Engine, user_id: uuid.UUID, status: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE usuarios SET status_kyc = CAST(:s AS status_kyc_enum) WHERE id = :u"),
            {"s": status, "u": user_id},
        )


def producer_args(**overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "nome_completo": "José Ribamar dos Santos",
        "cpf": new_cpf(),
        "celular": new_mobile(),
        "conta_bancaria": {
            "banco": "756",
            "agencia": "3001",
            "conta": "123456-7",
            "tipo_conta": "CORRENTE",
        },
        "documentos": [
            {"tipo": "RG", "conteudo_base64": b64(png(b"rg"))},
            {"tipo": "SELFIE", "conteudo_base64": b64(png(b"selfie"))},
        ],
    }
    args.update(overrides)
    return args


def intent(
    seq: int,
    args: dict[str, Any] | None = None,
    *,
    name: str = "produtor.registrar",
    version: int = 1,
    intent_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    return {
        "seq": seq,
        "intent_id": str(intent_id or uuid.uuid4()),
        "name": name,
        "version": version,
        "args": producer_args() if args is None else args,
        "correlation_id": f"acao-{uuid.uuid4().hex[:12]}",
        "created_at": datetime.now(UTC).isoformat(),
    }
