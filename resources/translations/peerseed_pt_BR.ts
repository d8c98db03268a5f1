<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="pt_BR" sourcelanguage="en">
<context>
    <name>AdminView</name>
    <message>
        <source>KYC queue</source>
        <translation>Fila de KYC</translation>
    </message>
    <message>
        <source>Manual review</source>
        <translation>Análise manual</translation>
    </message>
    <message>
        <source>Oldest request</source>
        <translation>Pedido mais antigo</translation>
    </message>
    <message>
        <source>The KYC queue is empty.</source>
        <translation>A fila de KYC está vazia.</translation>
    </message>
    <message>
        <source>waiting for %1 days</source>
        <translation>aguardando há %1 dias</translation>
    </message>
</context>
<context>
    <name>AgentView</name>
    <message>
        <source>Producers registered</source>
        <translation>Produtores cadastrados</translation>
    </message>
    <message>
        <source>Waiting to be sent</source>
        <translation>Aguardando envio</translation>
    </message>
    <message>
        <source>KYC verified</source>
        <translation>KYC verificado</translation>
    </message>
    <message>
        <source>New producer</source>
        <translation>Novo produtor</translation>
    </message>
    <message>
        <source>Registrations are saved on this computer and sent when there is a connection.</source>
        <translation>Os cadastros ficam salvos neste computador e são enviados quando houver conexão.</translation>
    </message>
    <message>
        <source>No producer yet. Click &quot;New producer&quot; to register one.</source>
        <translation>Nenhum produtor ainda. Clique em &quot;Novo produtor&quot; para cadastrar.</translation>
    </message>
    <message>
        <source>My producers</source>
        <translation>Meus produtores</translation>
    </message>
    <message>
        <source>%1 rejected to fix</source>
        <translation>%1 rejeitado(s) para corrigir</translation>
    </message>
</context>
<context>
    <name>FarmerView</name>
    <message>
        <source>Wallet balance</source>
        <translation>Saldo da carteira</translation>
    </message>
    <message>
        <source>My CPRs</source>
        <translation>Minhas CPRs</translation>
    </message>
    <message>
        <source>Next installment</source>
        <translation>Próxima parcela</translation>
    </message>
    <message>
        <source>CPR</source>
        <translation>CPR</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Situação</translation>
    </message>
    <message>
        <source>Amount requested</source>
        <translation>Valor solicitado</translation>
    </message>
    <message>
        <source>Rate (p.a.)</source>
        <translation>Taxa (a.a.)</translation>
    </message>
    <message>
        <source>Term</source>
        <translation>Prazo</translation>
    </message>
    <message>
        <source>%1 months</source>
        <translation>%1 meses</translation>
    </message>
    <message>
        <source>Risk</source>
        <translation>Risco</translation>
    </message>
    <message>
        <source>Quotas sold</source>
        <translation>Cotas vendidas</translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation>%1 de %2</translation>
    </message>
    <message>
        <source>Installments paid</source>
        <translation>Parcelas pagas</translation>
    </message>
    <message>
        <source>Issued on</source>
        <translation>Emissão</translation>
    </message>
    <message>
        <source>Final maturity</source>
        <translation>Vencimento final</translation>
    </message>
    <message>
        <source>You have no CPR yet.</source>
        <translation>Você ainda não tem CPRs.</translation>
    </message>
    <message>
        <source>No.</source>
        <translation>Nº</translation>
    </message>
    <message>
        <source>Due date</source>
        <translation>Vencimento</translation>
    </message>
    <message>
        <source>Principal</source>
        <translation>Principal</translation>
    </message>
    <message>
        <source>Interest</source>
        <translation>Juros</translation>
    </message>
    <message>
        <source>Total</source>
        <translation>Total</translation>
    </message>
    <message>
        <source>Paid on</source>
        <translation>Pago em</translation>
    </message>
    <message>
        <source>No installments: they are scheduled when a CPR is funded.</source>
        <translation>Nenhuma parcela: elas são geradas quando uma CPR é financiada.</translation>
    </message>
    <message>
        <source>Movements</source>
        <translation>Movimentações</translation>
    </message>
    <message>
        <source>Bank accounts</source>
        <translation>Contas bancárias</translation>
    </message>
    <message>
        <source>Installments</source>
        <translation>Parcelas</translation>
    </message>
    <message>
        <source>Wallet</source>
        <translation>Carteira</translation>
    </message>
    <message>
        <source>Blocked: %1</source>
        <translation>Bloqueado: %1</translation>
    </message>
    <message>
        <source>%1 in progress</source>
        <translation>%1 em andamento</translation>
    </message>
    <message>
        <source>due on %1</source>
        <translation>vence em %1</translation>
    </message>
    <message>
        <source>overdue since %1</source>
        <translation>atrasada desde %1</translation>
    </message>
    <message>
        <source>nothing to pay</source>
        <translation>nada a pagar</translation>
    </message>
