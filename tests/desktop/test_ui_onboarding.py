"""Producer onboarding by a field agent: live validation, saving offline, surviving a restart,
reaching the real server exactly once, and fixing a rejected registration."""

# The fixtures come from tests/desktop/test_ui_support.py and tests/support/sync_fixtures.py
# (imported: this package has no conftest of its own), so their names are reused as parameters.

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from desktop.qt import QtWidgets
from desktop.replica import default_replica_path
from desktop.replica_queries import ReplicaReader, outbox_items
from desktop.session import TokenStore
from desktop.settings import AppPaths, RememberedAccount, load, save
from desktop.ui.main_window import MainWindow
from desktop.ui.onboarding import ProducerDialog, ProducerForm
from desktop.ui.pages import AgentView
from shared_models.cpf import format_cpf, mask_cpf
from shared_models.enums import Perfil
from tests.desktop.test_ui_support import (  # noqa: F401 - fixtures
    AppFactory,
    MemoryKeyring,
    make_app,
    memory_keyring,
    paths,
    pt_br,
    write_png,
)
from tests.support.faultproxy import FaultProxy
from tests.support.live_server import free_port
from tests.support.sync_fixtures import (  # noqa: F401 - fixtures
    SyncWorld,
    User,
    cheap_password_hashing,
    live_server,
    sync_db,
    sync_db_url,
    sync_redis,
    sync_redis_url,
    world,
)
from tests.sync_server.auth_support import new_cpf

pytestmark = pytest.mark.usefixtures("pt_br")


def _hint(form: ProducerForm, field: str) -> tuple[str, str]:
    f = getattr(form, field)
    return f.hint.text(), str(f.hint.property("hint"))


# -- the form on its own ---------------------------------------------------------------------


def test_cpf_is_validated_live_as_it_is_typed(qtbot: Any) -> None:
    form = ProducerForm()
    qtbot.addWidget(form)
    cpf = form.cpf.edit
    cpf.setText("529")
    assert _hint(form, "cpf") == ("CPF incompleto: 3 de 11 dígitos.", "info")
    cpf.setText("529.982.247-2")
    assert _hint(form, "cpf") == ("CPF incompleto: 10 de 11 dígitos.", "info")
    cpf.setText("529.982.247-24")
    assert _hint(form, "cpf") == (
        "CPF inválido: os dígitos verificadores não conferem.",
        "error",
    )
    assert cpf.property("valid") == "false"
    cpf.setText("111.111.111-11")
    assert _hint(form, "cpf") == ("CPF inválido: todos os dígitos são iguais.", "error")
    cpf.setText("52a")
    assert _hint(form, "cpf")[1] == "error"
    cpf.setText("529.982.247-251")
    assert _hint(form, "cpf") == ("Dígitos demais: o CPF tem 11.", "error")
    cpf.clear()
    qtbot.keyClicks(cpf, "52998224725")  # typed key by key, as a person would
    assert _hint(form, "cpf") == ("CPF válido.", "ok")
    assert cpf.property("valid") == "true"
    cpf.editingFinished.emit()
    assert cpf.text() == "529.982.247-25"


def test_contact_and_bank_fields_are_validated_live(qtbot: Any) -> None:
    form = ProducerForm()
    qtbot.addWidget(form)
    form.celular.edit.setText("(65) 9999")
    assert _hint(form, "celular") == ("DDD e número, por exemplo (65) 99999-0000.", "info")
    form.celular.edit.setText("(65) 89999-0000")
    assert _hint(form, "celular") == (
        "Celular inválido: números de celular começam com 9 após o DDD.",
        "error",
    )
    form.celular.edit.setText("(65) 99999-0000")
    assert _hint(form, "celular") == ("Celular válido.", "ok")
    form.email.edit.setText("jose@")
    assert _hint(form, "email") == ("E-mail inválido: use o formato nome@dominio.com.br.", "error")
    form.email.edit.setText("")
    assert _hint(form, "email") == ("", "info")  # optional
    form.agencia.edit.setText("12")
    assert _hint(form, "agencia")[1] == "error" and "Agência inválida" in _hint(form, "agencia")[0]
    form.agencia.edit.setText("1234-5")
    assert _hint(form, "agencia")[1] == "ok"
    form.conta.edit.setText("12345-6")
    assert _hint(form, "conta")[1] == "ok"
    assert form.banco.currentData() == "001"  # Banco do Brasil first


