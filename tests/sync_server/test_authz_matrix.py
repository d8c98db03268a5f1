"""Authorization matrix: every route under /v1 × every kind of caller, from one declarative table.

Callers (actors):

- ``anonimo``: no token;
- ``agricultor``: a farmer (onboarded by ``agente``, so the agent may act for them);
- ``investidor``, ``agente`` (field agent), ``admin``;
- ``outro``: *another* user with the same profile as the owner of the resource the request points
  at (``Case.owner``; by default another farmer). It checks ownership: when the path names someone
  else's resource, ``outro`` must be refused.

For each route the table says which actors are allowed. Allowed means the request got past
authentication and authorization: the answer is not a 5xx and not a refusal of the auth layer
(401 ``nao_autenticado``, 403 ``acesso_negado``); a business answer such as 401
``credenciais_invalidas`` or 422 is fine. Refused means 401 ``nao_autenticado`` for ``anonimo``,
``Case.denied_status`` (403, or 404 for someone else's resource) for other logged-in actors, and
403 or 404 for ``outro`` (404 hides whether someone else's resource exists).

Adding a route: add one ``MATRIX`` entry keyed by ``(METHOD, path template)``. A route of the app
missing from the table, or an entry for a route that no longer exists, fails
:func:`test_every_route_is_in_the_matrix`. ``params``, ``json``, ``data`` and ``files`` build the
request from the :class:`World` (one fresh world per route; each actor gets a fresh session and
fresh values, so destructive calls do not disturb each other). Give bodies that pass validation
when the route checks ownership after validating the body.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from shared_models.enums import Perfil
from sync_server.auth.ratelimit import RateLimits, Rule
from tests.sync_server.auth_support import (
    Account,
    bearer,
    create_user,
    new_password,
    open_session,
    signup_payload,
)

ANON = "anonimo"
FARMER = "agricultor"
INVESTOR = "investidor"
AGENT = "agente"
ADMIN = "admin"
OTHER = "outro"
ACTORS = (ANON, FARMER, INVESTOR, AGENT, ADMIN, OTHER)

EVERYONE = frozenset(ACTORS)
LOGGED_IN = EVERYONE - {ANON}
ADMIN_ONLY = frozenset({ADMIN})
AGENT_ONLY = frozenset({AGENT})

_PROFILE_OF = {
    FARMER: Perfil.AGRICULTOR,
    INVESTOR: Perfil.INVESTIDOR,
    AGENT: Perfil.AGENTE_CAMPO,
    ADMIN: Perfil.ADMIN,
}


@dataclass
class World:
    """The users of one matrix run and helpers to make resources they own."""

    client: TestClient
    engine: sa.Engine
    redis: redis.Redis
    users: dict[str, Account]
    others: dict[str, Account] = field(default_factory=dict)

    @property
    def farmer(self) -> Account:
        return self.users[FARMER]

    @property
    def agent(self) -> Account:
        return self.users[AGENT]

    def account(self, actor: str, owner: str) -> Account:
        if actor != OTHER:
            return self.users[actor]
        if owner not in self.others:
            self.others[owner] = create_user(self.engine, _PROFILE_OF[owner])
        return self.others[owner]

    def token(self, actor: str, owner: str) -> str:
        return open_session(self.redis, self.account(actor, owner))

    # -- resources ---------------------------------------------------------------------------

    def session_id(self, who: str = FARMER) -> str:
        token = open_session(self.redis, self.users[who])
        return token.split(".")[1]

    def bank_account(self, who: str = FARMER) -> str:
        with self.engine.begin() as conn:
            return str(
                conn.execute(
                    sa.text(
                        "INSERT INTO contas_bancarias"
                        " (usuario_id, banco, agencia, conta, tipo_conta)"
                        " VALUES (:u, '001', '1234', '12345-6', 'CORRENTE') RETURNING id"
                    ),
                    {"u": self.users[who].id},
                ).scalar_one()
            )

    def document(self, who: str = FARMER) -> str:
        from tests.sync_server.accounts_support import png_bytes, upload

        owner = self.users[who]
        open_session(self.redis, owner)
        response = upload(self.client, "/v1/me/documentos", owner, png_bytes())
        assert response.status_code == 201, response.text
        return str(response.json()["id"])


Builder = Callable[[World], Any]


def _nothing(_: World) -> dict[str, str]:
    return {}


@dataclass(frozen=True)
class Case:
    allowed: frozenset[str]
    params: Builder = _nothing
    json: Builder | None = None
    data: Builder | None = None
    files: Builder | None = None
    query: Builder | None = None
    owner: str = FARMER
    # Status for a logged-in actor outside ``allowed``: 403 (wrong profile), or 404 when the path
    # names a resource of the owner that other users must not even see.
    denied_status: int = 403


def _login_body(w: World) -> dict[str, Any]:
    return {
        "identificador": w.farmer.email,
        "senha": new_password(),  # wrong on purpose: 401 credenciais_invalidas, not a denial
        "dispositivo": {"id": str(uuid.uuid4()), "nome": "matriz"},
    }


def _wrong_password_change(_: World) -> dict[str, str]:
    return {"senha_atual": new_password(), "nova_senha": new_password()}


def _alert_rule(_: World) -> dict[str, Any]:
    return {
        "nome": f"regra-{uuid.uuid4().hex[:8]}",
        "nivel": "ERROR",
        "limite": 10,
        "janela_minutos": 5,
    }


MATRIX: dict[tuple[str, str], Case] = {
    # -- public -------------------------------------------------------------------------------
    ("GET", "/v1/health"): Case(EVERYONE),
    ("GET", "/v1/ping"): Case(EVERYONE),
    ("GET", "/v1/metrics"): Case(EVERYONE),  # metrics_token unset in tests
    ("POST", "/v1/auth/signup"): Case(EVERYONE, json=lambda w: signup_payload()),
    ("POST", "/v1/auth/login"): Case(EVERYONE, json=_login_body),
    ("GET", "/v1/bancos"): Case(EVERYONE),
    ("POST", "/v1/ativacao"): Case(
        EVERYONE,
        json=lambda w: {"cpf": w.farmer.cpf, "codigo": "000000", "senha": new_password()},
    ),
    # -- accounts (sync_server.auth) ----------------------------------------------------------
    ("GET", "/v1/auth/me"): Case(LOGGED_IN),
    ("POST", "/v1/auth/logout"): Case(LOGGED_IN),
    ("POST", "/v1/auth/logout-all"): Case(LOGGED_IN),
    ("GET", "/v1/auth/sessions"): Case(LOGGED_IN),
    ("DELETE", "/v1/auth/sessions/{sessao_id}"): Case(
        # Only the farmer owns that session; anyone else gets 404 (it is not theirs).
        frozenset({FARMER}),
        params=lambda w: {"sessao_id": w.session_id(FARMER)},
        denied_status=404,
    ),
    ("GET", "/v1/auth/devices"): Case(LOGGED_IN),
    ("POST", "/v1/auth/password"): Case(LOGGED_IN, json=_wrong_password_change),
    ("POST", "/v1/auth/otp"): Case(LOGGED_IN, json=lambda w: {"finalidade": "conta_bancaria"}),
    # -- user data (sync_server.user_data) ----------------------------------------------------
    ("GET", "/v1/me"): Case(LOGGED_IN),
    ("PATCH", "/v1/me"): Case(LOGGED_IN, json=lambda w: {"nome_completo": "Nome Atualizado"}),
    ("GET", "/v1/me/contas-bancarias"): Case(LOGGED_IN),
    ("POST", "/v1/me/contas-bancarias"): Case(
        LOGGED_IN,
        json=lambda w: {
            "banco": "001",
            "agencia": "1234",
            "conta": "12345-6",
            "tipo_conta": "CORRENTE",
            "codigo_otp": "000000",
        },
    ),
    ("GET", "/v1/me/contas-bancarias/{conta_id}"): Case(
        frozenset({FARMER}), params=lambda w: {"conta_id": w.bank_account()}, denied_status=404
    ),
    ("PATCH", "/v1/me/contas-bancarias/{conta_id}"): Case(
        frozenset({FARMER}),
        params=lambda w: {"conta_id": w.bank_account()},
        json=lambda w: {"tipo_conta": "POUPANCA", "codigo_otp": "000000"},
        denied_status=404,
    ),
    ("POST", "/v1/me/contas-bancarias/{conta_id}/principal"): Case(
        frozenset({FARMER}),
        params=lambda w: {"conta_id": w.bank_account()},
        json=lambda w: {"codigo_otp": "000000"},
        denied_status=404,
    ),
    ("DELETE", "/v1/me/contas-bancarias/{conta_id}"): Case(
        frozenset({FARMER}),
        params=lambda w: {"conta_id": w.bank_account()},
        json=lambda w: {"codigo_otp": "000000"},
        denied_status=404,
    ),
    ("PATCH", "/v1/admin/contas-bancarias/{conta_id}/verificacao"): Case(
        ADMIN_ONLY,
        params=lambda w: {"conta_id": w.bank_account()},
        json=lambda w: {"status": "VERIFICADA"},
    ),
    # -- KYC (sync_server.kyc) -----------------------------------------------------------------
    ("POST", "/v1/me/documentos"): Case(
        LOGGED_IN,
        data=lambda w: {"tipo": "RG"},
        files=lambda w: {"arquivo": ("rg.txt", b"nao sou imagem", "text/plain")},
    ),
    ("GET", "/v1/me/documentos"): Case(LOGGED_IN),
    ("GET", "/v1/me/documentos/{documento_id}/conteudo"): Case(
        frozenset({FARMER}), params=lambda w: {"documento_id": w.document()}, denied_status=404
    ),
    ("GET", "/v1/admin/kyc/fila"): Case(ADMIN_ONLY),
    ("GET", "/v1/admin/kyc/documentos/{documento_id}/conteudo"): Case(
        ADMIN_ONLY, params=lambda w: {"documento_id": w.document()}
    ),
    ("POST", "/v1/admin/kyc/usuarios/{usuario_id}/decisao"): Case(
        ADMIN_ONLY,
        params=lambda w: {"usuario_id": str(w.farmer.id)},
        json=lambda w: {
            "decisao": "REPROVADO",
            "motivo_codigo": "DOCUMENTO_ILEGIVEL",
            "motivo": "Documento ilegível.",
        },
    ),
    # -- field agents (sync_server.field_agents) -----------------------------------------------
    ("POST", "/v1/agente/produtores"): Case(
        AGENT_ONLY | {OTHER},
        json=lambda w: {
            "nome_completo": "José Ribamar dos Santos",
            "cpf": signup_payload()["cpf"],
            "celular": signup_payload()["celular"],
        },
        owner=AGENT,
    ),
    ("GET", "/v1/agente/produtores"): Case(AGENT_ONLY | {OTHER}, owner=AGENT),
    ("GET", "/v1/agente/produtores/{produtor_id}"): Case(
        AGENT_ONLY, params=lambda w: {"produtor_id": str(w.farmer.id)}, owner=AGENT
    ),
    ("POST", "/v1/agente/produtores/{produtor_id}/documentos"): Case(
        AGENT_ONLY,
        params=lambda w: {"produtor_id": str(w.farmer.id)},
        data=lambda w: {"tipo": "RG"},
        files=lambda w: {"arquivo": ("rg.txt", b"nao sou imagem", "text/plain")},
        owner=AGENT,
    ),
    ("GET", "/v1/agente/produtores/{produtor_id}/documentos"): Case(
        AGENT_ONLY, params=lambda w: {"produtor_id": str(w.farmer.id)}, owner=AGENT
    ),
    ("POST", "/v1/agente/produtores/{produtor_id}/contas-bancarias"): Case(
        AGENT_ONLY,
        params=lambda w: {"produtor_id": str(w.farmer.id)},
        json=lambda w: {
            "banco": "001",
            "agencia": "1234",
            "conta": "1-0",
            "tipo_conta": "CORRENTE",
        },
        owner=AGENT,
    ),
    ("POST", "/v1/agente/produtores/{produtor_id}/reenviar-ativacao"): Case(
        AGENT_ONLY, params=lambda w: {"produtor_id": str(w.farmer.id)}, owner=AGENT
    ),
    ("POST", "/v1/admin/agentes"): Case(
        ADMIN_ONLY,
        json=lambda w: {
            "nome_completo": "Agente de Campo",
            "email": signup_payload()["email"],
            "cpf": signup_payload()["cpf"],
            "celular": signup_payload()["celular"],
        },
    ),
    ("POST", "/v1/admin/agentes/{agente_id}/reenviar-ativacao"): Case(
        ADMIN_ONLY, params=lambda w: {"agente_id": str(w.agent.id)}
    ),
    # -- LGPD (sync_server.lgpd) ---------------------------------------------------------------
    ("GET", "/v1/me/dados-pessoais"): Case(LOGGED_IN),
    ("POST", "/v1/me/exclusao"): Case(
        LOGGED_IN,  # a wrong password on purpose: 400 senha_atual_incorreta, nothing deleted
        json=lambda w: {"senha": new_password(), "confirmacao": "EXCLUIR"},
    ),
    # -- sync protocol (sync_server.sync): scopes decide what each user pulls -----------------
    ("GET", "/v1/sync/info"): Case(EVERYONE),
    ("GET", "/v1/sync/pull"): Case(LOGGED_IN),
    ("POST", "/v1/sync/push"): Case(
        LOGGED_IN,  # per-intent permissions are refusals stored as results (test_sync_push.py)
        json=lambda w: {
            "device_id": str(uuid.uuid4()),
            "intents": [
                {
                    "seq": 1,
                    "intent_id": str(uuid.uuid4()),
                    "name": "produtor.registrar",
                    "version": 1,
                    "args": {},
                    "created_at": "2026-01-01T00:00:00Z",
                }
            ],
        },
    ),
    # -- observability (sync_server.observability): admins only -------------------------------
    ("GET", "/v1/admin/logs"): Case(ADMIN_ONLY),
    ("GET", "/v1/admin/logs/erros"): Case(ADMIN_ONLY),
    ("GET", "/v1/admin/logs/tempo-processamento"): Case(ADMIN_ONLY),
    ("GET", "/v1/admin/logs/correlacao/{correlation_id}"): Case(
        ADMIN_ONLY, params=lambda w: {"correlation_id": str(uuid.uuid4())}
    ),
    ("GET", "/v1/admin/alertas/disparados"): Case(ADMIN_ONLY),
    ("GET", "/v1/admin/alertas/eventos"): Case(ADMIN_ONLY),
    ("GET", "/v1/admin/alertas"): Case(ADMIN_ONLY),
    ("POST", "/v1/admin/alertas"): Case(ADMIN_ONLY, json=_alert_rule),
    ("GET", "/v1/admin/alertas/{regra_id}"): Case(
        ADMIN_ONLY, params=lambda w: {"regra_id": str(uuid.uuid4())}
    ),
    ("PATCH", "/v1/admin/alertas/{regra_id}"): Case(
        ADMIN_ONLY, params=lambda w: {"regra_id": str(uuid.uuid4())}, json=lambda w: {}
    ),
    ("DELETE", "/v1/admin/alertas/{regra_id}"): Case(
        ADMIN_ONLY, params=lambda w: {"regra_id": str(uuid.uuid4())}
    ),
}


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path template) the app serves under /v1 (HEAD implied by GET)."""
    found = set()
    for route in iter_route_contexts(app.routes):
        path = route.path or ""
        if not path.startswith("/v1/"):
            continue
        for method in route.methods or ():
            if method != "HEAD":
                found.add((method, path))
    return found


