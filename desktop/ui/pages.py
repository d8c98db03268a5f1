"""The content of the main window, one view per profile, filled from a replica snapshot.

- farmer (AGRICULTOR): my CPRs, installments, wallet;
- investor (INVESTIDOR): wallet, transactions, marketplace, investments;
- field agent (AGENTE_CAMPO): my producers and the "New producer" onboarding form;
- admin (ADMIN): the KYC queue, in a tab container other admin tools add tabs to
  (:meth:`AdminView.add_tab`).

Money is never computed here beyond display sums of what the server sent: balances come from the
wallet row, and a queued intent is shown as pending, never as a changed balance.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from desktop import labels
from desktop.formatting import (
    format_brl,
    format_date,
    format_datetime,
    format_int,
    format_percent,
    format_phone,
    format_usdc,
    parse_date,
    short_id,
)
from desktop.qt import QtCore, QtGui, QtWidgets, Signal
from desktop.replica_queries import (
    BankAccount,
    Cpr,
    Installment,
    Investment,
    Offer,
    Person,
    Snapshot,
    Transaction,
)
from desktop.resources import icon
from desktop.ui.table import CENTER, RIGHT, Column, RecordModel, TablePanel
from desktop.ui.widgets import Card
from shared_models.bank import bank_name


def _ts_key(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def _amount_color(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return "#1b5e20" if value > 0 else ("#b71c1c" if value < 0 else None)


def _status_color(code: str | None) -> str | None:
    return {
        "ATRASADA": "#c62828",
        "INADIMPLENTE": "#c62828",
        "PAGA": "#2e7d32",
        "QUITADO": "#2e7d32",
        "CAPTAÇÃO": "#1565c0",
        "ANALISE_MANUAL": "#8d6e00",
        "PENDENTE": "#8d6e00",
        "REPROVADO": "#c62828",
        "VERIFICADO": "#2e7d32",
    }.get(code or "")


class _ProfileView(QtWidgets.QWidget):
    """Cards on top, tabs below."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.cards = QtWidgets.QHBoxLayout()
        self.cards.setSpacing(10)
        self.tabs = QtWidgets.QTabWidget(self)
        self.tabs.setDocumentMode(False)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(12)
        layout.addLayout(self.cards)
        layout.addWidget(self.tabs, 1)

    def card(self, title: str) -> Card:
        card = Card(title, self)
        self.cards.addWidget(card)
        return card

    def show_snapshot(self, snapshot: Snapshot) -> None:
        raise NotImplementedError


def _section(title: str, widget: QtWidgets.QWidget) -> QtWidgets.QWidget:
    box = QtWidgets.QWidget()
    layout = QtWidgets.QVBoxLayout(box)
    layout.setContentsMargins(8, 8, 8, 8)
    label = QtWidgets.QLabel(title, box)
    label.setObjectName("SectionTitle")
    layout.addWidget(label)
    layout.addWidget(widget, 1)
    return box


def _transactions_panel(view: QtWidgets.QWidget) -> TablePanel[Transaction]:
    columns: list[Column[Transaction]] = [
        Column(
            QtCore.QCoreApplication.translate("Pages", "Date"),
            lambda t: format_datetime(t.data_transacao),
            sort_key=lambda t: _ts_key(t.data_transacao),
        ),
        Column(
            QtCore.QCoreApplication.translate("Pages", "Type"),
            lambda t: labels.transaction_type(t.tipo),
        ),
        Column(
            QtCore.QCoreApplication.translate("Pages", "Description"),
            lambda t: t.descricao or "",
            tooltip=lambda t: t.descricao,
        ),
        Column(
            QtCore.QCoreApplication.translate("Pages", "Amount"),
            lambda t: format_usdc(t.valor_usdc),
            RIGHT,
            sort_key=lambda t: t.valor_usdc,
            color=lambda t: _amount_color(t.valor_usdc),
        ),
        Column(
            QtCore.QCoreApplication.translate("Pages", "Status"),
            lambda t: labels.transaction_status(t.status),
            color=lambda t: _status_color(t.status),
        ),
    ]
    return TablePanel(
        RecordModel(columns, view),
        empty_text=QtCore.QCoreApplication.translate("Pages", "No wallet movements yet."),
        parent=view,
    )