def test_documents_are_checked_by_content(qtbot: Any, tmp_path: Path) -> None:
    form = ProducerForm()
    qtbot.addWidget(form)
    form.add_document_file(write_png(tmp_path / "rg-frente.png"), "RG")
    qtbot.waitUntil(lambda: len(form.documents) == 1 and not form.reading_documents)
    assert (
        form.doc_list.item(0).text().startswith("Carteira de identidade (RG) — rg-frente.png (PNG")
    )
    fake = tmp_path / "foto.jpg"
    fake.write_bytes(b"MZ\x90\x00 not really a photo")
    form.add_document_file(fake, "SELFIE")
    qtbot.waitUntil(lambda: not form.reading_documents)
    assert len(form.documents) == 1
    assert form.doc_hint.text() == (
        "foto.jpg: Tipo de arquivo não aceito: envie uma imagem JPEG ou PNG, ou um PDF."
    )
    big = tmp_path / "grande.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024 + 1))
    form.add_document_file(big, "OUTRO")
    qtbot.waitUntil(lambda: not form.reading_documents)
    assert form.doc_hint.text().startswith("grande.pdf é grande demais")
    assert len(form.documents) == 1


def test_collect_refuses_an_incomplete_form(qtbot: Any) -> None:
    form = ProducerForm()
    qtbot.addWidget(form)
    form.cpf.edit.setText("529.982.247-25")
    assert form.collect() is None
    assert _hint(form, "nome") == ("Obrigatório.", "error")
    assert _hint(form, "celular") == ("Obrigatório.", "error")
    form.nome.edit.setText("José Ribamar dos Santos")
    form.celular.edit.setText("(65) 99999-0000")
    form.bank_group.setChecked(False)
    args = form.collect()
    assert args == {
        "nome_completo": "José Ribamar dos Santos",
        "cpf": "529.982.247-25",
        "celular": "(65) 99999-0000",
        "documentos": [],
    }


# -- saving offline and reaching the server --------------------------------------------------


def _fill(dialog: ProducerDialog, qtbot: Any, *, nome: str, cpf: str, files: list[Path]) -> None:
    form = dialog.form
    form.nome.edit.setText(nome)
    form.cpf.edit.setText(format_cpf(cpf))
    form.celular.edit.setText("(65) 99876-5432")
    form.email.edit.setText(f"{uuid.uuid4().hex[:10]}@example.com")
    form.agencia.edit.setText("1234-5")
    form.conta.edit.setText("98765-4")
    for path, tipo in zip(files, ["RG", "SELFIE", "CNH"], strict=False):
        form.add_document_file(path, tipo)
    qtbot.waitUntil(lambda: len(form.documents) == len(files) and not form.reading_documents)


def _save(window: MainWindow, dialog: ProducerDialog, qtbot: Any) -> None:
    with qtbot.waitSignal(dialog.finished, timeout=15_000) as closed:
        dialog.submit()
    assert closed.args == [QtWidgets.QDialog.DialogCode.Accepted.value]
    assert window.dialog is None


def _remember(paths: AppPaths, account: RememberedAccount, token: str) -> None:
    """As if this account had logged in on this computer before (settings + keyring)."""
    settings = load(paths)
    settings.last_account = account
    save(paths, settings)
    TokenStore().set(account.server_url, account.user_id, token)


def _agent_window(app: Any) -> MainWindow:
    window = app.main_window
    assert window is not None and isinstance(window.view, AgentView)
    return window