def test_every_route_is_in_the_matrix(app: FastAPI) -> None:
    served = app_routes(app)
    missing = sorted(served - MATRIX.keys())
    stale = sorted(MATRIX.keys() - served)
    assert not missing, f"rotas sem entrada na matriz de autorização: {missing}"
    assert not stale, f"entradas da matriz sem rota correspondente: {stale}"


@pytest.fixture
def world(client: TestClient, engine: sa.Engine, redis_client: redis.Redis, app: FastAPI) -> World:
    # The matrix sends many requests from one IP; rate limits are tested elsewhere.
    generous = Rule(10_000, 60)
    app.state.rate_limits = RateLimits(
        login_ip=generous,
        login_account=generous,
        signup_ip=generous,
        otp_request_user=generous,
        otp_request_ip=generous,
        otp_verify_user=generous,
        password_change_user=generous,
    )
    agent = create_user(engine, Perfil.AGENTE_CAMPO)
    users = {
        AGENT: agent,
        FARMER: create_user(engine, Perfil.AGRICULTOR, agente_id=agent.id),
        INVESTOR: create_user(engine, Perfil.INVESTIDOR),
        ADMIN: create_user(engine, Perfil.ADMIN),
    }
    return World(client=client, engine=engine, redis=redis_client, users=users)


