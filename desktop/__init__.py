"""The Peerseed desktop app (PySide6): login, a main window per profile, offline-first sync.

Layers, from the bottom up:

- ``desktop.replica`` and ``desktop.sync`` — the local SQLite replica and the sync engine, plain
  Python (no Qt), testable on their own;
- ``desktop.replica_queries``, ``desktop.session``, ``desktop.settings``, ``desktop.formatting``
  — read-only queries, login and keyring, typed settings, pt_BR formatting (no widgets);
- ``desktop.qt`` — the one module that imports the Qt binding, with the background-work
  primitives (operations on a thread pool, a worker thread) every widget uses;
- ``desktop.sync_worker`` — the sync worker thread that owns the engine and the SQLite writes;
- ``desktop.ui`` — thin widgets; ``desktop.app`` wires them; ``desktop.__main__`` is the CLI.

See docs/desktop.md.
"""
