"""The login window: e-mail or CPF and password; in demo mode, one button per demo account.

The window only collects input and shows the outcome. The login itself (HTTP, then the token
into the OS keyring) is a callable the app passes in, run in the background.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from desktop import labels
from desktop.qt import BackgroundOp, Qt, QtCore, QtGui, QtWidgets, Signal, report_bug
from desktop.resources import icon
from desktop.session import LoginError, LoginResult, ServerUnreachableError
from desktop.ui.widgets import Banner


@dataclass(frozen=True)
class DemoEntry:
    email: str
    perfil: str
    nome: str


@dataclass(frozen=True)
class LoginOutcome:
    result: LoginResult
    identifier: str
    keyring_error: str | None  # the token could not be stored in the OS keyring


Authenticate = Callable[[str, str], LoginOutcome]


class LoginWindow(QtWidgets.QWidget):
    logged_in = Signal(object)  # LoginOutcome

    def __init__(
        self,
        *,
        server_url: str,
        authenticate: Authenticate,
        demo_accounts: Sequence[DemoEntry] = (),
        demo_password: str | None = None,
        identifier: str | None = None,
        lock_identifier: bool = False,
        notice: str | None = None,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("LoginWindow")
        self.setWindowTitle(self.tr("Peerseed — Sign in"))
        self.setWindowIcon(icon("logo"))
        self._authenticate = authenticate
        self._demo_password = demo_password
        self._busy = False

        logo = QtWidgets.QLabel(self)
        logo.setPixmap(icon("logo").pixmap(56, 56))
        title = QtWidgets.QLabel("Peerseed", self)
        title.setObjectName("Greeting")
        font = title.font()
        font.setPointSize(font.pointSize() + 8)
        title.setFont(font)
        subtitle = QtWidgets.QLabel(self.tr("Peer-to-peer agricultural credit"), self)
        subtitle.setObjectName("Subtitle")
        brand = QtWidgets.QHBoxLayout()
        brand.addWidget(logo)
        texts = QtWidgets.QVBoxLayout()
        texts.setSpacing(0)
        texts.addWidget(title)
        texts.addWidget(subtitle)
        brand.addLayout(texts, 1)

        self.notice = Banner(self)
        if notice:
            self.notice.show_message(notice, "warning")

        self.identifier = QtWidgets.QLineEdit(self)
        self.identifier.setPlaceholderText(self.tr("name@example.com or 000.000.000-00"))
        self.identifier.setClearButtonEnabled(True)
        if identifier:
            self.identifier.setText(identifier)
        self.identifier.setReadOnly(lock_identifier)
        self.password = QtWidgets.QLineEdit(self)
        self.password.setEchoMode(QtWidgets.QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(self.tr("Your password"))

        form = QtWidgets.QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        form.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow(self.tr("E-mail or CPF"), self.identifier)
        form.addRow(self.tr("Password"), self.password)

        self.error = Banner(self)
        self.submit = QtWidgets.QPushButton(self.tr("Sign in"), self)
        self.submit.setObjectName("Primary")
        self.submit.setDefault(True)
        self.submit.setAutoDefault(True)
        self.submit.clicked.connect(self.attempt)
        self.identifier.returnPressed.connect(self.password.setFocus)
        self.password.returnPressed.connect(self.attempt)

        server = QtWidgets.QLabel(self.tr("Server: %1").replace("%1", server_url), self)
        server.setObjectName("ServerLabel")
        server.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        card = QtWidgets.QFrame(self)
        card.setObjectName("Card")
        card_layout = QtWidgets.QVBoxLayout(card)
        card_layout.setContentsMargins(24, 20, 24, 20)
        card_layout.setSpacing(12)
        card_layout.addLayout(brand)
        card_layout.addWidget(self.notice)
        card_layout.addLayout(form)
        card_layout.addWidget(self.error)
        card_layout.addWidget(self.submit)
        card_layout.addWidget(server)

        self.demo_buttons: list[QtWidgets.QPushButton] = []
        self.demo_box: QtWidgets.QGroupBox | None = None
        if demo_accounts:
            self.demo_box = self._demo_box(demo_accounts)

        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(32, 24, 32, 24)
        outer.setSpacing(16)
        outer.addStretch(1)
        outer.addWidget(card)
        if self.demo_box is not None:
            outer.addWidget(self.demo_box)
        outer.addStretch(1)
        self.setMinimumWidth(460)
        (self.password if identifier else self.identifier).setFocus()

    def _demo_box(self, accounts: Sequence[DemoEntry]) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox(self.tr("Demo accounts"), self)
        layout = QtWidgets.QVBoxLayout(box)
        layout.setSpacing(6)
        hint = QtWidgets.QLabel(
            self.tr("Demo mode: click an account to fill in its e-mail and password."), box
        )
        hint.setObjectName("Hint")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        for account in accounts:
            text = f"{labels.perfil(account.perfil)} — {account.nome}\n{account.email}"
            button = QtWidgets.QPushButton(text, box)
            button.setObjectName("DemoAccount")
            button.setCursor(QtGui.QCursor(Qt.CursorShape.PointingHandCursor))
            button.setProperty("email", account.email)
            button.clicked.connect(lambda _=False, a=account: self.fill(a.email))
            layout.addWidget(button)
            self.demo_buttons.append(button)
        if self._demo_password:
            note = QtWidgets.QLabel(
                self.tr("Password of every demo account: %1").replace("%1", self._demo_password),
                box,
            )
            note.setObjectName("Hint")
            note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(note)
        return box

    def fill(self, email: str) -> None:
        """Fill in a demo account (its password is the demo password)."""
        self.identifier.setText(email)
        self.password.setText(self._demo_password or "")
        self.error.clear_message()
        self.submit.setFocus()

    @property
    def busy(self) -> bool:
        return self._busy

    def attempt(self) -> None:
        if self._busy:
            return
        identifier = self.identifier.text().strip()
        password = self.password.text()
        if not identifier:
            self.error.show_message(self.tr("Enter your e-mail or CPF."), "error")
            self.identifier.setFocus()
            return
        if not password:
            self.error.show_message(self.tr("Enter your password."), "error")
            self.password.setFocus()
            return
        self._set_busy(True)
        self.error.clear_message()
        BackgroundOp(
            self,
            lambda: self._authenticate(identifier, password),
            success=self._on_success,
            failure=self._on_failure,
        ).run()

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.submit.setEnabled(not busy)
        self.submit.setText(self.tr("Signing in…") if busy else self.tr("Sign in"))
        for widget in (self.identifier, self.password, *self.demo_buttons):
            widget.setEnabled(not busy)

    def _on_success(self, outcome: LoginOutcome) -> None:
        self._set_busy(False)
        self.password.clear()
        self.logged_in.emit(outcome)

    def _on_failure(self, exc: BaseException) -> None:
        self._set_busy(False)
        if isinstance(exc, LoginError):
            self.error.show_message(str(exc), "error")
            self.password.selectAll()
            self.password.setFocus()
        elif isinstance(exc, ServerUnreachableError):
            self.error.show_message(
                self.tr("Could not reach the server. Check your connection and try again."),
                "error",
            )
        else:
            self.error.show_message(
                self.tr("Unexpected error while signing in. Please try again."), "error"
            )
            report_bug(exc)

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self.parent() is not None:
            self.close()
            return
        super().keyPressEvent(event)

    def sizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(520, 640 if self.demo_box is not None else 460)