</context>
<context>
    <name>InvestorView</name>
    <message>
        <source>Available balance</source>
        <translation>Saldo disponível</translation>
    </message>
    <message>
        <source>Invested</source>
        <translation>Investido</translation>
    </message>
    <message>
        <source>Open opportunities</source>
        <translation>Oportunidades abertas</translation>
    </message>
    <message>
        <source>Total balance</source>
        <translation>Saldo total</translation>
    </message>
    <message>
        <source>Blocked by pending operations</source>
        <translation>Bloqueado por operações pendentes</translation>
    </message>
    <message>
        <source>Available</source>
        <translation>Disponível</translation>
    </message>
    <message>
        <source>Updated on</source>
        <translation>Atualizado em</translation>
    </message>
    <message>
        <source>Bank accounts for Pix</source>
        <translation>Contas bancárias para Pix</translation>
    </message>
    <message>
        <source>CPR</source>
        <translation>CPR</translation>
    </message>
    <message>
        <source>Risk</source>
        <translation>Risco</translation>
    </message>
    <message>
        <source>Rate (p.a.)</source>
        <translation>Taxa (a.a.)</translation>
    </message>
    <message>
        <source>Term</source>
        <translation>Prazo</translation>
    </message>
    <message>
        <source>%1 months</source>
        <translation>%1 meses</translation>
    </message>
    <message>
        <source>Amount requested</source>
        <translation>Valor solicitado</translation>
    </message>
    <message>
        <source>Quota price</source>
        <translation>Valor da cota</translation>
    </message>
    <message>
        <source>Quotas available</source>
        <translation>Cotas disponíveis</translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation>%1 de %2</translation>
    </message>
    <message>
        <source>Listed on</source>
        <translation>Publicada em</translation>
    </message>
    <message>
        <source>No CPR is raising funds right now.</source>
        <translation>Nenhuma CPR em captação no momento.</translation>
    </message>
    <message>
        <source>Quotas</source>
        <translation>Cotas</translation>
    </message>
    <message>
        <source>Price per quota</source>
        <translation>Preço por cota</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Situação</translation>
    </message>
    <message>
        <source>Mine</source>
        <translation>Minha</translation>
    </message>
    <message>
        <source>My offer</source>
        <translation>Minha oferta</translation>
    </message>
    <message>
        <source>No quota is on sale on the secondary market.</source>
        <translation>Nenhuma cota à venda no mercado secundário.</translation>
    </message>
    <message>
        <source>CPRs raising funds</source>
        <translation>CPRs em captação</translation>
    </message>
    <message>
        <source>Secondary market</source>
        <translation>Mercado secundário</translation>
    </message>
    <message>
        <source>Quota price paid</source>
        <translation>Valor pago por cota</translation>
    </message>
    <message>
        <source>Total invested</source>
        <translation>Total investido</translation>
    </message>
    <message>
        <source>CPR status</source>
        <translation>Situação da CPR</translation>
    </message>
    <message>
        <source>Investment</source>
        <translation>Investimento</translation>
    </message>
    <message>
        <source>Date</source>
        <translation>Data</translation>
    </message>
    <message>
        <source>You have not invested yet. See the marketplace.</source>
        <translation>Você ainda não investiu. Veja o marketplace.</translation>
    </message>
    <message>
        <source>Wallet</source>
        <translation>Carteira</translation>
    </message>
    <message>
        <source>Transactions</source>
        <translation>Transações</translation>
    </message>
    <message>
        <source>Marketplace</source>
        <translation>Marketplace</translation>
    </message>
    <message>
        <source>Investments</source>
        <translation>Investimentos</translation>
    </message>
    <message>
        <source>Blocked: %1</source>
        <translation>Bloqueado: %1</translation>
    </message>
    <message>
        <source>%1 active investments</source>
        <translation>%1 investimentos ativos</translation>
    </message>
    <message>
        <source>%1 offers on the secondary market</source>
        <translation>%1 ofertas no mercado secundário</translation>
    </message>
