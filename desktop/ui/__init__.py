"""Widgets of the desktop app. Thin: they show what ``desktop.replica_queries`` read and send
requests to the sync worker through ``desktop.sync_worker.SyncController``; no SQL, no HTTP."""
