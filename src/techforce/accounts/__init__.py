"""Accounts: users, roles, provider scope, password hashing and web sessions."""