</context>
<context>
    <name>Labels</name>
    <message>
        <source>Farmer</source>
        <translation>Agricultor</translation>
    </message>
    <message>
        <source>Investor</source>
        <translation>Investidor</translation>
    </message>
    <message>
        <source>Field agent</source>
        <translation>Agente de campo</translation>
    </message>
    <message>
        <source>Administrator</source>
        <translation>Administrador</translation>
    </message>
    <message>
        <source>In analysis</source>
        <translation>Em análise</translation>
    </message>
    <message>
        <source>Fundraising</source>
        <translation>Em captação</translation>
    </message>
    <message>
        <source>Funded</source>
        <translation>Financiada</translation>
    </message>
    <message>
        <source>Repaying</source>
        <translation>Em pagamento</translation>
    </message>
    <message>
        <source>Paid off</source>
        <translation>Quitada</translation>
    </message>
    <message>
        <source>In default</source>
        <translation>Inadimplente</translation>
    </message>
    <message>
        <source>Open</source>
        <comment>installment</comment>
        <translation>A vencer</translation>
    </message>
    <message>
        <source>Paid</source>
        <comment>installment</comment>
        <translation>Paga</translation>
    </message>
    <message>
        <source>Overdue</source>
        <comment>installment</comment>
        <translation>Atrasada</translation>
    </message>
    <message>
        <source>Pending</source>
        <comment>kyc</comment>
        <translation>Pendente</translation>
    </message>
    <message>
        <source>Verified</source>
        <comment>kyc</comment>
        <translation>Verificado</translation>
    </message>
    <message>
        <source>Rejected</source>
        <comment>kyc</comment>
        <translation>Reprovado</translation>
    </message>
    <message>
        <source>Manual review</source>
        <comment>kyc</comment>
        <translation>Análise manual</translation>
    </message>
    <message>
        <source>Pix deposit</source>
        <translation>Depósito Pix</translation>
    </message>
    <message>
        <source>Crypto deposit</source>
        <translation>Depósito cripto</translation>
    </message>
    <message>
        <source>Pix withdrawal</source>
        <translation>Saque Pix</translation>
    </message>
    <message>
        <source>Crypto withdrawal</source>
        <translation>Saque cripto</translation>
    </message>
    <message>
        <source>Investment (primary)</source>
        <translation>Investimento (primário)</translation>
    </message>
    <message>
        <source>Investment (secondary market)</source>
        <translation>Investimento (mercado secundário)</translation>
    </message>
    <message>
        <source>Installment received</source>
        <translation>Recebimento de parcela</translation>
    </message>
    <message>
        <source>Sale on the secondary market</source>
        <translation>Venda no mercado secundário</translation>
    </message>
    <message>
        <source>Platform fee</source>
        <translation>Taxa da plataforma</translation>
    </message>
    <message>
        <source>Pending</source>
        <comment>transaction</comment>
        <translation>Pendente</translation>
    </message>
    <message>
        <source>Completed</source>
        <comment>transaction</comment>
        <translation>Concluída</translation>
    </message>
    <message>
        <source>Failed</source>
        <comment>transaction</comment>
        <translation>Falhou</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <comment>transaction</comment>
        <translation>Cancelada</translation>
    </message>
    <message>
        <source>Active</source>
        <comment>investment</comment>
        <translation>Ativo</translation>
    </message>
    <message>
        <source>Sold</source>
        <comment>investment</comment>
        <translation>Vendido</translation>
    </message>
    <message>
        <source>Finished</source>
        <comment>investment</comment>
        <translation>Finalizado</translation>
    </message>
    <message>
        <source>Open</source>
        <comment>offer</comment>
        <translation>Aberta</translation>
    </message>
    <message>
        <source>Sold</source>
        <comment>offer</comment>
        <translation>Vendida</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <comment>offer</comment>
        <translation>Cancelada</translation>
    </message>
    <message>
        <source>Checking account</source>
        <translation>Conta corrente</translation>
    </message>
    <message>
        <source>Savings account</source>
        <translation>Conta poupança</translation>
    </message>
    <message>
        <source>Identity card (RG)</source>
        <translation>Carteira de identidade (RG)</translation>
    </message>
    <message>
        <source>Driver&apos;s licence (CNH)</source>
        <translation>Carteira de motorista (CNH)</translation>
    </message>
    <message>
        <source>CPF card</source>
        <translation>Cartão do CPF</translation>
    </message>
    <message>
        <source>Proof of address</source>
        <translation>Comprovante de residência</translation>
    </message>
    <message>
        <source>Selfie with document</source>
        <translation>Selfie com documento</translation>
    </message>
    <message>
        <source>Other document</source>
        <translation>Outro documento</translation>
    </message>
    <message>
        <source>Producer registration</source>
        <translation>Cadastro de produtor</translation>
    </message>
    <message>
        <source>Queued</source>
        <comment>intent</comment>
        <translation>Na fila</translation>
    </message>
    <message>
        <source>Sent, awaiting result</source>
        <comment>intent</comment>
        <translation>Enviada, aguardando resultado</translation>
    </message>
    <message>
        <source>Applied</source>
        <comment>intent</comment>
        <translation>Aplicada</translation>
    </message>
    <message>
        <source>Rejected</source>
        <comment>intent</comment>
        <translation>Rejeitada</translation>
    </message>
    <message>
        <source>Yes</source>
        <translation>Sim</translation>
    </message>
    <message>
        <source>No</source>
        <translation>Não</translation>
    </message>