def _bank_panel(view: QtWidgets.QWidget) -> TablePanel[BankAccount]:
    columns: list[Column[BankAccount]] = [
        Column(
            QtCore.QCoreApplication.translate("Pages", "Bank"),
            lambda b: f"{b.banco} — {bank_name(b.banco)}" if b.banco else "—",
        ),
        Column(QtCore.QCoreApplication.translate("Pages", "Branch"), lambda b: b.agencia or "—"),
        Column(QtCore.QCoreApplication.translate("Pages", "Account"), lambda b: b.conta or "—"),
        Column(
            QtCore.QCoreApplication.translate("Pages", "Type"),
            lambda b: labels.account_type(b.tipo_conta),
        ),
        Column(
            QtCore.QCoreApplication.translate("Pages", "Main"),
            lambda b: labels.yes_no(b.is_principal),
            CENTER,
        ),
    ]
    return TablePanel(
        RecordModel(columns, view),
        empty_text=QtCore.QCoreApplication.translate("Pages", "No bank account registered."),
        parent=view,
    )


def _transactions_footer(view: QtWidgets.QWidget, shown: int, total: int) -> str | None:
    if total <= shown:
        return None
    return (
        QtCore.QCoreApplication.translate("Pages", "Showing the %1 most recent of %2 movements.")
        .replace("%1", format_int(shown))
        .replace("%2", format_int(total))
    )


# -- farmer ----------------------------------------------------------------------------------


