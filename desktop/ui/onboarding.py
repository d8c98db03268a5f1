"""Producer onboarding by a field agent: a form with live validation, saved as an intent.

The form checks each field as it is typed, with the rules the server applies
(``shared_models``: CPF check digits, Brazilian mobiles, e-mail syntax, bank formats; identity
documents judged by their content). Saving queues a ``produtor.registrar`` intent in the outbox
through the sync worker, so it works offline and survives closing the app. A rejected
registration is reopened here, prefilled, and sent again as a new intent.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop import labels
from desktop.errors import UserEnvironmentError
from desktop.formatting import format_bytes, format_phone
from desktop.qt import BackgroundOp, QtCore, QtWidgets, Signal, report_bug
from desktop.resources import icon
from desktop.sync_worker import WriteResult
from desktop.ui.widgets import Banner, set_hint, set_valid
from shared_models import bank
from shared_models.contact import (
    InvalidEmailError,
    InvalidPhoneError,
    normalize_email,
    normalize_mobile,
)
from shared_models.cpf import InvalidCpfError, format_cpf, normalize_cpf
from shared_models.enums import TipoConta
from shared_models.fields import FieldError, normalize_name
from shared_models.kyc_documents import (
    MAX_DOCUMENT_BYTES,
    MIME_JPEG,
    MIME_PDF,
    MIME_PNG,
    InvalidDocumentError,
    TipoDocumento,
    sniff_mime,
)
from shared_models.sync.mutations import MAX_PRODUCER_DOCUMENTS, PRODUTOR_REGISTRAR

_NON_DIGITS = re.compile(r"\D")
_MIME_NAMES = {MIME_JPEG: "JPEG", MIME_PNG: "PNG", MIME_PDF: "PDF"}


# -- documents (plain Python: runs on a pool thread) -----------------------------------------


class DocumentTooLargeError(UserEnvironmentError):
    def __init__(self, size: int) -> None:
        super().__init__(f"{size} bytes")
        self.size = size


class DocumentRejectedError(UserEnvironmentError):
    """The content is not an accepted document; ``str(exc)`` is the Portuguese reason."""


@dataclass(frozen=True)
class DocumentFile:
    tipo: str  # TipoDocumento value
    name: str
    size: int
    mime: str
    content_base64: str

    def as_arg(self) -> dict[str, str]:
        return {"tipo": self.tipo, "conteudo_base64": self.content_base64}


def read_document(path: Path, tipo: str) -> DocumentFile:
    """Read and check one identity document (JPEG, PNG or PDF, judged by its bytes)."""
    size = path.stat().st_size
    if size > MAX_DOCUMENT_BYTES:
        raise DocumentTooLargeError(size)
    content = path.read_bytes()
    if len(content) > MAX_DOCUMENT_BYTES:
        raise DocumentTooLargeError(len(content))
    try:
        mime = sniff_mime(content)
    except InvalidDocumentError as exc:
        raise DocumentRejectedError(exc.message) from None
    return DocumentFile(
        tipo=tipo,
        name=path.name,
        size=len(content),
        mime=mime,
        content_base64=base64.b64encode(content).decode("ascii"),
    )


def stored_document(arg: dict[str, Any], index: int) -> DocumentFile | None:
    """A document of a stored intent (to fix and resubmit it)."""
    try:
        content = base64.b64decode(str(arg["conteudo_base64"]), validate=True)
        mime = sniff_mime(content)
        tipo = TipoDocumento(arg["tipo"]).value
    except (KeyError, ValueError, InvalidDocumentError):
        return None
    return DocumentFile(tipo, f"#{index + 1}", len(content), mime, str(arg["conteudo_base64"]))


# -- the form ----------------------------------------------------------------------------------


class _Field:
    """A line edit with its live hint label."""

    def __init__(self, parent: QtWidgets.QWidget, placeholder: str) -> None:
        self.edit = QtWidgets.QLineEdit(parent)
        self.edit.setPlaceholderText(placeholder)
        self.hint = QtWidgets.QLabel(parent)
        self.hint.setWordWrap(True)
        self.hint.setProperty("hint", "info")
        self.box = QtWidgets.QWidget(parent)
        layout = QtWidgets.QVBoxLayout(self.box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.edit)
        layout.addWidget(self.hint)

    @property
    def text(self) -> str:
        return self.edit.text().strip()

    def show(self, text: str, kind: str) -> None:
        set_hint(self.hint, text, kind)
        set_valid(self.edit, None if kind == "info" else kind == "ok")

    def clear(self) -> None:
        self.show("", "info")


class ProducerForm(QtWidgets.QWidget):
    """The onboarding form. :meth:`collect` returns the intent's arguments, or None."""

    def __init__(
        self,
        *,
        initial: dict[str, Any] | None = None,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.documents: list[DocumentFile] = []

        # Personal data
        self.nome = _Field(self, self.tr("Full name, as on the identity document"))
        self.cpf = _Field(self, "000.000.000-00")
        self.celular = _Field(self, "(65) 99999-0000")
        self.email = _Field(self, self.tr("optional"))
        personal = QtWidgets.QGroupBox(self.tr("Personal data"), self)
        pform = QtWidgets.QFormLayout(personal)
        pform.addRow(self.tr("Full name"), self.nome.box)
        pform.addRow(self.tr("CPF"), self.cpf.box)
        pform.addRow(self.tr("Mobile"), self.celular.box)
        pform.addRow(self.tr("E-mail"), self.email.box)

        # Bank account
        self.bank_group = QtWidgets.QGroupBox(self.tr("Bank account for payouts"), self)
        self.bank_group.setCheckable(True)
        self.bank_group.setChecked(True)
        self.banco = QtWidgets.QComboBox(self.bank_group)
        for code, name in bank.BANKS.items():  # by COMPE code: 001 Banco do Brasil first
            self.banco.addItem(f"{code} — {name}", code)
        self.agencia = _Field(self.bank_group, "0000-0")
        self.conta = _Field(self.bank_group, "00000-0")
        self.tipo_conta = QtWidgets.QComboBox(self.bank_group)
        for tipo in TipoConta:
            self.tipo_conta.addItem(labels.account_type(tipo.value), tipo.value)
        bform = QtWidgets.QFormLayout(self.bank_group)
        bform.addRow(self.tr("Bank"), self.banco)
        bform.addRow(self.tr("Branch"), self.agencia.box)
        bform.addRow(self.tr("Account"), self.conta.box)
        bform.addRow(self.tr("Account type"), self.tipo_conta)

        # Documents
        docs = QtWidgets.QGroupBox(self.tr("Identity documents"), self)
        self.doc_type = QtWidgets.QComboBox(docs)
        for kind in TipoDocumento:
            self.doc_type.addItem(labels.document_type(kind.value), kind.value)
        self.add_doc = QtWidgets.QPushButton(icon("document"), self.tr("Add file…"), docs)
        self.add_doc.clicked.connect(self._pick_document)
        self.remove_doc = QtWidgets.QPushButton(icon("remove"), self.tr("Remove"), docs)
        self.remove_doc.clicked.connect(self._remove_document)
        self.doc_list = QtWidgets.QListWidget(docs)
        self.doc_list.setMaximumHeight(110)
        self.doc_list.itemSelectionChanged.connect(self._update_doc_buttons)
        self.doc_hint = QtWidgets.QLabel(docs)
        self.doc_hint.setWordWrap(True)
        set_hint(
            self.doc_hint,
            self.tr("Photos (JPEG or PNG) or PDF, up to %1 each; at most %2 files.")
            .replace("%1", format_bytes(MAX_DOCUMENT_BYTES))
            .replace("%2", str(MAX_PRODUCER_DOCUMENTS)),
            "info",
        )
        row = QtWidgets.QHBoxLayout()
        row.addWidget(QtWidgets.QLabel(self.tr("Type"), docs))
        row.addWidget(self.doc_type, 1)
        row.addWidget(self.add_doc)
        row.addWidget(self.remove_doc)
        dlayout = QtWidgets.QVBoxLayout(docs)
        dlayout.addLayout(row)
        dlayout.addWidget(self.doc_list)
        dlayout.addWidget(self.doc_hint)

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(personal)
        layout.addWidget(self.bank_group)
        layout.addWidget(docs)

        self.nome.edit.textChanged.connect(self.check_nome)
        self.cpf.edit.textChanged.connect(self.check_cpf)
        self.cpf.edit.editingFinished.connect(self._format_cpf)
        self.celular.edit.textChanged.connect(self.check_celular)
        self.email.edit.textChanged.connect(self.check_email)
        self.agencia.edit.textChanged.connect(self.check_agencia)
        self.conta.edit.textChanged.connect(self.check_conta)
        self._reading = 0
        if initial:
            self.load(initial)
        self._update_doc_buttons()

    # -- live checks (each returns whether the field is acceptable) --------------------------

    def check_nome(self, *_: object) -> bool:
        if not self.nome.text:
            self.nome.clear()
            return False
        try:
            normalize_name(self.nome.text)
        except FieldError as exc:
            self.nome.show(exc.user_message, "error")
            return False
        self.nome.show("", "ok")
        return True

    def check_cpf(self, *_: object) -> bool:
        text = self.cpf.text
        digits = _NON_DIGITS.sub("", text)
        if not text:
            self.cpf.show(self.tr("Digits only, or formatted as 000.000.000-00."), "info")
            return False
        if re.search(r"[^\d.\-\s]", text):
            self.cpf.show(self.tr("A CPF has digits only (dots and a dash are optional)."), "error")
            return False
        if len(digits) < 11:
            self.cpf.show(
                self.tr("Incomplete CPF: %1 of 11 digits.").replace("%1", str(len(digits))),
                "info",
            )
            return False
        if len(digits) > 11:
            self.cpf.show(self.tr("Too many digits: a CPF has 11."), "error")
            return False
        try:
            normalize_cpf(text)
        except InvalidCpfError as exc:
            self.cpf.show(exc.message, "error")
            return False
        self.cpf.show(self.tr("Valid CPF."), "ok")
        return True

    def _format_cpf(self) -> None:
        try:
            formatted = format_cpf(self.cpf.text)
        except InvalidCpfError:
            return
        if formatted != self.cpf.edit.text():
            self.cpf.edit.setText(formatted)

    def check_celular(self, *_: object) -> bool:
        text = self.celular.text
        digits = _NON_DIGITS.sub("", text)
        if not text:
            self.celular.show(self.tr("Area code and number, e.g. (65) 99999-0000."), "info")
            return False
        if len(digits) < 11:
            self.celular.show(self.tr("Area code and number, e.g. (65) 99999-0000."), "info")
            return False
        try:
            normalize_mobile(text)
        except InvalidPhoneError as exc:
            self.celular.show(exc.message, "error")
            return False
        self.celular.show(self.tr("Valid mobile number."), "ok")
        return True

    def check_email(self, *_: object) -> bool:
        if not self.email.text:
            self.email.clear()
            return True  # optional
        try:
            normalize_email(self.email.text)
        except InvalidEmailError as exc:
            self.email.show(exc.message, "error")
            return False
        self.email.show("", "ok")
        return True

    def _check_bank_field(self, field: _Field, normalize: Callable[[str], str]) -> bool:
        if not self.bank_group.isChecked():
            field.clear()
            return True
        if not field.text:
            field.clear()
            return False
        try:
            normalize(field.text)
        except bank.InvalidBankDataError as exc:
            field.show(exc.message, "error")
            return False
        field.show("", "ok")
        return True

    def check_agencia(self, *_: object) -> bool:
        return self._check_bank_field(self.agencia, bank.normalize_agency)

    def check_conta(self, *_: object) -> bool:
        return self._check_bank_field(self.conta, bank.normalize_account)

    # -- documents -----------------------------------------------------------------------------

    def _pick_document(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self,
            self.tr("Choose an identity document"),
            "",
            self.tr("Images and PDF (*.jpg *.jpeg *.png *.pdf);;All files (*)"),
        )
        if path:
            self.add_document_file(Path(path), str(self.doc_type.currentData()))

    def add_document_file(self, path: Path, tipo: str) -> None:
        """Read and check a file in the background; it joins the list when accepted."""
        if len(self.documents) + self._reading >= MAX_PRODUCER_DOCUMENTS:
            self._doc_error(
                self.tr("At most %1 documents per producer.").replace(
                    "%1", str(MAX_PRODUCER_DOCUMENTS)
                )
            )
            return
        self._reading += 1
        self.add_doc.setEnabled(False)
        BackgroundOp(
            self,
            lambda: read_document(path, tipo),
            success=self._document_read,
            failure=lambda exc: self._document_failed(path, exc),
        ).run()

    @property
    def reading_documents(self) -> bool:
        return self._reading > 0

    def _document_read(self, document: DocumentFile) -> None:
        self._reading -= 1
        self.documents.append(document)
        self._refresh_documents()
        set_hint(
            self.doc_hint,
            self.tr("Document added: %1.").replace("%1", document.name),
            "ok",
        )

    def _document_failed(self, path: Path, exc: BaseException) -> None:
        self._reading -= 1
        self._update_doc_buttons()
        if isinstance(exc, DocumentTooLargeError):
            self._doc_error(
                self.tr("%1 is too large (%2): the limit is %3.")
                .replace("%1", path.name)
                .replace("%2", format_bytes(exc.size))
                .replace("%3", format_bytes(MAX_DOCUMENT_BYTES))
            )
        elif isinstance(exc, DocumentRejectedError):
            self._doc_error(f"{path.name}: {exc}")
        elif isinstance(exc, OSError):
            self._doc_error(
                self.tr("Could not read %1: %2")
                .replace("%1", path.name)
                .replace("%2", exc.strerror or str(exc))
            )
        else:
            report_bug(exc)

    def _doc_error(self, text: str) -> None:
        set_hint(self.doc_hint, text, "error")

    def _remove_document(self) -> None:
        row = self.doc_list.currentRow()
        if 0 <= row < len(self.documents):
            del self.documents[row]
            self._refresh_documents()

    def _refresh_documents(self) -> None:
        self.doc_list.clear()
        for document in self.documents:
            text = (
                f"{labels.document_type(document.tipo)} — {document.name} "
                f"({_MIME_NAMES.get(document.mime, document.mime)}, "
                f"{format_bytes(document.size)})"
            )
            self.doc_list.addItem(QtWidgets.QListWidgetItem(icon("document"), text))
        self._update_doc_buttons()

    def _update_doc_buttons(self) -> None:
        full = len(self.documents) + self._reading >= MAX_PRODUCER_DOCUMENTS
        self.add_doc.setEnabled(not full and self._reading == 0)
        self.remove_doc.setEnabled(self.doc_list.currentRow() >= 0)

    # -- load, collect, errors -----------------------------------------------------------------

    def load(self, args: dict[str, Any]) -> None:
        """Prefill from a stored intent's arguments (a rejected registration to fix)."""
        self.nome.edit.setText(str(args.get("nome_completo") or ""))
        cpf = str(args.get("cpf") or "")
        with contextlib.suppress(InvalidCpfError):
            cpf = format_cpf(cpf)
        self.cpf.edit.setText(cpf)
        self.celular.edit.setText(format_phone(str(args.get("celular") or "")).strip("—"))
        self.email.edit.setText(str(args.get("email") or ""))
        account = args.get("conta_bancaria")
        self.bank_group.setChecked(isinstance(account, dict))
        if isinstance(account, dict):
            index = self.banco.findData(str(account.get("banco")))
            if index >= 0:
                self.banco.setCurrentIndex(index)
            self.agencia.edit.setText(str(account.get("agencia") or ""))
            self.conta.edit.setText(str(account.get("conta") or ""))
            index = self.tipo_conta.findData(str(account.get("tipo_conta")))
            if index >= 0:
                self.tipo_conta.setCurrentIndex(index)
        self.documents = [
            dataclasses.replace(d, name=self.tr("saved document %1").replace("%1", str(i + 1)))
            for i, arg in enumerate(args.get("documentos") or [])
            if isinstance(arg, dict) and (d := stored_document(arg, i)) is not None
        ]
        self._refresh_documents()

    def collect(self) -> dict[str, Any] | None:
        """Check every field; the intent's arguments, or None (with the errors shown)."""
        checks = [
            (self.check_nome(), self.nome),
            (self.check_cpf(), self.cpf),
            (self.check_celular(), self.celular),
            (self.check_email(), self.email),
            (self.check_agencia(), self.agencia),
            (self.check_conta(), self.conta),
        ]
        first_bad: _Field | None = None
        for ok, field in checks:
            if not ok:
                if field.text == "" and field is not self.email:
                    field.show(self.tr("Required."), "error")
                first_bad = first_bad or field
        if first_bad is not None:
            first_bad.edit.setFocus()
            return None
        args: dict[str, Any] = {
            "nome_completo": self.nome.text,
            "cpf": self.cpf.text,
            "celular": self.celular.text,
            "documentos": [d.as_arg() for d in self.documents],
        }
        if self.email.text:
            args["email"] = self.email.text
        if self.bank_group.isChecked():
            args["conta_bancaria"] = {
                "banco": str(self.banco.currentData()),
                "agencia": self.agencia.text,
                "conta": self.conta.text,
                "tipo_conta": str(self.tipo_conta.currentData()),
            }
        return args

    def show_errors(self, errors: list[tuple[str, str]]) -> list[str]:
        """Show the worker's validation errors on their fields; returns those without a field."""
        fields = {
            "nome_completo": self.nome,
            "cpf": self.cpf,
            "celular": self.celular,
            "email": self.email,
            "conta_bancaria.agencia": self.agencia,
            "conta_bancaria.conta": self.conta,
        }
        unplaced: list[str] = []
        for path, message in errors:
            field = fields.get(path)
            if field is not None:
                field.show(message, "error")
            elif path.startswith("documentos"):
                self._doc_error(message)
            else:
                unplaced.append(message)
        return unplaced


class ProducerDialog(QtWidgets.QDialog):
    """The form in a dialog; saving posts the intent and waits for the worker's answer.

    ``save(args, correlation_id)`` posts the write and returns its request id; the dialog then
    waits for the matching :class:`~desktop.sync_worker.WriteResult` (:meth:`on_write_finished`).
    """

    saved = Signal(object)  # OutboxEntry

    def __init__(
        self,
        *,
        save: Callable[[dict[str, Any], str], int],
        initial: dict[str, Any] | None = None,
        rejection: str | None = None,
        resubmission_of: int | None = None,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._save = save
        self._pending_request: int | None = None
        if resubmission_of is None:
            self.setWindowTitle(self.tr("New producer"))
        else:
            self.setWindowTitle(
                self.tr("Fix rejected registration (no. %1)").replace("%1", str(resubmission_of))
            )
        self.setWindowIcon(icon("user-add"))
        self.banner = Banner(self)
        if rejection:
            self.banner.show_message(
                self.tr(
                    "The server rejected this registration: %1 Fix the data and send it again."
                ).replace("%1", rejection.rstrip(".") + "."),
                "error",
            )
        intro = QtWidgets.QLabel(
            self.tr(
                "The registration is saved on this computer and sent when there is a connection. "
                "You can close the app meanwhile."
            ),
            self,
        )
        intro.setObjectName("Hint")
        intro.setWordWrap(True)
        self.form = ProducerForm(initial=initial, parent=self)
        scroll = QtWidgets.QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        scroll.setWidget(self.form)

        self.buttons = QtWidgets.QDialogButtonBox(self)
        self.save_button = QtWidgets.QPushButton(self.tr("Save registration"), self)
        self.save_button.setObjectName("Primary")
        self.save_button.setDefault(True)
        self.buttons.addButton(self.save_button, QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        self.status = Banner(self)

        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(intro)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.resize(620, 760)

    @property
    def saving(self) -> bool:
        return self._pending_request is not None

    def submit(self) -> None:
        if self.saving:
            return
        if self.form.reading_documents:
            self.status.show_message(self.tr("Wait: a document is still being read."), "warning")
            return
        args = self.form.collect()
        if args is None:
            self.status.show_message(self.tr("Check the fields marked in red."), "error")
            return
        self.status.show_message(self.tr("Saving…"), "info")
        self.save_button.setEnabled(False)
        self._pending_request = self._save(args, str(uuid.uuid4()))

    def on_write_finished(self, result: WriteResult) -> None:
        if result.request_id != self._pending_request:
            return
        self._pending_request = None
        self.save_button.setEnabled(True)
        if result.ok:
            self.saved.emit(result.entry)
            self.accept()
            return
        unplaced = self.form.show_errors(result.field_errors)
        message = " ".join([*unplaced, *([result.error] if result.error else [])])
        self.status.show_message(message or self.tr("Check the fields marked in red."), "error")

    def reject(self) -> None:
        if self.saving:
            return  # the write is posted: wait for its answer
        super().reject()

    def sizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(620, 760)


INTENT_NAME = PRODUTOR_REGISTRAR.name