</context>
<context>
    <name>LoginWindow</name>
    <message>
        <source>Peerseed — Sign in</source>
        <translation>Peerseed — Entrar</translation>
    </message>
    <message>
        <source>Peer-to-peer agricultural credit</source>
        <translation>Crédito agrícola entre pessoas</translation>
    </message>
    <message>
        <source>name@example.com or 000.000.000-00</source>
        <translation>nome@exemplo.com.br ou 000.000.000-00</translation>
    </message>
    <message>
        <source>Your password</source>
        <translation>Sua senha</translation>
    </message>
    <message>
        <source>E-mail or CPF</source>
        <translation>E-mail ou CPF</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>Senha</translation>
    </message>
    <message>
        <source>Sign in</source>
        <translation>Entrar</translation>
    </message>
    <message>
        <source>Server: %1</source>
        <translation>Servidor: %1</translation>
    </message>
    <message>
        <source>Demo accounts</source>
        <translation>Contas de demonstração</translation>
    </message>
    <message>
        <source>Demo mode: click an account to fill in its e-mail and password.</source>
        <translation>Modo de demonstração: clique em uma conta para preencher o e-mail e a senha.</translation>
    </message>
    <message>
        <source>Password of every demo account: %1</source>
        <translation>Senha de todas as contas de demonstração: %1</translation>
    </message>
    <message>
        <source>Enter your e-mail or CPF.</source>
        <translation>Informe o e-mail ou o CPF.</translation>
    </message>
    <message>
        <source>Enter your password.</source>
        <translation>Informe a senha.</translation>
    </message>
    <message>
        <source>Signing in…</source>
        <translation>Entrando…</translation>
    </message>
    <message>
        <source>Could not reach the server. Check your connection and try again.</source>
        <translation>Não foi possível falar com o servidor. Verifique a conexão e tente novamente.</translation>
    </message>
    <message>
        <source>Unexpected error while signing in. Please try again.</source>
        <translation>Erro inesperado ao entrar. Tente novamente.</translation>
    </message>