class FarmerView(_ProfileView):
    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.balance_card = self.card(self.tr("Wallet balance"))
        self.cprs_card = self.card(self.tr("My CPRs"))
        self.next_card = self.card(self.tr("Next installment"))

        cpr_columns: list[Column[Cpr]] = [
            Column(self.tr("CPR"), lambda c: short_id(c.id)),
            Column(
                self.tr("Status"),
                lambda c: labels.cpr_status(c.status),
                color=lambda c: _status_color(c.status),
            ),
            Column(
                self.tr("Amount requested"),
                lambda c: format_brl(c.valor_solicitado_brl),
                RIGHT,
                sort_key=lambda c: c.valor_solicitado_brl,
            ),
            Column(
                self.tr("Rate (p.a.)"),
                lambda c: format_percent(c.taxa_juros_anual),
                RIGHT,
                sort_key=lambda c: c.taxa_juros_anual,
            ),
            Column(
                self.tr("Term"),
                lambda c: self.tr("%1 months").replace("%1", str(c.prazo_meses or 0)),
                RIGHT,
                sort_key=lambda c: c.prazo_meses,
            ),
            Column(self.tr("Risk"), lambda c: c.score_risco or "—", CENTER),
            Column(
                self.tr("Quotas sold"),
                lambda c: (
                    self.tr("%1 of %2")
                    .replace("%1", format_int(c.cotas_vendidas))
                    .replace("%2", format_int(c.total_cotas))
                ),
                RIGHT,
                sort_key=lambda c: c.cotas_vendidas,
            ),
            Column(
                self.tr("Installments paid"),
                lambda c: (
                    self.tr("%1 of %2")
                    .replace("%1", str(c.parcelas_pagas))
                    .replace("%2", str(c.parcelas_total))
                    if c.parcelas_total
                    else "—"
                ),
                RIGHT,
                sort_key=lambda c: c.parcelas_pagas,
            ),
            Column(self.tr("Issued on"), lambda c: format_date(c.data_emissao)),
            Column(self.tr("Final maturity"), lambda c: format_date(c.data_vencimento_final)),
        ]
        self.cprs = TablePanel(
            RecordModel(cpr_columns, self),
            empty_text=self.tr("You have no CPR yet."),
            parent=self,
        )
        inst_columns: list[Column[Installment]] = [
            Column(self.tr("CPR"), lambda p: short_id(p.cpr_id)),
            Column(
                self.tr("No."), lambda p: str(p.numero or "—"), RIGHT, sort_key=lambda p: p.numero
            ),
            Column(
                self.tr("Due date"),
                lambda p: format_date(p.data_vencimento),
                sort_key=lambda p: p.data_vencimento or "",
            ),
            Column(
                self.tr("Principal"),
                lambda p: format_brl(p.principal_brl),
                RIGHT,
                sort_key=lambda p: p.principal_brl,
            ),
            Column(
                self.tr("Interest"),
                lambda p: format_brl(p.juros_brl),
                RIGHT,
                sort_key=lambda p: p.juros_brl,
            ),
            Column(
                self.tr("Total"),
                lambda p: format_brl(p.total_brl),
                RIGHT,
                sort_key=lambda p: p.total_brl,
            ),
            Column(
                self.tr("Status"),
                lambda p: labels.parcela_status(p.status),
                color=lambda p: _status_color(p.status),
            ),
            Column(self.tr("Paid on"), lambda p: format_date(p.data_pagamento)),
        ]
        self.installments = TablePanel(
            RecordModel(inst_columns, self),
            empty_text=self.tr("No installments: they are scheduled when a CPR is funded."),
            parent=self,
        )
        self.transactions = _transactions_panel(self)
        self.banks = _bank_panel(self)
        wallet = QtWidgets.QSplitter(self)
        wallet.setOrientation(QtGui.Qt.Orientation.Vertical)
        wallet.addWidget(_section(self.tr("Movements"), self.transactions))
        wallet.addWidget(_section(self.tr("Bank accounts"), self.banks))
        wallet.setSizes([400, 140])
        self.tabs.addTab(self.cprs, icon("document"), self.tr("My CPRs"))
        self.tabs.addTab(self.installments, icon("pending"), self.tr("Installments"))
        self.tabs.addTab(wallet, icon("wallet"), self.tr("Wallet"))

    def show_snapshot(self, snapshot: Snapshot) -> None:
        wallet = snapshot.wallet
        self.balance_card.set(
            format_usdc(wallet.saldo_usdc if wallet else None),
            self.tr("Blocked: %1").replace("%1", format_usdc(wallet.saldo_bloqueado_usdc))
            if wallet and wallet.saldo_bloqueado_usdc
            else None,
        )
        active = [c for c in snapshot.cprs if c.status not in ("QUITADO",)]
        self.cprs_card.set(
            format_int(len(snapshot.cprs)),
            self.tr("%1 in progress").replace("%1", format_int(len(active))) if active else None,
        )
        today = datetime.now(UTC).date()
        upcoming = [
            p
            for p in snapshot.installments
            if p.status in ("PENDENTE", "ATRASADA") and parse_date(p.data_vencimento)
        ]
        if upcoming:
            nxt = min(upcoming, key=lambda p: p.data_vencimento or "")
            due = parse_date(nxt.data_vencimento)
            note = self.tr("due on %1").replace("%1", format_date(nxt.data_vencimento))
            if due is not None and due < today:
                note = self.tr("overdue since %1").replace("%1", format_date(nxt.data_vencimento))
            self.next_card.set(format_brl(nxt.total_brl), note)
        else:
            self.next_card.set("—", self.tr("nothing to pay"))
        self.cprs.model.set_rows(snapshot.cprs)
        self.installments.model.set_rows(snapshot.installments)
        self.transactions.model.set_rows(snapshot.transactions.rows)
        self.transactions.set_footer(
            _transactions_footer(self, len(snapshot.transactions.rows), snapshot.transactions.total)
        )
        self.banks.model.set_rows(snapshot.bank_accounts)


# -- investor --------------------------------------------------------------------------------


