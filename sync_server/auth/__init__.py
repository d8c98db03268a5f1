"""Accounts: signup, login, Redis sessions, rate limits, OTP and the authorization layer."""