</context>
<context>
    <name>Main</name>
    <message>
        <source>An unexpected error occurred. Your data is safe; if it happens again, please report it with the details below.</source>
        <translation>Ocorreu um erro inesperado. Seus dados estão seguros; se acontecer de novo, informe o suporte com os detalhes abaixo.</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Pending and rejected</source>
        <translation>Pendentes e rejeitadas</translation>
    </message>
    <message>
        <source>Peerseed — %1 (%2)</source>
        <translation>Peerseed — %1 (%2)</translation>
    </message>
    <message>
        <source>Hello, %1</source>
        <translation>Olá, %1</translation>
    </message>
    <message>
        <source>Sync now</source>
        <translation>Sincronizar agora</translation>
    </message>
    <message>
        <source>Sign out</source>
        <translation>Sair da conta</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>Fechar</translation>
    </message>
    <message>
        <source>Main</source>
        <translation>Principal</translation>
    </message>
    <message>
        <source>New producer</source>
        <translation>Novo produtor</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Arquivo</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Exibir</translation>
    </message>
    <message>
        <source>KYC: %1</source>
        <translation>KYC: %1</translation>
    </message>
    <message>
        <source>Could not read the local data: %1</source>
        <translation>Não foi possível ler os dados locais: %1</translation>
    </message>
    <message>
        <source>Could not open the local data of this account: %1</source>
        <translation>Não foi possível abrir os dados locais desta conta: %1</translation>
    </message>
    <message>
        <source>Sign in again to sync. Meanwhile you see the data of the last sync and your actions are saved on this computer.</source>
        <translation>Entre novamente para sincronizar. Enquanto isso, você vê os dados da última sincronização e suas ações ficam salvas neste computador.</translation>
    </message>
    <message>
        <source>This version of the app is no longer accepted by the server: update it.</source>
        <translation>Esta versão do aplicativo não é mais aceita pelo servidor: atualize-o.</translation>
    </message>
    <message>
        <source>You are offline and this account has not been synced yet.</source>
        <translation>Você está offline e esta conta ainda não foi sincronizada.</translation>
    </message>
    <message>
        <source>You are offline. Showing the data of the last sync (%1); your actions are saved and sent when the connection returns.</source>
        <translation>Você está offline. Mostrando os dados da última sincronização (%1); suas ações ficam salvas e são enviadas quando a conexão voltar.</translation>
    </message>
    <message>
        <source>%1 rejected: %2 Open &quot;Pending and rejected&quot; to fix it.</source>
        <translation>%1 rejeitado: %2 Abra &quot;Pendentes e rejeitadas&quot; para corrigir.</translation>
    </message>
    <message>
        <source>%1 action(s) applied by the server.</source>
        <translation>%1 ação(ões) aplicada(s) pelo servidor.</translation>
    </message>
    <message>
        <source>Registration of %1 saved (no. %2). It is sent when there is a connection.</source>
        <translation>Cadastro de %1 salvo (nº %2). Ele será enviado quando houver conexão.</translation>
    </message>
    <message>
        <source>%1 action(s) are still waiting to be sent. They stay on this computer and are sent the next time this account signs in. Sign out?</source>
        <translation>%1 ação(ões) ainda aguarda(m) envio. Elas ficam neste computador e serão enviadas na próxima vez que esta conta entrar. Sair mesmo assim?</translation>
    </message>
</context>
<context>
    <name>Pages</name>
    <message>
        <source>Date</source>
        <translation>Data</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>Tipo</translation>
    </message>
    <message>
        <source>Description</source>
        <translation>Descrição</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>Valor</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Situação</translation>
    </message>
    <message>
        <source>No wallet movements yet.</source>
        <translation>Nenhuma movimentação na carteira ainda.</translation>
    </message>
    <message>
        <source>Bank</source>
        <translation>Banco</translation>
    </message>
    <message>
        <source>Branch</source>
        <translation>Agência</translation>
    </message>
    <message>
        <source>Account</source>
        <translation>Conta</translation>
    </message>
    <message>
        <source>Main</source>
        <translation>Principal</translation>
    </message>
    <message>
        <source>No bank account registered.</source>
        <translation>Nenhuma conta bancária cadastrada.</translation>
    </message>
    <message>
        <source>Showing the %1 most recent of %2 movements.</source>
        <translation>Mostrando as %1 movimentações mais recentes de %2.</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Nome</translation>
    </message>
    <message>
        <source>Profile</source>
        <translation>Perfil</translation>
    </message>
    <message>
        <source>CPF</source>
        <translation>CPF</translation>
    </message>
    <message>
        <source>Mobile</source>
        <translation>Celular</translation>
    </message>
    <message>
        <source>E-mail</source>
        <translation>E-mail</translation>
    </message>
    <message>
        <source>KYC</source>
        <translation>KYC</translation>
    </message>
    <message>
        <source>Waiting to be sent</source>
        <translation>Aguardando envio</translation>
    </message>
    <message>
        <source>Account activated</source>
        <translation>Conta ativada</translation>
    </message>
    <message>
        <source>Documents</source>
        <translation>Documentos</translation>
    </message>
    <message>
        <source>Registered on</source>
        <translation>Cadastrado em</translation>
    </message>
    <message>
        <source>Waiting since</source>
        <translation>Aguardando desde</translation>
    </message>