class InvestorView(_ProfileView):
    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.available_card = self.card(self.tr("Available balance"))
        self.invested_card = self.card(self.tr("Invested"))
        self.market_card = self.card(self.tr("Open opportunities"))

        # Wallet: balances and bank accounts
        wallet = QtWidgets.QWidget(self)
        form = QtWidgets.QFormLayout()
        self.total_label = QtWidgets.QLabel("—", wallet)
        self.blocked_label = QtWidgets.QLabel("—", wallet)
        self.available_label = QtWidgets.QLabel("—", wallet)
        self.updated_label = QtWidgets.QLabel("—", wallet)
        form.addRow(self.tr("Total balance"), self.total_label)
        form.addRow(self.tr("Blocked by pending operations"), self.blocked_label)
        form.addRow(self.tr("Available"), self.available_label)
        form.addRow(self.tr("Updated on"), self.updated_label)
        self.banks = _bank_panel(self)
        wlayout = QtWidgets.QVBoxLayout(wallet)
        wlayout.setContentsMargins(12, 12, 12, 12)
        wlayout.addLayout(form)
        wlayout.addWidget(_section(self.tr("Bank accounts for Pix"), self.banks), 1)

        self.transactions = _transactions_panel(self)

        market_columns: list[Column[Cpr]] = [
            Column(self.tr("CPR"), lambda c: short_id(c.id)),
            Column(self.tr("Risk"), lambda c: c.score_risco or "—", CENTER),
            Column(
                self.tr("Rate (p.a.)"),
                lambda c: format_percent(c.taxa_juros_anual),
                RIGHT,
                sort_key=lambda c: c.taxa_juros_anual,
            ),
            Column(
                self.tr("Term"),
                lambda c: self.tr("%1 months").replace("%1", str(c.prazo_meses or 0)),
                RIGHT,
                sort_key=lambda c: c.prazo_meses,
            ),
            Column(
                self.tr("Amount requested"),
                lambda c: format_brl(c.valor_solicitado_brl),
                RIGHT,
                sort_key=lambda c: c.valor_solicitado_brl,
            ),
            Column(
                self.tr("Quota price"),
                lambda c: format_usdc(c.valor_por_cota_usdc),
                RIGHT,
                sort_key=lambda c: c.valor_por_cota_usdc,
            ),
            Column(
                self.tr("Quotas available"),
                lambda c: (
                    self.tr("%1 of %2")
                    .replace("%1", format_int(c.cotas_disponiveis))
                    .replace("%2", format_int(c.total_cotas))
                ),
                RIGHT,
                sort_key=lambda c: c.cotas_disponiveis,
            ),
            Column(
                self.tr("Listed on"),
                lambda c: format_date(c.data_criacao),
                sort_key=lambda c: _ts_key(c.data_criacao),
            ),
        ]
        self.market = TablePanel(
            RecordModel(market_columns, self),
            empty_text=self.tr("No CPR is raising funds right now."),
            parent=self,
        )
        offer_columns: list[Column[Offer]] = [
            Column(self.tr("CPR"), lambda o: short_id(o.cpr_id)),
            Column(self.tr("Risk"), lambda o: o.score_risco or "—", CENTER),
            Column(self.tr("Rate (p.a.)"), lambda o: format_percent(o.taxa_juros_anual), RIGHT),
            Column(
                self.tr("Quotas"),
                lambda o: format_int(o.quantidade_cotas),
                RIGHT,
                sort_key=lambda o: o.quantidade_cotas,
            ),
            Column(
                self.tr("Price per quota"),
                lambda o: format_usdc(o.preco_por_cota_usdc),
                RIGHT,
                sort_key=lambda o: o.preco_por_cota_usdc,
            ),
            Column(self.tr("Status"), lambda o: labels.offer_status(o.status)),
            Column(
                self.tr("Mine"),
                lambda o: self.tr("My offer") if o.propria else "",
            ),
        ]
        self.offers = TablePanel(
            RecordModel(offer_columns, self),
            empty_text=self.tr("No quota is on sale on the secondary market."),
            parent=self,
        )
        market = QtWidgets.QSplitter(self)
        market.setOrientation(QtGui.Qt.Orientation.Vertical)
        market.addWidget(_section(self.tr("CPRs raising funds"), self.market))
        market.addWidget(_section(self.tr("Secondary market"), self.offers))

        inv_columns: list[Column[Investment]] = [
            Column(self.tr("CPR"), lambda i: short_id(i.cpr_id)),
            Column(
                self.tr("Quotas"),
                lambda i: format_int(i.quantidade_cotas),
                RIGHT,
                sort_key=lambda i: i.quantidade_cotas,
            ),
            Column(
                self.tr("Quota price paid"),
                lambda i: format_usdc(i.valor_cota_compra_usdc),
                RIGHT,
                sort_key=lambda i: i.valor_cota_compra_usdc,
            ),
            Column(
                self.tr("Total invested"),
                lambda i: format_usdc(i.total_usdc),
                RIGHT,
                sort_key=lambda i: i.total_usdc,
            ),
            Column(self.tr("Rate (p.a.)"), lambda i: format_percent(i.taxa_juros_anual), RIGHT),
            Column(self.tr("Risk"), lambda i: i.score_risco or "—", CENTER),
            Column(
                self.tr("CPR status"),
                lambda i: labels.cpr_status(i.cpr_status),
                color=lambda i: _status_color(i.cpr_status),
            ),
            Column(self.tr("Investment"), lambda i: labels.investment_status(i.status)),
            Column(
                self.tr("Date"),
                lambda i: format_date(i.data_investimento),
                sort_key=lambda i: _ts_key(i.data_investimento),
            ),
        ]
        self.investments = TablePanel(
            RecordModel(inv_columns, self),
            empty_text=self.tr("You have not invested yet. See the marketplace."),
            parent=self,
        )
        self.tabs.addTab(wallet, icon("wallet"), self.tr("Wallet"))
        self.tabs.addTab(self.transactions, icon("pending"), self.tr("Transactions"))
        self.tabs.addTab(market, icon("logo"), self.tr("Marketplace"))
        self.tabs.addTab(self.investments, icon("document"), self.tr("Investments"))

    def show_snapshot(self, snapshot: Snapshot) -> None:
        wallet = snapshot.wallet
        self.available_card.set(
            format_usdc(wallet.disponivel_usdc if wallet else None),
            self.tr("Blocked: %1").replace("%1", format_usdc(wallet.saldo_bloqueado_usdc))
            if wallet and wallet.saldo_bloqueado_usdc
            else None,
        )
        active = [i for i in snapshot.investments if i.status == "ATIVO"]
        invested = sum((i.total_usdc or Decimal(0) for i in active), Decimal(0))
        self.invested_card.set(
            format_usdc(invested),
            self.tr("%1 active investments").replace("%1", format_int(len(active))),
        )
        open_offers = [o for o in snapshot.offers if o.status == "ABERTA" and not o.propria]
        self.market_card.set(
            format_int(len(snapshot.marketplace)),
            self.tr("%1 offers on the secondary market").replace(
                "%1", format_int(len(open_offers))
            ),
        )
        self.total_label.setText(format_usdc(wallet.saldo_usdc if wallet else None))
        self.blocked_label.setText(format_usdc(wallet.saldo_bloqueado_usdc if wallet else None))
        self.available_label.setText(format_usdc(wallet.disponivel_usdc if wallet else None))
        self.updated_label.setText(format_datetime(wallet.data_atualizacao if wallet else None))
        self.banks.model.set_rows(snapshot.bank_accounts)
        self.transactions.model.set_rows(snapshot.transactions.rows)
        self.transactions.set_footer(
            _transactions_footer(self, len(snapshot.transactions.rows), snapshot.transactions.total)
        )
        self.market.model.set_rows(snapshot.marketplace)
        self.offers.model.set_rows(snapshot.offers)
        self.investments.model.set_rows(snapshot.investments)


