"""Helpers shared by the account domains (KYC, user data, field agents, LGPD)."""