DENIALS = frozenset({"nao_autenticado", "acesso_negado"})


def _error_code(response: Any) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


def _call(world: World, method: str, path: str, case: Case, actor: str) -> Any:
    url = path.format(**case.params(world))
    headers = {} if actor == ANON else bearer(world.token(actor, case.owner))
    kwargs: dict[str, Any] = {"headers": headers}
    if case.json is not None:
        kwargs["json"] = case.json(world)
    if case.data is not None:
        kwargs["data"] = case.data(world)
    if case.files is not None:
        kwargs["files"] = case.files(world)
    if case.query is not None:
        kwargs["params"] = case.query(world)
    return world.client.request(method, url, **kwargs)


@pytest.mark.parametrize(("method", "path"), sorted(MATRIX), ids=str)
def test_route_allows_exactly_the_declared_actors(method: str, path: str, world: World) -> None:
    case = MATRIX[(method, path)]
    problems = []
    # Refused actors first, so a destructive call by an allowed one cannot hide a refusal.
    for actor in sorted(ACTORS, key=lambda a: (a in case.allowed, ACTORS.index(a))):
        response = _call(world, method, path, case, actor)
        status = response.status_code
        code = _error_code(response)
        if actor in case.allowed:
            ok = status < 500 and code not in DENIALS
            expected = "no 5xx, no nao_autenticado/acesso_negado"
        elif actor == ANON:
            ok, expected = (status, code) == (401, "nao_autenticado"), "401 nao_autenticado"
        elif actor == OTHER:
            ok, expected = status in (403, 404), "403/404"
        else:
            ok, expected = status == case.denied_status, str(case.denied_status)
        if not ok:
            problems.append(f"{actor}: {status} (expected {expected}) {response.text[:200]}")
    assert not problems, f"{method} {path}:\n" + "\n".join(problems)