def test_a_registration_saved_offline_survives_closing_the_app(
    make_app: AppFactory, paths: AppPaths, memory_keyring: MemoryKeyring, qtbot: Any, tmp_path: Path
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"  # nothing listens: no network at all
    account = RememberedAccount(
        user_id=uuid.uuid4(),
        perfil=Perfil.AGENTE_CAMPO,
        identifier="agente@example.com",
        server_url=nowhere,
        display_name="Paulo Roberto Siqueira",
    )
    _remember(paths, account, "token-de-teste")
    app = make_app(nowhere)
    app.start()
    window = _agent_window(app)
    assert app.login_window is None
    qtbot.waitUntil(lambda: window.status.connection.text() == "Offline", timeout=15_000)
    assert window.offline_banner.text() == (
        "Você está offline e esta conta ainda não foi sincronizada."
    )

    dialog = window.open_new_producer()
    cpf = new_cpf()
    files = [write_png(tmp_path / "rg.png")]
    _fill(dialog, qtbot, nome="Maria das Dores Lima", cpf=cpf, files=files)
    _save(window, dialog, qtbot)
    assert window.notice.text() == (
        "Cadastro de Maria das Dores Lima salvo (nº 1). Ele será enviado quando houver conexão."
    )
    qtbot.waitUntil(lambda: window.status.pending.text() == "Pendentes: 1", timeout=15_000)
    qtbot.waitUntil(lambda: bool(window.view.producers.model.rows), timeout=15_000)
    [row] = window.view.producers.model.texts()
    assert row[0] == "Maria das Dores Lima" and row[1] == mask_cpf(cpf)
    assert row[4] == "Aguardando envio" and row[6] == "1"  # KYC column, documents
    [item] = window.pending.model.texts()
    assert item[:3] == ["1", "Cadastro de produtor", f"Maria das Dores Lima — {mask_cpf(cpf)}"]
    assert item[4] in ("Na fila", "Enviada, aguardando resultado")

    app.close_account()  # the app is closed...
    replica = default_replica_path(account.user_id, base_dir=paths.replicas_dir(nowhere))
    with ReplicaReader(replica).connect() as conn:
        [stored] = outbox_items(conn)
    assert (stored.seq, stored.name, stored.cpf) == (1, "produtor.registrar", cpf)

    again = make_app(nowhere)  # ...and opened again, still without network
    again.start()
    reopened = _agent_window(again)
    qtbot.waitUntil(lambda: bool(reopened.pending.model.rows), timeout=15_000)
    assert reopened.pending.model.texts()[0][2] == f"Maria das Dores Lima — {mask_cpf(cpf)}"
    qtbot.waitUntil(lambda: reopened.status.pending.text() == "Pendentes: 1", timeout=15_000)


def test_offline_onboarding_reaches_the_server_once_after_a_restart(
    make_app: AppFactory, paths: AppPaths, world: SyncWorld, qtbot: Any, tmp_path: Path
) -> None:
    agent = world.user(Perfil.AGENTE_CAMPO)
    with FaultProxy(world.server.address, seed=3, fault_rate=0.0) as proxy:
        account = RememberedAccount(
            user_id=agent.id,
            perfil=Perfil.AGENTE_CAMPO,
            identifier=agent.account.email,
            server_url=proxy.url,
        )
        _remember(paths, account, agent.token)
        app = make_app(proxy.url)
        app.start()
        window = _agent_window(app)
        qtbot.waitUntil(
            lambda: (
                window.status.connection.text() == "Online"
                and window.status.last_sync.text().startswith("Última sincronização: ")
            ),
            timeout=20_000,
        )
        first_sync = window.status.last_sync.text()

        proxy.set_down(True)  # the link drops
        dialog = window.open_new_producer()
        cpf = new_cpf()
        files = [write_png(tmp_path / "rg.png", 1), write_png(tmp_path / "selfie.png", 2)]
        _fill(dialog, qtbot, nome="Sebastião Alves Moreira", cpf=cpf, files=files)
        _save(window, dialog, qtbot)
        qtbot.waitUntil(lambda: window.status.connection.text() == "Offline", timeout=20_000)
        assert window.status.pending.text() == "Pendentes: 1"
        assert world.producers_of(agent) == []
        app.close_account()

        again = make_app(proxy.url)  # reopened, still offline: the last synced data shows
        again.start()
        reopened = _agent_window(again)
        qtbot.waitUntil(
            lambda: (
                reopened.status.connection.text() == "Offline"
                and reopened.status.last_sync.text() == first_sync
            ),
            timeout=20_000,
        )
        assert "Você está offline. Mostrando os dados da última sincronização" in (
            reopened.offline_banner.text()
        )
        qtbot.waitUntil(lambda: reopened.status.pending.text() == "Pendentes: 1", timeout=15_000)

        proxy.set_down(False)  # connectivity is back
        reopened.sync_action.trigger()
        qtbot.waitUntil(
            lambda: (
                reopened.status.connection.text() == "Online"
                and reopened.status.pending.text() == "Pendentes: 0"
            ),
            timeout=30_000,
        )
        reopened.sync_action.trigger()  # and once more: nothing is sent twice
        qtbot.waitUntil(reopened.sync_action.isEnabled, timeout=30_000)

    [producer] = world.producers_of(agent)
    assert producer.cpf == cpf and producer.nome_completo == "Sebastião Alves Moreira"
    assert world.documents_of(producer.id) == 2
    qtbot.waitUntil(
        lambda: any(
            r.id == str(producer.id) and r.documentos == 2
            for r in reopened.view.producers.model.rows
        ),
        timeout=15_000,
    )
    assert reopened.notice.text() == "1 ação(ões) aplicada(s) pelo servidor."
    assert [r.status for r in world.intent_results(_device(again))] == ["applied"]


def _device(app: Any) -> uuid.UUID:
    path = app.replica_path(app.account)
    with ReplicaReader(path).connect() as conn:
        value = conn.execute("SELECT value FROM sync_state WHERE key = 'device_id'").fetchone()[0]
    return uuid.UUID(value)


def test_a_rejected_registration_is_fixed_and_sent_again(
    make_app: AppFactory, paths: AppPaths, world: SyncWorld, qtbot: Any, tmp_path: Path
) -> None:
    agent: User = world.user(Perfil.AGENTE_CAMPO)
    taken = world.user(Perfil.AGRICULTOR).account.cpf  # a CPF already registered
    account = RememberedAccount(
        user_id=agent.id,
        perfil=Perfil.AGENTE_CAMPO,
        identifier=agent.account.email,
        server_url=world.server.url,
    )
    _remember(paths, account, agent.token)
    app = make_app(world.server.url)
    app.start()
    window = _agent_window(app)
    qtbot.waitUntil(lambda: window.status.connection.text() == "Online", timeout=20_000)

    dialog = window.open_new_producer()
    files = [write_png(tmp_path / "a.png")]
    _fill(dialog, qtbot, nome="Joaquim Pereira Neto", cpf=taken, files=files)
    _save(window, dialog, qtbot)
    qtbot.waitUntil(lambda: window.status.pending.text().endswith("Rejeitadas: 1"), timeout=30_000)
    assert window.pending_dock.isVisible()
    assert window.notice.kind == "error"
    assert window.notice.text().startswith("Cadastro de produtor (Joaquim Pereira Neto) rejeitado:")
    qtbot.waitUntil(
        lambda: [r.state for r in window.pending.model.rows] == ["rejected"], timeout=15_000
    )
    [item] = window.pending.model.rows
    assert item.code == "cadastro_duplicado"
    texts = window.pending.model.texts()[0]
    assert texts[4] == "Rejeitada"
    assert texts[5].startswith("Já existe uma conta com este CPF")

    window.pending.table.view.selectRow(0)
    assert window.pending.fix_button.isEnabled()
    window.pending.fix_button.click()
    qtbot.waitUntil(lambda: window.dialog is not None, timeout=15_000)
    fix = window.dialog
    assert fix is not None
    assert fix.windowTitle() == "Corrigir cadastro rejeitado (nº 1)"
    assert fix.banner.text().startswith("O servidor rejeitou este cadastro: Já existe uma conta")
    assert fix.form.cpf.edit.text() == format_cpf(taken)  # prefilled, documents included
    assert fix.form.nome.edit.text() == "Joaquim Pereira Neto"
    assert len(fix.form.documents) == 1
    fresh = new_cpf()
    fix.form.cpf.edit.setText(format_cpf(fresh))
    _save(window, fix, qtbot)
    # Applied intents leave the panel: only the rejected one stays, marked with its correction.
    qtbot.waitUntil(
        lambda: (
            window.status.pending.text() == "Pendentes: 0"
            and [(r.seq, r.resubmitted_as) for r in window.pending.model.rows] == [(1, 2)]
        ),
        timeout=30_000,
    )
    assert window.pending.model.texts()[0][4] == "Rejeitada — reenviada como nº 2"
    window.pending.table.view.selectRow(0)
    assert not window.pending.fix_button.isEnabled()
    [producer] = world.producers_of(agent)
    assert producer.cpf == fresh and world.documents_of(producer.id) == 1