</context>
<context>
    <name>PeerseedApp</name>
    <message>
        <source>The system keyring is not available, so the session cannot be remembered: you will need to sign in again next time.</source>
        <translation>O cofre de senhas do sistema (keyring) não está disponível, então a sessão não pode ser lembrada: será preciso entrar de novo na próxima vez.</translation>
    </message>
    <message>
        <source>Your session ended. Enter your password to resume syncing.</source>
        <translation>Sua sessão terminou. Informe a senha para voltar a sincronizar.</translation>
    </message>
    <message>
        <source>That is another account: sign out first to change accounts.</source>
        <translation>Essa é outra conta: saia desta conta antes de trocar.</translation>
    </message>
</context>
<context>
    <name>PendingPanel</name>
    <message>
        <source>No.</source>
        <translation>Nº</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>Ação</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>Detalhes</translation>
    </message>
    <message>
        <source>Saved on</source>
        <translation>Salva em</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Situação</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Motivo</translation>
    </message>
    <message>
        <source>Nothing pending. Actions you save while offline appear here until the server answers.</source>
        <translation>Nada pendente. As ações salvas sem conexão aparecem aqui até o servidor responder.</translation>
    </message>
    <message>
        <source>Fix and resubmit…</source>
        <translation>Corrigir e reenviar…</translation>
    </message>
    <message>
        <source>Queued actions are sent automatically. A rejected one can be fixed and sent again.</source>
        <translation>As ações na fila são enviadas automaticamente. Uma ação rejeitada pode ser corrigida e enviada de novo.</translation>
    </message>
    <message>
        <source>Rejected — resubmitted as no. %1</source>
        <translation>Rejeitada — reenviada como nº %1</translation>
    </message>
</context>
<context>
    <name>ProducerDialog</name>
    <message>
        <source>New producer</source>
        <translation>Novo produtor</translation>
    </message>
    <message>
        <source>Fix rejected registration (no. %1)</source>
        <translation>Corrigir cadastro rejeitado (nº %1)</translation>
    </message>
    <message>
        <source>The server rejected this registration: %1 Fix the data and send it again.</source>
        <translation>O servidor rejeitou este cadastro: %1 Corrija os dados e envie novamente.</translation>
    </message>
    <message>
        <source>The registration is saved on this computer and sent when there is a connection. You can close the app meanwhile.</source>
        <translation>O cadastro fica salvo neste computador e é enviado quando houver conexão. Você pode fechar o aplicativo enquanto isso.</translation>
    </message>
    <message>
        <source>Save registration</source>
        <translation>Salvar cadastro</translation>
    </message>
    <message>
        <source>Wait: a document is still being read.</source>
        <translation>Aguarde: um documento ainda está sendo lido.</translation>
    </message>
    <message>
        <source>Check the fields marked in red.</source>
        <translation>Confira os campos marcados em vermelho.</translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation>Salvando…</translation>
    </message>