# -- field agent -----------------------------------------------------------------------------


def _people_columns(view: QtWidgets.QWidget, *, admin: bool) -> list[Column[Person]]:
    columns: list[Column[Person]] = [
        Column(
            QtCore.QCoreApplication.translate("Pages", "Name"), lambda p: p.nome_completo or "—"
        ),
    ]
    if admin:
        columns.append(
            Column(
                QtCore.QCoreApplication.translate("Pages", "Profile"),
                lambda p: labels.perfil(p.perfil),
            )
        )
    columns += [
        Column(QtCore.QCoreApplication.translate("Pages", "CPF"), lambda p: p.cpf_mascarado or "—"),
        Column(
            QtCore.QCoreApplication.translate("Pages", "Mobile"), lambda p: format_phone(p.celular)
        ),
        Column(QtCore.QCoreApplication.translate("Pages", "E-mail"), lambda p: p.email or "—"),
        Column(
            QtCore.QCoreApplication.translate("Pages", "KYC"),
            lambda p: (
                labels.kyc_status(p.status_kyc)
                if p.pending_seq is None
                else QtCore.QCoreApplication.translate("Pages", "Waiting to be sent")
            ),
            color=lambda p: _status_color(p.status_kyc) if p.pending_seq is None else "#8d6e00",
        ),
    ]
    if not admin:
        columns += [
            Column(
                QtCore.QCoreApplication.translate("Pages", "Account activated"),
                lambda p: labels.yes_no(p.ativado) if p.pending_seq is None else "—",
                CENTER,
            ),
            Column(
                QtCore.QCoreApplication.translate("Pages", "Documents"),
                lambda p: str(p.documentos),
                RIGHT,
                sort_key=lambda p: p.documentos,
            ),
        ]
    columns.append(
        Column(
            QtCore.QCoreApplication.translate("Pages", "Registered on")
            if not admin
            else QtCore.QCoreApplication.translate("Pages", "Waiting since"),
            lambda p: format_date(p.data_criacao),
            sort_key=lambda p: _ts_key(p.data_criacao),
        )
    )
    return columns