</context>
<context>
    <name>ProducerForm</name>
    <message>
        <source>Full name, as on the identity document</source>
        <translation>Nome completo, como no documento de identidade</translation>
    </message>
    <message>
        <source>optional</source>
        <translation>opcional</translation>
    </message>
    <message>
        <source>Personal data</source>
        <translation>Dados pessoais</translation>
    </message>
    <message>
        <source>Full name</source>
        <translation>Nome completo</translation>
    </message>
    <message>
        <source>CPF</source>
        <translation>CPF</translation>
    </message>
    <message>
        <source>Mobile</source>
        <translation>Celular</translation>
    </message>
    <message>
        <source>E-mail</source>
        <translation>E-mail</translation>
    </message>
    <message>
        <source>Bank account for payouts</source>
        <translation>Conta bancária para recebimentos</translation>
    </message>
    <message>
        <source>Bank</source>
        <translation>Banco</translation>
    </message>
    <message>
        <source>Branch</source>
        <translation>Agência</translation>
    </message>
    <message>
        <source>Account</source>
        <translation>Conta</translation>
    </message>
    <message>
        <source>Account type</source>
        <translation>Tipo de conta</translation>
    </message>
    <message>
        <source>Identity documents</source>
        <translation>Documentos de identificação</translation>
    </message>
    <message>
        <source>Add file…</source>
        <translation>Adicionar arquivo…</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>Remover</translation>
    </message>
    <message>
        <source>Photos (JPEG or PNG) or PDF, up to %1 each; at most %2 files.</source>
        <translation>Fotos (JPEG ou PNG) ou PDF, até %1 cada; no máximo %2 arquivos.</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>Tipo</translation>
    </message>
    <message>
        <source>Digits only, or formatted as 000.000.000-00.</source>
        <translation>Somente números, ou no formato 000.000.000-00.</translation>
    </message>
    <message>
        <source>A CPF has digits only (dots and a dash are optional).</source>
        <translation>O CPF tem apenas dígitos (pontos e traço são opcionais).</translation>
    </message>
    <message>
        <source>Incomplete CPF: %1 of 11 digits.</source>
        <translation>CPF incompleto: %1 de 11 dígitos.</translation>
    </message>
    <message>
        <source>Too many digits: a CPF has 11.</source>
        <translation>Dígitos demais: o CPF tem 11.</translation>
    </message>
    <message>
        <source>Valid CPF.</source>
        <translation>CPF válido.</translation>
    </message>
    <message>
        <source>Area code and number, e.g. (65) 99999-0000.</source>
        <translation>DDD e número, por exemplo (65) 99999-0000.</translation>
    </message>
    <message>
        <source>Valid mobile number.</source>
        <translation>Celular válido.</translation>
    </message>
    <message>
        <source>Choose an identity document</source>
        <translation>Escolha um documento de identificação</translation>
    </message>
    <message>
        <source>Images and PDF (*.jpg *.jpeg *.png *.pdf);;All files (*)</source>
        <translation>Imagens e PDF (*.jpg *.jpeg *.png *.pdf);;Todos os arquivos (*)</translation>
    </message>
    <message>
        <source>At most %1 documents per producer.</source>
        <translation>No máximo %1 documentos por produtor.</translation>
    </message>
    <message>
        <source>Document added: %1.</source>
        <translation>Documento adicionado: %1.</translation>
    </message>
    <message>
        <source>%1 is too large (%2): the limit is %3.</source>
        <translation>%1 é grande demais (%2): o limite é %3.</translation>
    </message>
    <message>
        <source>Could not read %1: %2</source>
        <translation>Não foi possível ler %1: %2</translation>
    </message>
    <message>
        <source>saved document %1</source>
        <translation>documento salvo %1</translation>
    </message>
    <message>
        <source>Required.</source>
        <translation>Obrigatório.</translation>
    </message>
</context>
<context>
    <name>SyncStatusBar</name>
    <message>
        <source>Show pending and rejected actions</source>
        <translation>Mostrar ações pendentes e rejeitadas</translation>
    </message>
    <message>
        <source>Sign in again</source>
        <translation>Entrar novamente</translation>
    </message>
    <message>
        <source>Syncing…</source>
        <translation>Sincronizando…</translation>
    </message>
    <message>
        <source>Online</source>
        <translation>Online</translation>
    </message>
    <message>
        <source>Connected to the server</source>
        <translation>Conectado ao servidor</translation>
    </message>
    <message>
        <source>Offline</source>
        <translation>Offline</translation>
    </message>
    <message>
        <source>No connection to the server. Your data stays available and your actions are queued; they will be sent when the connection returns.</source>
        <translation>Sem conexão com o servidor. Seus dados continuam disponíveis e suas ações ficam na fila; serão enviadas quando a conexão voltar.</translation>
    </message>
    <message>
        <source>Session expired</source>
        <translation>Sessão expirada</translation>
    </message>
    <message>
        <source>Sign in again to resume syncing. Your data stays available.</source>
        <translation>Entre novamente para voltar a sincronizar. Seus dados continuam disponíveis.</translation>
    </message>
    <message>
        <source>Update required</source>
        <translation>Atualização necessária</translation>
    </message>
    <message>
        <source>The server no longer accepts this version of the app. Update it.</source>
        <translation>O servidor não aceita mais esta versão do aplicativo. Atualize-o.</translation>
    </message>
    <message>
        <source>Sync error</source>
        <translation>Erro de sincronização</translation>
    </message>
    <message>
        <source>Sending actions: %1 sent</source>
        <translation>Enviando ações: %1 enviadas</translation>
    </message>
    <message>
        <source>Receiving: %1 rows · %2</source>
        <translation>Recebendo: %1 linhas · %2</translation>
    </message>
    <message>
        <source>Never synced</source>
        <translation>Nunca sincronizado</translation>
    </message>
    <message>
        <source>Last sync: %1</source>
        <translation>Última sincronização: %1</translation>
    </message>
    <message>
        <source>Pending: %1 · Rejected: %2</source>
        <translation>Pendentes: %1 · Rejeitadas: %2</translation>
    </message>
    <message>
        <source>Pending: %1</source>
        <translation>Pendentes: %1</translation>
    </message>
</context>
</TS>