class AgentView(_ProfileView):
    new_producer_requested = Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.producers_card = self.card(self.tr("Producers registered"))
        self.waiting_card = self.card(self.tr("Waiting to be sent"))
        self.verified_card = self.card(self.tr("KYC verified"))

        page = QtWidgets.QWidget(self)
        self.new_button = QtWidgets.QPushButton(icon("user-add"), self.tr("New producer"), page)
        self.new_button.setObjectName("Primary")
        self.new_button.clicked.connect(self.new_producer_requested)
        hint = QtWidgets.QLabel(
            self.tr(
                "Registrations are saved on this computer and sent when there is a connection."
            ),
            page,
        )
        hint.setObjectName("Hint")
        bar = QtWidgets.QHBoxLayout()
        bar.addWidget(hint, 1)
        bar.addWidget(self.new_button)
        self.producers = TablePanel(
            RecordModel(
                _people_columns(self, admin=False), self, italic=lambda p: p.pending_seq is not None
            ),
            empty_text=self.tr('No producer yet. Click "New producer" to register one.'),
            parent=page,
        )
        layout = QtWidgets.QVBoxLayout(page)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(bar)
        layout.addWidget(self.producers, 1)
        self.tabs.addTab(page, icon("user-add"), self.tr("My producers"))

    def show_snapshot(self, snapshot: Snapshot) -> None:
        synced = [p for p in snapshot.producers if p.pending_seq is None]
        waiting = [p for p in snapshot.producers if p.pending_seq is not None]
        self.producers_card.set(format_int(len(synced)))
        self.waiting_card.set(
            format_int(len(waiting)),
            self.tr("%1 rejected to fix").replace("%1", format_int(snapshot.summary.rejected))
            if snapshot.summary.rejected
            else None,
        )
        verified = [p for p in synced if p.status_kyc == "VERIFICADO"]
        self.verified_card.set(format_int(len(verified)))
        self.producers.model.set_rows(snapshot.producers)


# -- admin -----------------------------------------------------------------------------------


class AdminView(_ProfileView):
    """The KYC queue, in a tab container meant to grow: see :meth:`add_tab`."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.queue_card = self.card(self.tr("KYC queue"))
        self.manual_card = self.card(self.tr("Manual review"))
        self.oldest_card = self.card(self.tr("Oldest request"))
        self.kyc = TablePanel(
            RecordModel(_people_columns(self, admin=True), self),
            empty_text=self.tr("The KYC queue is empty."),
            parent=self,
        )
        self.tabs.addTab(self.kyc, icon("document"), self.tr("KYC queue"))

    def add_tab(
        self, widget: QtWidgets.QWidget, title: str, tab_icon: QtGui.QIcon | None = None
    ) -> int:
        """Add an admin tool (e.g. the observability dashboard) as a tab; returns its index.

        The widget is reparented to the tab container and owned by it from then on.
        """
        if tab_icon is None:
            return self.tabs.addTab(widget, title)
        return self.tabs.addTab(widget, tab_icon, title)

    def show_snapshot(self, snapshot: Snapshot) -> None:
        queue = snapshot.kyc_queue
        self.queue_card.set(format_int(len(queue)))
        manual = [p for p in queue if p.status_kyc == "ANALISE_MANUAL"]
        self.manual_card.set(format_int(len(manual)))
        dated = [p.data_criacao for p in queue if p.data_criacao]
        if dated:
            oldest = min(dated)
            days = (datetime.now(UTC) - oldest).days
            self.oldest_card.set(
                format_date(oldest), self.tr("waiting for %1 days").replace("%1", str(days))
            )
        else:
            self.oldest_card.set("—")
        self.kyc.model.set_rows(queue)
